package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// EscalationOrgs lists organizations with an open wedding-day alert due to escalate
// (cross-organization, for the escalation sweep).
func (db *DB) EscalationOrgs(ctx context.Context, now time.Time) ([]int64, error) {
	rows, err := db.Pool.Query(ctx, "select org_id from sys_alert_escalations_due($1)", now)
	if err != nil {
		return nil, wrap("escalation orgs", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return ids, wrap("escalation orgs", err)
}

// EscalationPolicy is how unacknowledged wedding-day alerts escalate.
type EscalationPolicy struct {
	// After is the wait before each level.
	After time.Duration
	// MaxLevel is the last level; after it the alert stays open without further SMS.
	MaxLevel int
}

// escalationRecipient is an owner or admin of the organization.
type escalationRecipient struct {
	userID int64
	who    string
	role   string
	phone  *string
}

// EscalateAlerts escalates the organization's open wedding-day alerts that are due: each goes
// one level up (the first level raises it to EMERGENCY) and sends an SMS to the owner and every
// admin with a phone number; a person without one gets a failed delivery that says so, so the
// gap is on record. The next level is due After later, up to MaxLevel. It returns the number of
// alerts escalated.
func (db *DB) EscalateAlerts(ctx context.Context, orgID int64, now time.Time, pol EscalationPolicy, enqueue EnqueueFunc) (int, error) {
	n := 0
	err := db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		n = 0
		rows, err := tx.Query(ctx, `select id, escalation_level from alerts
			where status = 'open' and next_escalation_at is not null and next_escalation_at <= $1
			order by id for update skip locked`, now)
		if err != nil {
			return err
		}
		type due struct {
			id    int64
			level int
		}
		var dues []due
		var d due
		if _, err := pgx.ForEachRow(rows, []any{&d.id, &d.level}, func() error {
			dues = append(dues, d)
			return nil
		}); err != nil {
			return err
		}
		if len(dues) == 0 {
			return nil
		}
		people, err := escalationRecipientsTx(ctx, tx)
		if err != nil {
			return err
		}
		// An SMS channel with its own Twilio account lends its credentials; otherwise the
		// server's Twilio account sends.
		var credChannel int64
		if err := tx.QueryRow(ctx, `select coalesce((select id from channels where kind = 'sms' and enabled
			and config->>'twilio_sid' <> '' order by id limit 1), 0)`).Scan(&credChannel); err != nil {
			return err
		}
		var ds []newDelivery
		for _, a := range dues {
			level := a.level + 1
			var names, missing []string
			for _, p := range people {
				nd := newDelivery{AlertID: a.id, ChannelID: credChannel, UserID: p.userID, Kind: ChannelSMS, Purpose: "escalation",
					Severity: SeverityEmergency, Status: "pending", Level: level, ScheduledAt: now}
				if p.phone == nil {
					nd.Status = "failed"
					nd.LastError = fmt.Sprintf("%s (%s) has no phone number: add one under Alerts → Your notification settings.", p.who, p.role)
					missing = append(missing, p.who)
				} else {
					nd.Target = *p.phone
					names = append(names, p.who)
				}
				ds = append(ds, nd)
			}
			var next *time.Time
			if level < pol.MaxLevel {
				t := now.Add(pol.After)
				next = &t
			}
			if _, err := tx.Exec(ctx, `update alerts set escalation_level = $2, severity = greatest(severity, $3),
				next_escalation_at = $4 where id = $1`, a.id, level, SeverityEmergency, next); err != nil {
				return err
			}
			note := fmt.Sprintf("Level %d: SMS to %s.", level, listOrNobody(names))
			if len(missing) > 0 {
				note += " No phone number for " + strings.Join(missing, ", ") + "."
			}
			if err := addEvents(ctx, tx, orgID, []int64{a.id}, now, "escalated", 0, note); err != nil {
				return err
			}
			n++
		}
		queued, err := insertDeliveriesTx(ctx, tx, orgID, ds, now)
		if err != nil {
			return err
		}
		if len(queued) > 0 && enqueue != nil {
			return enqueue(ctx, tx, queued)
		}
		return nil
	})
	return n, wrap("escalate alerts", err)
}

func escalationRecipientsTx(ctx context.Context, tx pgx.Tx) ([]escalationRecipient, error) {
	rows, err := tx.Query(ctx, `select m.user_id, coalesce(nullif(u.name, ''), u.email), m.role, m.phone
		from memberships m join users u on u.id = m.user_id
		where m.role in ('owner', 'admin') order by m.role = 'owner' desc, m.created_at, m.user_id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (escalationRecipient, error) {
		var p escalationRecipient
		err := r.Scan(&p.userID, &p.who, &p.role, &p.phone)
		return p, err
	})
}

func listOrNobody(names []string) string {
	if len(names) == 0 {
		return "nobody"
	}
	return strings.Join(names, ", ")
}
