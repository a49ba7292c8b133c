package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// CalendarEvent is an event of a connected calendar (weddings, consultations, anything else).
type CalendarEvent struct {
	ID            int64
	IntegrationID *int64
	ExternalID    string
	CalendarID    string
	Title         string
	StartsAt      time.Time
	EndsAt        time.Time
	AllDay        bool
	Status        string // confirmed, tentative or cancelled
	Kind          string // wedding, consultation or other
	BookingID     *int64
}

// CalendarEventRow is a calendar event as an integration delivers it.
type CalendarEventRow struct {
	IntegrationID int64
	ExternalID    string
	CalendarID    string
	Title         string
	StartsAt      time.Time
	EndsAt        time.Time
	// AllDay events cover whole local dates: StartsAt and EndsAt (exclusive) carry the dates
	// as wall-clock midnights, in any location, and are stored at midnight in the
	// organization's timezone.
	AllDay bool
	// LocalTime marks wall-clock times without a zone (iCalendar floating times): StartsAt and
	// EndsAt are read as wall times and placed in the organization's timezone, like all-day dates.
	LocalTime bool
	Status    string // empty means confirmed
	Kind      string // empty means other
	BookingID *int64
}

// CalendarEventStatuses are the states of a calendar event.
func CalendarEventStatuses() []string { return []string{"confirmed", "tentative", "cancelled"} }

// CalendarEventKinds are the kinds of calendar event.
func CalendarEventKinds() []string { return []string{"wedding", "consultation", "other"} }

// maxCalendarEvents caps ListCalendarEvents, which serves calendar views of a few weeks.
const maxCalendarEvents = 2000

// ListCalendarEvents lists the events overlapping [from, to), earliest first (at most 2000).
func (db *DB) ListCalendarEvents(ctx context.Context, orgID int64, from, to time.Time) ([]CalendarEvent, error) {
	var out []CalendarEvent
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `select id, integration_id, coalesce(external_id, ''), calendar_id, title, starts_at, ends_at,
				all_day, status, kind, booking_id
			from calendar_events where starts_at < $2 and ends_at > $1
			order by starts_at, id limit $3`, from, to, maxCalendarEvents)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (CalendarEvent, error) {
			var e CalendarEvent
			err := r.Scan(&e.ID, &e.IntegrationID, &e.ExternalID, &e.CalendarID, &e.Title, &e.StartsAt, &e.EndsAt,
				&e.AllDay, &e.Status, &e.Kind, &e.BookingID)
			return e, err
		})
		return err
	})
	return out, wrap("list calendar events", err)
}

// UpsertCalendarEvent writes a calendar event from an integration inside the sync's
// transaction, keyed on (integration, external id). An event ending before it starts is stored
// as ending when it starts.
func (db *DB) UpsertCalendarEvent(ctx context.Context, tx pgx.Tx, orgID int64, r CalendarEventRow) (created bool, err error) {
	if err := checkExternal("upsert calendar event", r.IntegrationID, r.ExternalID); err != nil {
		return false, err
	}
	if r.Status == "" {
		r.Status = "confirmed"
	}
	if r.Status == "cancelled" && r.StartsAt.IsZero() {
		return cancelCalendarEvent(ctx, tx, r)
	}
	if r.Kind == "" {
		r.Kind = "other"
	}
	if !contains(CalendarEventStatuses(), r.Status) || !contains(CalendarEventKinds(), r.Kind) {
		return false, fmt.Errorf("upsert calendar event %s: invalid status %q or kind %q", r.ExternalID, r.Status, r.Kind)
	}
	if r.EndsAt.Before(r.StartsAt) {
		r.EndsAt = r.StartsAt
	}
	if err := checkRefs(ctx, tx, "upsert calendar event", ref{"integrations", &r.IntegrationID}, ref{"bookings", r.BookingID}); err != nil {
		return false, err
	}
	if r.AllDay || r.LocalTime {
		r.StartsAt, r.EndsAt = wallUTC(r.StartsAt), wallUTC(r.EndsAt)
	}
	// Wall times ($12) become instants in the organization's timezone.
	err = tx.QueryRow(ctx, `insert into calendar_events (org_id, integration_id, external_id, calendar_id, title, starts_at,
			ends_at, all_day, status, kind, booking_id)
		select $1, $2, $3, $4, $5, case when $12 then ($6::timestamptz at time zone 'UTC') at time zone o.timezone else $6 end,
			case when $12 then ($7::timestamptz at time zone 'UTC') at time zone o.timezone else $7 end, $8, $9, $10, $11
		from organizations o where o.id = $1
		on conflict (integration_id, external_id) do update set calendar_id = excluded.calendar_id, title = excluded.title,
			starts_at = excluded.starts_at, ends_at = excluded.ends_at, all_day = excluded.all_day,
			status = excluded.status, kind = excluded.kind, booking_id = excluded.booking_id, updated_at = now()
		returning (xmax = 0)`, orgID, r.IntegrationID, r.ExternalID, clip(r.CalendarID, 500), clip(r.Title, 500), r.StartsAt, r.EndsAt,
		r.AllDay, r.Status, r.Kind, r.BookingID, r.AllDay || r.LocalTime).Scan(&created)
	return created, wrap("upsert calendar event", err)
}

// wallUTC keeps t's wall clock (in its own location) and calls it UTC.
func wallUTC(t time.Time) time.Time {
	y, m, d := t.Date()
	hh, mm, ss := t.Clock()
	return time.Date(y, m, d, hh, mm, ss, t.Nanosecond(), time.UTC)
}

// Helpers for rows that come from integrations.

// clip shortens s to at most n characters, for values arriving from integrations.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// checkExternal refuses an upsert without its key: a NULL key never conflicts, so a replay would
// duplicate the row.
func checkExternal(op string, integrationID int64, externalID string) error {
	if integrationID <= 0 || externalID == "" {
		return fmt.Errorf("%s: integration id and external id are required", op)
	}
	return nil
}

// externalTables maps the record kinds an integration can deliver to their tables.
var externalTables = map[string]string{
	"client": "clients", "inquiry": "inquiries", "booking": "bookings", "invoice": "invoices",
	"payment": "payments", "review": "reviews", "calendar_event": "calendar_events",
}

// ExternalRecordID finds, inside a sync's transaction, the id of the record of kind ("client",
// "inquiry", "booking", "invoice", "payment", "review" or "calendar_event") that an integration
// delivered as externalID, so rows can be linked; ErrNotFound if there is none.
func (db *DB) ExternalRecordID(ctx context.Context, tx pgx.Tx, kind string, integrationID int64, externalID string) (int64, error) {
	table, ok := externalTables[kind]
	if !ok {
		return 0, fmt.Errorf("external record id: unknown kind %q", kind)
	}
	var id int64
	err := tx.QueryRow(ctx, "select id from "+table+" where integration_id = $1 and external_id = $2",
		integrationID, externalID).Scan(&id)
	return id, wrap("external record id", err)
}

// DeleteExternalRecord removes, inside a sync's transaction, a record an integration reports as
// deleted; deleted is false when there was none. Removing a payment recomputes its invoice.
func (db *DB) DeleteExternalRecord(ctx context.Context, tx pgx.Tx, kind string, integrationID int64, externalID string) (deleted bool, err error) {
	table, ok := externalTables[kind]
	if !ok {
		return false, fmt.Errorf("delete external record: unknown kind %q", kind)
	}
	returning := "null::bigint"
	if kind == "payment" {
		returning = "invoice_id"
	}
	rows, err := tx.Query(ctx, "delete from "+table+" where integration_id = $1 and external_id = $2 returning "+returning,
		integrationID, externalID)
	if err != nil {
		return false, wrap("delete external record", err)
	}
	invoices, err := pgx.CollectRows(rows, pgx.RowTo[*int64])
	if err != nil {
		return false, wrap("delete external record", err)
	}
	for _, inv := range invoices {
		if err := recomputeInvoice(ctx, tx, inv); err != nil {
			return false, wrap("delete external record: invoice", err)
		}
	}
	return len(invoices) > 0, nil
}

// ref is a reference an integration row makes to another record.
type ref struct {
	table string // a constant of this package
	id    *int64
}

// checkRefs makes sure every reference of an integration row is visible in the org's scope.
// Foreign keys alone would not do: PostgreSQL checks them without row level security, so they
// would accept another organization's id.
func checkRefs(ctx context.Context, tx pgx.Tx, op string, refs ...ref) error {
	for _, r := range refs {
		if r.id == nil {
			continue
		}
		var ok bool
		if err := tx.QueryRow(ctx, "select exists(select 1 from "+r.table+" where id = $1)", *r.id).Scan(&ok); err != nil {
			return wrap(op, err)
		}
		if !ok {
			return fmt.Errorf("%s: %s %d: %w", op, r.table, *r.id, ErrNotFound)
		}
	}
	return nil
}
