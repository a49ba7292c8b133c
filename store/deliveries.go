package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Delivery is one message on one channel to one target, with its outcome.
type Delivery struct {
	ID              int64
	AlertID         int64 // 0 for a digest
	ChannelID       int64 // 0 when the channel was deleted, or for escalations on the server's Twilio
	ChannelName     string
	Kind            ChannelKind
	Target          string
	Purpose         string // alert, escalation, digest
	Severity        Severity
	RateClass       RateClass
	Status          string // pending, sending, retrying, sent, failed, rate_limited, skipped
	IdempotencyKey  string
	Attempts        int
	LastError       string
	EscalationLevel int
	Payload         []byte
	ScheduledAt     time.Time
	CreatedAt       time.Time
	SentAt          *time.Time
	DigestID        int64
}

// RateLimits are the per-organization notification budgets over a rolling window.
type RateLimits struct {
	Window              time.Duration
	Standard, Emergency int
}

// DefaultRateLimits: 50 notifications per rolling hour for LOW..CRITICAL, 200 for EMERGENCY.
var DefaultRateLimits = RateLimits{Window: time.Hour, Standard: 50, Emergency: 200}

// Limit is the budget of a class.
func (l RateLimits) Limit(c RateClass) int {
	if c == RateEmergency {
		return l.Emergency
	}
	return l.Standard
}

const deliveryCols = `d.id, coalesce(d.alert_id, 0), coalesce(d.channel_id, 0), coalesce(c.name, ''), d.kind, d.target,
	d.purpose, d.severity, d.rate_class, d.status, d.idempotency_key, d.attempts, d.last_error, d.escalation_level,
	d.payload, d.scheduled_at, d.created_at, d.sent_at, coalesce(d.digest_id, 0)
	from deliveries d left join channels c on c.id = d.channel_id `

func scanDelivery(row pgx.Row) (Delivery, error) {
	var d Delivery
	err := row.Scan(&d.ID, &d.AlertID, &d.ChannelID, &d.ChannelName, &d.Kind, &d.Target, &d.Purpose, &d.Severity,
		&d.RateClass, &d.Status, &d.IdempotencyKey, &d.Attempts, &d.LastError, &d.EscalationLevel, &d.Payload,
		&d.ScheduledAt, &d.CreatedAt, &d.SentAt, &d.DigestID)
	return d, err
}

func deliveriesTx(ctx context.Context, tx pgx.Tx, tail string, args ...any) ([]Delivery, error) {
	rows, err := tx.Query(ctx, "select "+deliveryCols+tail, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Delivery, error) { return scanDelivery(r) })
}

// AlertDeliveries is the delivery log of one alert, oldest first.
func (db *DB) AlertDeliveries(ctx context.Context, orgID, alertID int64) ([]Delivery, error) {
	var out []Delivery
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		var err error
		out, err = deliveriesTx(ctx, tx, "where d.alert_id = $1 order by d.id", alertID)
		return err
	})
	return out, wrap("alert deliveries", err)
}

// RecentDeliveries lists the organization's newest deliveries (digests included).
func (db *DB) RecentDeliveries(ctx context.Context, orgID int64, limit int) ([]Delivery, error) {
	var out []Delivery
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		var err error
		out, err = deliveriesTx(ctx, tx, "order by d.id desc limit $1", limit)
		return err
	})
	return out, wrap("recent deliveries", err)
}

// ClaimAction says what a deliver_notification job does after ClaimDelivery.
type ClaimAction int

// The claim outcomes.
const (
	// ClaimSend: the delivery is the caller's to send now.
	ClaimSend ClaimAction = iota
	// ClaimDone: nothing to send (already sent, failed, skipped, or just rate limited).
	ClaimDone
	// ClaimWait: the delivery waits for the end of quiet hours (Claim.Wait).
	ClaimWait
)

// Claim is what a delivery job needs to send one message.
type Claim struct {
	Action   ClaimAction
	Wait     time.Duration
	Delivery Delivery
	Channel  *Channel // nil when the delivery has no channel (escalation on the server's Twilio)
	Alert    *Alert   // nil for digests
	Org      Org
}

// ClaimDelivery decides, under the organization's rate-limit lock, whether a delivery is to be sent now.
// The first claim spends a slot of the rolling-window budget of its rate class (digests are
// exempt); past the budget the delivery is recorded as rate_limited for the next digest. A
// delivery that is sent, failed, skipped or rate limited is never sent again, so a retried or
// duplicated job does nothing after a successful send. A claimed delivery becomes "sending" with
// one more attempt.
func (db *DB) ClaimDelivery(ctx context.Context, orgID, id int64, now time.Time, lim RateLimits) (Claim, error) {
	var cl Claim
	err := db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		cl = Claim{}
		d, err := scanDelivery(tx.QueryRow(ctx, "select "+deliveryCols+"where d.id = $1 for update of d", id))
		if err != nil {
			return err
		}
		cl.Delivery = d
		switch d.Status {
		case "sent", "failed", "rate_limited", "skipped":
			cl.Action = ClaimDone
			return nil
		case "pending":
			if d.ScheduledAt.After(now) {
				cl.Action, cl.Wait = ClaimWait, d.ScheduledAt.Sub(now)
				return nil
			}
			if done, err := claimFirstTx(ctx, tx, orgID, &cl.Delivery, now, lim); err != nil || done {
				cl.Action = ClaimDone
				return err
			}
		}
		// One round trip marks the delivery and reads what sending needs.
		b := &pgx.Batch{}
		b.Queue(`update deliveries set status = 'sending', attempts = attempts + 1, updated_at = $2 where id = $1`, id, now)
		b.Queue(sqlOrgRow)
		if d.ChannelID != 0 {
			b.Queue("select "+channelCols+" from channels where id = $1", d.ChannelID)
		}
		if d.AlertID != 0 {
			b.Queue("select "+alertCols+"where a.id = $1", d.AlertID)
		}
		br := tx.SendBatch(ctx, b)
		defer br.Close()
		if _, err := br.Exec(); err != nil {
			return err
		}
		cl.Delivery.Status, cl.Delivery.Attempts = "sending", d.Attempts+1
		if cl.Org, err = scanOrgRow(br.QueryRow()); err != nil {
			return fmt.Errorf("org: %w", err)
		}
		if d.ChannelID != 0 {
			c, err := scanChannel(br.QueryRow())
			if err != nil {
				return fmt.Errorf("channel: %w", err)
			}
			cl.Channel = &c
		}
		if d.AlertID != 0 {
			a, err := scanAlert(br.QueryRow())
			if err != nil {
				return fmt.Errorf("alert: %w", err)
			}
			cl.Alert = &a
		}
		if err := br.Close(); err != nil {
			return err
		}
		cl.Action = ClaimSend
		return nil
	})
	return cl, wrap("claim delivery", err)
}

// claimFirstTx applies the first claim's checks: a delivery deferred by quiet hours whose alert
// was dealt with meanwhile is skipped; otherwise it takes a budget slot or is rate limited.
func claimFirstTx(ctx context.Context, tx pgx.Tx, orgID int64, d *Delivery, now time.Time, lim RateLimits) (done bool, err error) {
	if d.Purpose == "alert" && d.AlertID != 0 && d.ScheduledAt.After(d.CreatedAt) {
		var status string
		if err := tx.QueryRow(ctx, "select status from alerts where id = $1", d.AlertID).Scan(&status); err != nil {
			return false, err
		}
		if status == "resolved" || status == "acknowledged" {
			_, err := tx.Exec(ctx, `update deliveries set status = 'skipped', updated_at = $2,
				last_error = 'The alert was ' || $3 || ' before the quiet hours ended.' where id = $1`, d.ID, now, status)
			return true, err
		}
	}
	if d.Purpose == "digest" || d.Kind == ChannelInApp {
		return false, nil
	}
	if err := lockRate(ctx, tx, orgID); err != nil {
		return false, err
	}
	var used int
	// No upper bound on counted_at: another worker may have read its clock a moment later than
	// ours before taking the lock, and its claim must still count against the limit.
	if err := tx.QueryRow(ctx, `select count(*) from deliveries where org_id = $1 and rate_class = $2
		and counted_at > $3`, orgID, d.RateClass, now.Add(-lim.Window)).Scan(&used); err != nil {
		return false, err
	}
	if limit := lim.Limit(d.RateClass); used >= limit {
		_, err := tx.Exec(ctx, `update deliveries set status = 'rate_limited', updated_at = $2, last_error = $3 where id = $1`,
			d.ID, now, fmt.Sprintf("Held back: %d %s notifications in the last %s already; a digest follows when the window reopens.",
				limit, d.RateClass, lim.Window))
		return true, err
	}
	_, err = tx.Exec(ctx, "update deliveries set counted_at = $2 where id = $1", d.ID, now)
	return false, err
}

// DeliverySent records a successful send.
func (db *DB) DeliverySent(ctx context.Context, orgID, id int64, now time.Time) error {
	return wrap("delivery sent", db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `update deliveries set status = 'sent', sent_at = $2, last_error = '', updated_at = $2
			where id = $1`, id, now)
		return err
	}))
}

// DeliveryFailed records a failed attempt: final marks the delivery failed (a permanent error or
// the last attempt), otherwise it is retrying.
func (db *DB) DeliveryFailed(ctx context.Context, orgID, id int64, now time.Time, msg string, final bool) error {
	status := "retrying"
	if final {
		status = "failed"
	}
	return wrap("delivery failed", db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `update deliveries set status = $2, last_error = $3, updated_at = $4
			where id = $1 and status <> 'sent'`, id, status, clip(msg, 2000), now)
		return err
	}))
}

// sqlOrgRow reads the organization as orgTx does (for a batch).
const sqlOrgRow = `select id, name, timezone, currency, wedding_days, daily_capacity, is_operator, created_at from organizations`

func scanOrgRow(row pgx.Row) (Org, error) {
	var o Org
	var days []int16
	err := row.Scan(&o.ID, &o.Name, &o.Timezone, &o.Currency, &days, &o.DailyCapacity, &o.IsOperator, &o.CreatedAt)
	for _, d := range days {
		o.WeddingDays = append(o.WeddingDays, int(d))
	}
	return o, err
}

// DigestItem is one held-back alert in a digest.
type DigestItem struct {
	AlertID  int64     `json:"alert_id"`
	Title    string    `json:"title"`
	Severity Severity  `json:"severity"`
	At       time.Time `json:"at"`
}

// DigestPayload is what a digest delivery summarizes.
type DigestPayload struct {
	RateClass RateClass    `json:"rate_class"`
	Held      int          `json:"held"`
	From      time.Time    `json:"from"`
	To        time.Time    `json:"to"`
	Items     []DigestItem `json:"items"` // the first MaxDigestItems
}

// MaxDigestItems caps the alerts a digest lists by name.
const MaxDigestItems = 50

// Digest decodes a digest delivery's payload.
func (d Delivery) Digest() (DigestPayload, error) {
	var p DigestPayload
	err := json.Unmarshal(d.Payload, &p)
	return p, err
}
