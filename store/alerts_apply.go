package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// QueuedDelivery is a delivery that needs a deliver_notification job, Delay from now (the end of
// the channel's quiet hours, or zero).
type QueuedDelivery struct {
	OrgID, ID int64
	Delay     time.Duration
}

// EnqueueFunc inserts deliver_notification jobs in the caller's transaction (River's InsertTx).
type EnqueueFunc func(ctx context.Context, tx pgx.Tx, ds []QueuedDelivery) error

// AlertOptions is what raising alerts needs from the job side.
type AlertOptions struct {
	// Now is the evaluation time, unless Clock is set.
	Now time.Time
	// Clock, when set, is read once the organization's evaluation lock is held, so an alert's
	// first_seen_at is when it was raised, not when its evaluation began waiting.
	Clock func() time.Time
	// EscalateAfter is how long an unacknowledged wedding-day alert waits before escalation.
	EscalateAfter time.Duration
	// Enqueue queues the new deliveries; nil leaves them pending (some store tests).
	Enqueue EnqueueFunc
}

// EvalResult says what one evaluation did.
type EvalResult struct {
	Raised, Repeated, Resolved, Unsnoozed int
	// Skipped is true when the snapshot had been evaluated already.
	Skipped bool
}

// Changed reports whether the set of open (unread) alerts changed.
func (r EvalResult) Changed() bool { return r.Raised+r.Resolved+r.Unsnoozed > 0 }

// EvaluateAlerts evaluates every enabled rule of the organization against snap and the current
// data: new findings raise alerts (and their deliveries), repeats of open alerts raise count and
// last_seen_at, alerts whose condition cleared resolve by the system, and expired snoozes reopen.
// Unless force, a snapshot version evaluated before is skipped. Evaluations of one organization
// are serialized across instances. Only when the open set changes does it run the write hook
// (which enqueues a recompute, so the dashboard's bell is re-rendered); repeats are quiet.
func (db *DB) EvaluateAlerts(ctx context.Context, orgID int64, snap *Snapshot, opts AlertOptions, force bool) (EvalResult, error) {
	var res EvalResult
	if !force {
		// A snapshot evaluated already (a later one's evaluation got there first) is skipped
		// without waiting for the lock.
		var evaluated int64
		err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
			return tx.QueryRow(ctx, "select coalesce((select evaluated_version from alert_org_state), 0)").Scan(&evaluated)
		})
		if err != nil {
			return res, wrap("evaluate alerts", err)
		}
		if snap.Version <= evaluated {
			return EvalResult{Skipped: true}, nil
		}
	}
	err := db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		res = EvalResult{}
		if err := lockAlertState(ctx, tx, orgID); err != nil {
			return err
		}
		if opts.Clock != nil {
			opts.Now = opts.Clock()
		}
		if err := ensureDefaultsTx(ctx, tx, orgID, opts.Now); err != nil {
			return err
		}
		var evaluated int64
		if err := tx.QueryRow(ctx, "select evaluated_version from alert_org_state").Scan(&evaluated); err != nil {
			return err
		}
		if !force && snap.Version <= evaluated {
			res.Skipped = true
			return nil
		}
		rules, err := rulesTx(ctx, tx, "order by id")
		if err != nil {
			return err
		}
		var findings []Finding
		var ruleIDs, disabled []int64
		var keep []string
		for _, r := range rules {
			if !r.Enabled {
				disabled = append(disabled, r.ID)
				continue
			}
			s, err := evaluateRule(ctx, tx, orgID, r, snap.KPIs, opts.Now)
			if err != nil {
				return err
			}
			ruleIDs = append(ruleIDs, r.ID)
			findings = append(findings, s.findings...)
			for _, subj := range s.keep {
				keep = append(keep, Finding{RuleID: r.ID, Subject: subj}.DedupeKey())
			}
		}
		if opts.Clock != nil {
			// The rules were evaluated as of the lock; what is raised now is raised now.
			opts.Now = opts.Clock()
		}
		unsnoozed, err := unsnoozeTx(ctx, tx, orgID, opts.Now)
		if err != nil {
			return err
		}
		res.Unsnoozed = unsnoozed
		raised, repeated, err := upsertFindingsTx(ctx, tx, orgID, findings, opts)
		if err != nil {
			return err
		}
		res.Raised, res.Repeated = raised, repeated
		keys := make([]string, 0, len(findings)+len(keep))
		for _, f := range findings {
			keys = append(keys, f.DedupeKey())
		}
		keys = append(keys, keep...)
		rows, err := tx.Query(ctx, `update alerts set status = 'resolved', resolved_at = $1, resolved_by_system = true,
			next_escalation_at = null
			where status <> 'resolved' and ((rule_id = any($2::bigint[]) and not (dedupe_key = any($3::text[])))
				or rule_id = any($4::bigint[]))
			returning id`, opts.Now, ruleIDs, keys, disabled)
		if err != nil {
			return err
		}
		resolved, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		res.Resolved = len(resolved)
		if err := addEvents(ctx, tx, orgID, resolved, opts.Now, "resolved", 0, "The condition cleared."); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "update alert_org_state set evaluated_version = greatest(evaluated_version, $1), evaluated_at = $2",
			snap.Version, opts.Now); err != nil {
			return err
		}
		if res.Changed() {
			return db.runWriteHook(ctx, tx, orgID)
		}
		return nil
	})
	return res, wrap("evaluate alerts", err)
}

// RaiseAlerts raises (or repeats) the findings without resolving anything else: for events that
// arrive from outside the rule evaluation, such as an integration that paused itself.
func (db *DB) RaiseAlerts(ctx context.Context, orgID int64, findings []Finding, opts AlertOptions) (raised int, err error) {
	err = db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		if err := ensureDefaultsTx(ctx, tx, orgID, opts.Now); err != nil {
			return err
		}
		var err error
		raised, _, err = upsertFindingsTx(ctx, tx, orgID, findings, opts)
		if err != nil || raised == 0 {
			return err
		}
		return db.runWriteHook(ctx, tx, orgID)
	})
	return raised, wrap("raise alerts", err)
}

// runWriteHook runs the store's write hook in tx (a recompute, so live pages get the new bell).
func (db *DB) runWriteHook(ctx context.Context, tx pgx.Tx, orgID int64) error {
	if db.onWrite == nil {
		return nil
	}
	return db.onWrite(ctx, tx, orgID)
}

func unsnoozeTx(ctx context.Context, tx pgx.Tx, orgID int64, now time.Time) (int, error) {
	rows, err := tx.Query(ctx, `update alerts set status = 'open' where status = 'snoozed' and snoozed_until <= $1 returning id`, now)
	if err != nil {
		return 0, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, err
	}
	return len(ids), addEvents(ctx, tx, orgID, ids, now, "unsnoozed", 0, "The snooze ended.")
}

// raisedAlert is a newly inserted alert that needs deliveries.
type raisedAlert struct {
	ID       int64
	Severity Severity
}

// upsertFindingsTx inserts new alerts and folds repeats into open ones (count, last_seen_at, and
// the current title, body and severity unless escalation raised it). New alerts get their
// "raised" event and deliveries.
func upsertFindingsTx(ctx context.Context, tx pgx.Tx, orgID int64, findings []Finding, opts AlertOptions) (raised, repeated int, err error) {
	if len(findings) == 0 {
		return 0, 0, nil
	}
	seen := map[string]bool{}
	var ruleIDs []int64
	var kinds, subjects, keys, titles, bodies, links []string
	var sevs []int16
	var wds []bool
	for _, f := range findings {
		k := f.DedupeKey()
		if seen[k] {
			continue
		}
		seen[k] = true
		ruleIDs, kinds, subjects, keys = append(ruleIDs, f.RuleID), append(kinds, string(f.Kind)), append(subjects, f.Subject), append(keys, k)
		sevs, titles, bodies, links, wds = append(sevs, int16(f.Severity)), append(titles, f.Title), append(bodies, f.Body), append(links, f.Link), append(wds, f.WeddingDay)
	}
	escalateAt := opts.Now.Add(opts.EscalateAfter)
	rows, err := tx.Query(ctx, `insert into alerts (org_id, rule_id, kind, subject, dedupe_key, severity, title, body, link,
			first_seen_at, last_seen_at, wedding_day, next_escalation_at)
		select $1, f.rule_id, f.kind, f.subject, f.key, f.severity, f.title, f.body, f.link, $2, $2, f.wd,
			case when f.wd then $3::timestamptz end
		from unnest($4::bigint[], $5::text[], $6::text[], $7::text[], $8::smallint[], $9::text[], $10::text[], $11::text[], $12::bool[])
			as f(rule_id, kind, subject, key, severity, title, body, link, wd)
		on conflict (org_id, dedupe_key) where status <> 'resolved' do update set
			count = alerts.count + 1, last_seen_at = greatest(alerts.last_seen_at, excluded.last_seen_at),
			title = excluded.title, body = excluded.body, link = excluded.link,
			severity = case when alerts.escalation_level > 0 then greatest(alerts.severity, excluded.severity) else excluded.severity end
		returning id, severity, (xmax = 0)`,
		orgID, opts.Now, escalateAt, ruleIDs, kinds, subjects, keys, sevs, titles, bodies, links, wds)
	if err != nil {
		return 0, 0, err
	}
	var fresh []raisedAlert
	var id int64
	var sev Severity
	var inserted bool
	if _, err := pgx.ForEachRow(rows, []any{&id, &sev, &inserted}, func() error {
		if inserted {
			fresh = append(fresh, raisedAlert{ID: id, Severity: sev})
		} else {
			repeated++
		}
		return nil
	}); err != nil {
		return 0, 0, err
	}
	if len(fresh) == 0 {
		return 0, repeated, nil
	}
	ids := make([]int64, len(fresh))
	for i, a := range fresh {
		ids[i] = a.ID
	}
	if err := addEvents(ctx, tx, orgID, ids, opts.Now, "raised", 0, ""); err != nil {
		return 0, 0, err
	}
	queued, err := alertDeliveriesTx(ctx, tx, orgID, fresh, opts.Now)
	if err != nil {
		return 0, 0, err
	}
	if len(queued) > 0 && opts.Enqueue != nil {
		if err := opts.Enqueue(ctx, tx, queued); err != nil {
			return 0, 0, fmt.Errorf("enqueue deliveries: %w", err)
		}
	}
	return len(fresh), repeated, nil
}

// newDelivery is one row for insertDeliveriesTx.
type newDelivery struct {
	AlertID, ChannelID, UserID int64 // 0 for none
	Kind                       ChannelKind
	Target                     string
	Purpose                    string
	Severity                   Severity
	Status                     string // pending, sent (in-app) or failed (no recipient)
	LastError                  string
	Level                      int
	Payload                    any
	ScheduledAt                time.Time
}

// alertDeliveriesTx creates the deliveries of newly raised alerts: one per enabled channel whose
// minimum severity they reach (one per number for SMS). In-app deliveries are the bell and are
// sent at once; others wait for the end of the channel's quiet hours unless EMERGENCY.
func alertDeliveriesTx(ctx context.Context, tx pgx.Tx, orgID int64, alerts []raisedAlert, now time.Time) ([]QueuedDelivery, error) {
	chans, err := channelsTx(ctx, tx, "where enabled order by id")
	if err != nil || len(chans) == 0 {
		return nil, err
	}
	org, err := orgTx(ctx, tx)
	if err != nil {
		return nil, err
	}
	loc := org.Location()
	var ds []newDelivery
	for _, a := range alerts {
		for _, c := range chans {
			if a.Severity < c.MinSeverity {
				continue
			}
			d := newDelivery{AlertID: a.ID, ChannelID: c.ID, Kind: c.Kind, Target: c.Target, Purpose: "alert",
				Severity: a.Severity, Status: "pending", ScheduledAt: now}
			if c.Kind == ChannelInApp {
				d.Status, d.Target = "sent", "bell"
				ds = append(ds, d)
				continue
			}
			if until, quiet := QuietUntil(now, loc, c.QuietStart, c.QuietEnd); quiet && a.Severity < SeverityEmergency {
				d.ScheduledAt = until
			}
			if c.Kind == ChannelSMS {
				for _, t := range c.Targets() {
					d.Target = t
					ds = append(ds, d)
				}
				continue
			}
			ds = append(ds, d)
		}
	}
	return insertDeliveriesTx(ctx, tx, orgID, ds, now)
}

// insertDeliveriesTx stores deliveries and returns the pending ones to queue.
func insertDeliveriesTx(ctx context.Context, tx pgx.Tx, orgID int64, ds []newDelivery, now time.Time) ([]QueuedDelivery, error) {
	if len(ds) == 0 {
		return nil, nil
	}
	b := &pgx.Batch{}
	for _, d := range ds {
		var sentAt *time.Time
		if d.Status == "sent" {
			sentAt = &now
		}
		payload := d.Payload
		if payload == nil {
			payload = map[string]any{}
		}
		b.Queue(`insert into deliveries (org_id, alert_id, channel_id, user_id, kind, target, purpose, severity, rate_class,
			status, idempotency_key, last_error, escalation_level, payload, scheduled_at, sent_at, created_at, updated_at)
			values ($1, nullif($2, 0), nullif($3, 0), nullif($4, 0), $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)
			returning id, scheduled_at, status`,
			orgID, d.AlertID, d.ChannelID, d.UserID, d.Kind, d.Target, d.Purpose, d.Severity, RateClassOf(d.Severity),
			d.Status, NewIdempotencyKey(), d.LastError, d.Level, payload, d.ScheduledAt, sentAt, now)
	}
	br := tx.SendBatch(ctx, b)
	var out []QueuedDelivery
	for range ds {
		var q QueuedDelivery
		var status string
		var at time.Time
		if err := br.QueryRow().Scan(&q.ID, &at, &status); err != nil {
			br.Close()
			return nil, err
		}
		if status == "pending" {
			q.OrgID, q.Delay = orgID, max(0, at.Sub(now))
			out = append(out, q)
		}
	}
	return out, br.Close()
}

// NewIdempotencyKey makes a delivery's idempotency key ("dlv_" and 32 hex digits).
func NewIdempotencyKey() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return "dlv_" + hex.EncodeToString(b)
}
