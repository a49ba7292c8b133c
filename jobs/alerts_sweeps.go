package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/wedsync/wedsync/store"
)

// EscalateAlertsArgs is the periodic escalation of unacknowledged wedding-day alerts.
type EscalateAlertsArgs struct{}

// Kind is the stable job kind.
func (EscalateAlertsArgs) Kind() string { return "escalate_alerts" }

// InsertOpts keeps one sweep at a time, on the notify queue.
func (EscalateAlertsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueNotify, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: alertUniqueStates}}
}

// EscalateAlertsWorker escalates due alerts by SMS to the owner and every admin.
type EscalateAlertsWorker struct {
	river.WorkerDefaults[EscalateAlertsArgs]
	d *alertDeps
}

// Work escalates every organization's due wedding-day alerts one level.
func (w *EscalateAlertsWorker) Work(ctx context.Context, _ *river.Job[EscalateAlertsArgs]) error {
	d := w.d
	now := d.now()
	ids, err := d.db.EscalationOrgs(ctx, now)
	if err != nil {
		return err
	}
	pol := store.EscalationPolicy{After: d.cfg.EscalateAfter, MaxLevel: d.cfg.EscalateMaxLevel}
	var firstErr error
	for _, org := range ids {
		n, err := d.db.EscalateAlerts(ctx, org, now, pol, d.runner.enqueueDeliveriesTx)
		if err != nil {
			d.log.Error("escalate alerts", "org", org, "err", err)
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		d.log.Warn("wedding-day alerts escalated", "org", org, "alerts", n)
	}
	return firstErr
}

// Timeout bounds one sweep.
func (w *EscalateAlertsWorker) Timeout(*river.Job[EscalateAlertsArgs]) time.Duration {
	return time.Minute
}

// AlertDigestsArgs is the periodic digest of notifications the rate limit held back.
type AlertDigestsArgs struct{}

// Kind is the stable job kind.
func (AlertDigestsArgs) Kind() string { return "alert_digests" }

// InsertOpts keeps one sweep at a time, on the notify queue.
func (AlertDigestsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueNotify, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: alertUniqueStates}}
}

// AlertDigestsWorker sends one digest per channel once an organization's window reopens.
type AlertDigestsWorker struct {
	river.WorkerDefaults[AlertDigestsArgs]
	d *alertDeps
}

// Work builds the digests of every organization with held deliveries whose window reopened.
func (w *AlertDigestsWorker) Work(ctx context.Context, _ *river.Job[AlertDigestsArgs]) error {
	d := w.d
	ids, err := d.db.HeldOrgs(ctx)
	if err != nil {
		return err
	}
	now := d.now()
	var firstErr error
	for _, org := range ids {
		n, err := d.db.BuildDigests(ctx, org, now, d.cfg.Limits, d.runner.enqueueDeliveriesTx)
		if err != nil {
			d.log.Error("alert digests", "org", org, "err", err)
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if n > 0 {
			d.log.Info("alert digests queued", "org", org, "digests", n)
		}
	}
	return firstErr
}

// Timeout bounds one sweep.
func (w *AlertDigestsWorker) Timeout(*river.Job[AlertDigestsArgs]) time.Duration { return time.Minute }
