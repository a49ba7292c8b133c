package store

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Alert is one raised alert with who acknowledged, snoozed or resolved it.
type Alert struct {
	ID               int64
	RuleID           int64
	Kind             RuleKind
	Subject          string
	Severity         Severity
	Title, Body      string
	Link             string
	Status           string // open, acknowledged, snoozed, resolved
	Count            int
	FirstSeenAt      time.Time
	LastSeenAt       time.Time
	AcknowledgedAt   *time.Time
	AcknowledgedBy   string
	SnoozedUntil     *time.Time
	SnoozedBy        string
	SnoozeNote       string
	ResolvedAt       *time.Time
	ResolvedBy       string // "system" when the condition cleared by itself
	WeddingDay       bool
	EscalationLevel  int
	NextEscalationAt *time.Time
}

// AlertEvent is one line of an alert's history.
type AlertEvent struct {
	At     time.Time
	Action string
	Who    string // "system" when no person did it
	Note   string
}

const alertCols = `a.id, coalesce(a.rule_id, 0), a.kind, a.subject, a.severity, a.title, a.body, a.link, a.status, a.count,
	a.first_seen_at, a.last_seen_at, a.acknowledged_at, coalesce(nullif(ua.name, ''), ua.email, ''), a.snoozed_until,
	coalesce(nullif(us.name, ''), us.email, ''), a.snooze_note, a.resolved_at,
	case when a.resolved_by_system then 'system' else coalesce(nullif(ur.name, ''), ur.email, '') end,
	a.wedding_day, a.escalation_level, a.next_escalation_at
	from alerts a left join users ua on ua.id = a.acknowledged_by left join users us on us.id = a.snoozed_by
	left join users ur on ur.id = a.resolved_by `

func scanAlert(row pgx.Row) (Alert, error) {
	var a Alert
	err := row.Scan(&a.ID, &a.RuleID, &a.Kind, &a.Subject, &a.Severity, &a.Title, &a.Body, &a.Link, &a.Status, &a.Count,
		&a.FirstSeenAt, &a.LastSeenAt, &a.AcknowledgedAt, &a.AcknowledgedBy, &a.SnoozedUntil, &a.SnoozedBy, &a.SnoozeNote,
		&a.ResolvedAt, &a.ResolvedBy, &a.WeddingDay, &a.EscalationLevel, &a.NextEscalationAt)
	return a, err
}

func alertsTx(ctx context.Context, tx pgx.Tx, tail string, args ...any) ([]Alert, error) {
	rows, err := tx.Query(ctx, "select "+alertCols+tail, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Alert, error) { return scanAlert(r) })
}

// ActiveAlerts lists the alerts that are not resolved, most severe and most recent first.
func (db *DB) ActiveAlerts(ctx context.Context, orgID int64, limit int) ([]Alert, error) {
	var out []Alert
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		var err error
		out, err = alertsTx(ctx, tx, `where a.status <> 'resolved'
			order by a.status = 'open' desc, a.severity desc, a.last_seen_at desc, a.id desc limit $1`, limit)
		return err
	})
	return out, wrap("active alerts", err)
}

// AlertHistory lists resolved alerts, newest first, limit rows from offset.
func (db *DB) AlertHistory(ctx context.Context, orgID int64, limit, offset int) ([]Alert, error) {
	var out []Alert
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		var err error
		out, err = alertsTx(ctx, tx, `where a.status = 'resolved' order by a.resolved_at desc, a.id desc limit $1 offset $2`, limit, offset)
		return err
	})
	return out, wrap("alert history", err)
}

// Alert loads one alert.
func (db *DB) Alert(ctx context.Context, orgID, id int64) (Alert, error) {
	var a Alert
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		var err error
		a, err = scanAlert(tx.QueryRow(ctx, "select "+alertCols+"where a.id = $1", id))
		return err
	})
	return a, wrap("alert", err)
}

// AlertEvents is the history of one alert, oldest first.
func (db *DB) AlertEvents(ctx context.Context, orgID, id int64) ([]AlertEvent, error) {
	var out []AlertEvent
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `select e.at, e.action, coalesce(nullif(u.name, ''), u.email, 'system'), e.note
			from alert_events e left join users u on u.id = e.user_id where e.alert_id = $1 order by e.at, e.id`, id)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (AlertEvent, error) {
			var e AlertEvent
			err := r.Scan(&e.At, &e.Action, &e.Who, &e.Note)
			if e.Who == "" {
				e.Who = "system"
			}
			return e, err
		})
		return err
	})
	return out, wrap("alert events", err)
}

// UnreadAlertCount is the bell's number: open alerts at or above the in-app channel's minimum
// severity (zero when the organization has no enabled in-app channel).
func (db *DB) UnreadAlertCount(ctx context.Context, orgID int64) (int, error) {
	var n int
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `select count(*) from alerts where status = 'open'
			and severity >= coalesce((select min(min_severity) from channels where kind = 'inapp' and enabled), 99)`).Scan(&n)
	})
	return n, wrap("unread alert count", err)
}

// AcknowledgeAlert marks an open or snoozed alert as seen by userID; it stops escalation.
func (db *DB) AcknowledgeAlert(ctx context.Context, orgID, userID, id int64) error {
	return db.alertAction(ctx, orgID, userID, id, "acknowledged", "", `update alerts set status = 'acknowledged',
		acknowledged_at = $2, acknowledged_by = $3, next_escalation_at = null
		where id = $1 and status in ('open', 'snoozed')`)
}

// ResolveAlert closes an alert by hand; a later repeat of its condition raises a new alert.
func (db *DB) ResolveAlert(ctx context.Context, orgID, userID, id int64) error {
	return db.alertAction(ctx, orgID, userID, id, "resolved", "", `update alerts set status = 'resolved',
		resolved_at = $2, resolved_by = $3, resolved_by_system = false, next_escalation_at = null
		where id = $1 and status <> 'resolved'`)
}

// MaxSnooze bounds how far ahead an alert can be snoozed.
const MaxSnooze = 30 * 24 * time.Hour

// SnoozeAlert hides an alert from the bell until until, with a note. Escalation of a wedding-day
// alert waits for the snooze to end.
func (db *DB) SnoozeAlert(ctx context.Context, orgID, userID, id int64, until time.Time, note string) error {
	now := db.now()
	note = strings.TrimSpace(note)
	p := Problems{}
	if until.IsZero() {
		p.Add("until", "Enter the date and time to snooze until.")
	} else if !until.After(now) {
		p.Add("until", "Choose a time in the future.")
	} else if until.After(now.Add(MaxSnooze)) {
		p.Add("until", "Snooze for at most 30 days.")
	}
	if len(note) > 1000 {
		p.Add("note", "Use at most 1,000 characters.")
	}
	if err := p.Err(); err != nil {
		return err
	}
	return db.alertAction(ctx, orgID, userID, id, "snoozed", note, `update alerts set status = 'snoozed',
		snoozed_at = $2, snoozed_by = $3, snoozed_until = $4, snooze_note = $5,
		next_escalation_at = case when next_escalation_at is not null or (wedding_day and escalation_level = 0 and acknowledged_at is null)
			then $4::timestamptz end
		where id = $1 and status in ('open', 'snoozed', 'acknowledged')`, until, note)
}

// alertAction runs one state change as a regular write (the bell changes, so live pages get a
// fresh snapshot frame) and records it in the alert's history.
func (db *DB) alertAction(ctx context.Context, orgID, userID, id int64, action, note, sql string, extra ...any) error {
	now := db.now()
	return wrap(action+" alert", db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		var status string
		if err := tx.QueryRow(ctx, "select status from alerts where id = $1 for update", id).Scan(&status); err != nil {
			return err
		}
		args := append([]any{id, now, userID}, extra...)
		tag, err := tx.Exec(ctx, sql, args...)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return Invalid("", "This alert is "+status+" already.")
		}
		if err := addEvents(ctx, tx, orgID, []int64{id}, now, action, userID, note); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, action, "alert", id, nil)
	}))
}

// MemberPhone is the user's escalation phone number in the organization ("" when none).
func (db *DB) MemberPhone(ctx context.Context, orgID, userID int64) (string, error) {
	var phone *string
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, "select phone from memberships where user_id = $1", userID).Scan(&phone)
	})
	if phone == nil {
		return "", wrap("member phone", err)
	}
	return *phone, wrap("member phone", err)
}

// SetMemberPhone saves the user's escalation phone number (E.164; empty removes it).
func (db *DB) SetMemberPhone(ctx context.Context, orgID, userID int64, phone string) error {
	phone = strings.Join(strings.Fields(phone), "")
	if phone != "" && !ValidPhone(phone) {
		return Invalid("phone", "Enter your mobile number in international form, like +447700900123.")
	}
	var v *string
	if phone != "" {
		v = &phone
	}
	return wrap("set member phone", db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "update memberships set phone = $2 where user_id = $1", userID, v)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		return audit(ctx, tx, orgID, userID, "update", "notification_settings", userID, map[string]bool{"phone": v != nil})
	}))
}
