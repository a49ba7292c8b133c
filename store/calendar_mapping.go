package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// BookingCandidate is a counting booking a wedding calendar event may be linked to.
type BookingCandidate struct {
	ID int64
	// Name is the client's name ("Ana & Bo"), or the booking's title when it has no client.
	Name string
}

// BookingsOnEventDate lists, inside a sync's transaction, the counting bookings whose wedding
// date is the local date (organization timezone) an event starts on. wall says StartsAt is a
// wall time (all-day dates and floating times: its own date is the local date).
func (db *DB) BookingsOnEventDate(ctx context.Context, tx pgx.Tx, orgID int64, startsAt time.Time, wall bool) ([]BookingCandidate, error) {
	if wall {
		startsAt = wallUTC(startsAt)
	}
	rows, err := tx.Query(ctx, `select b.id, coalesce(nullif(c.name, ''), b.title)
		from organizations o
		join bookings b on b.org_id = o.id and b.status <> 'cancelled'
			and b.wedding_date = (case when $3 then $2::timestamptz at time zone 'UTC' else $2::timestamptz at time zone o.timezone end)::date
		left join clients c on c.id = b.client_id
		where o.id = $1
		order by b.id`, orgID, startsAt, wall)
	if err != nil {
		return nil, wrap("bookings on event date", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (BookingCandidate, error) {
		var c BookingCandidate
		return c, r.Scan(&c.ID, &c.Name)
	})
	return out, wrap("bookings on event date", err)
}

// PreviewEvent is a stored event of one calendar integration, for the mapping preview.
type PreviewEvent struct {
	ID       int64
	Title    string
	StartsAt time.Time
	AllDay   bool
	Status   string
	Kind     string
}

// maxPreviewEvents caps the preview on the integration form.
const maxPreviewEvents = 40

// CalendarPreview lists up to 40 events of an integration around now: the latest 15 that
// started before now and the next ones after, in time order.
func (db *DB) CalendarPreview(ctx context.Context, orgID, integrationID int64, now time.Time) ([]PreviewEvent, error) {
	var out []PreviewEvent
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `select id, title, starts_at, all_day, status, kind from (
				(select * from calendar_events where integration_id = $1 and starts_at < $2 order by starts_at desc, id desc limit 15)
				union all
				(select * from calendar_events where integration_id = $1 and starts_at >= $2 order by starts_at, id limit $3)
			) e order by starts_at, id`, integrationID, now, maxPreviewEvents-15)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (PreviewEvent, error) {
			var e PreviewEvent
			return e, r.Scan(&e.ID, &e.Title, &e.StartsAt, &e.AllDay, &e.Status, &e.Kind)
		})
		return err
	})
	return out, wrap("calendar preview", err)
}

// ReclassifyCalendarEvents gives every stored event of an integration the kind classify says
// its title has, and returns how many changed. An event that stops being a wedding loses its
// booking; a wedding event without one is offered the counting bookings of its local date and
// linked to the one link picks (nil: none). It writes through WriteOrg, so the dashboard
// recomputes.
func (db *DB) ReclassifyCalendarEvents(ctx context.Context, orgID, integrationID int64, classify func(title string) string,
	link func(title string, cands []BookingCandidate) *int64) (int, error) {
	changed := 0
	err := db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `select id, title, kind, booking_id, starts_at, status from calendar_events
			where integration_id = $1 order by id`, integrationID)
		if err != nil {
			return err
		}
		type update struct {
			id      int64
			kind    string
			booking *int64
		}
		var updates []update
		var e CalendarEvent
		_, err = pgx.ForEachRow(rows, []any{&e.ID, &e.Title, &e.Kind, &e.BookingID, &e.StartsAt, &e.Status}, func() error {
			k := classify(e.Title)
			if !contains(CalendarEventKinds(), k) {
				k = e.Kind
			}
			u := update{id: e.ID, kind: k, booking: e.BookingID}
			if k != "wedding" {
				u.booking = nil
			}
			if k != e.Kind || (u.booking == nil) != (e.BookingID == nil) || (k == "wedding" && e.BookingID == nil && e.Status != "cancelled") {
				updates = append(updates, u)
				if k != e.Kind {
					changed++
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, u := range updates {
			if u.kind == "wedding" && u.booking == nil && link != nil {
				var starts time.Time
				var title string
				if err := tx.QueryRow(ctx, `select starts_at, title from calendar_events where id = $1`, u.id).Scan(&starts, &title); err != nil {
					return err
				}
				cands, err := db.BookingsOnEventDate(ctx, tx, orgID, starts, false)
				if err != nil {
					return err
				}
				u.booking = link(title, cands)
			}
			if _, err := tx.Exec(ctx, `update calendar_events set kind = $2, booking_id = $3, updated_at = now()
				where id = $1 and (kind <> $2 or booking_id is distinct from $3)`, u.id, u.kind, u.booking); err != nil {
				return err
			}
		}
		return nil
	})
	return changed, wrap("reclassify calendar events", err)
}
