package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/wedsync/wedsync/store"
)

// EvaluateAlertsArgs evaluates one organization's alert rules against its latest snapshot.
// Version is the snapshot that asked for it (evaluated once); 0 is the periodic evaluation,
// which always runs, because some conditions move with the clock alone.
type EvaluateAlertsArgs struct {
	OrgID   int64 `json:"org_id"`
	Version int64 `json:"version,omitempty"`
}

// Kind is the stable job kind.
func (EvaluateAlertsArgs) Kind() string { return "evaluate_alerts" }

// EvaluateAlertsWorker runs the rule evaluation.
type EvaluateAlertsWorker struct {
	river.WorkerDefaults[EvaluateAlertsArgs]
	d *alertDeps
}

// Work evaluates the rules. A periodic run on a snapshot from an earlier local day asks for a
// recompute instead; the recompute evaluates when it is done.
func (w *EvaluateAlertsWorker) Work(ctx context.Context, job *river.Job[EvaluateAlertsArgs]) error {
	d, org := w.d, job.Args.OrgID
	snap, err := d.db.LatestSnapshot(ctx, org)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	now := d.now()
	if job.Args.Version == 0 && snapshotDay(snap, now) != snap.KPIs.Today {
		return d.runner.EnqueueRecompute(ctx, org)
	}
	res, err := d.db.EvaluateAlerts(ctx, org, snap, d.options(now), job.Args.Version == 0)
	if err != nil {
		return err
	}
	if res.Raised+res.Resolved > 0 {
		d.log.Info("alerts evaluated", "org", org, "version", snap.Version, "raised", res.Raised,
			"repeated", res.Repeated, "resolved", res.Resolved)
	}
	return nil
}

// Timeout bounds one evaluation.
func (w *EvaluateAlertsWorker) Timeout(*river.Job[EvaluateAlertsArgs]) time.Duration {
	return time.Minute
}

// snapshotDay is the local date of now in the snapshot's timezone.
func snapshotDay(snap *store.Snapshot, now time.Time) string {
	loc, err := time.LoadLocation(snap.KPIs.Timezone)
	if err != nil {
		loc = time.UTC
	}
	return now.In(loc).Format("2006-01-02")
}

func (d *alertDeps) options(now time.Time) store.AlertOptions {
	return store.AlertOptions{Now: now, Clock: d.now, EscalateAfter: d.cfg.EscalateAfter, Enqueue: d.runner.enqueueDeliveriesTx}
}

// EvaluateAllAlertsArgs is the periodic fan-out: one evaluate_alerts job per organization.
type EvaluateAllAlertsArgs struct{}

// Kind is the stable job kind.
func (EvaluateAllAlertsArgs) Kind() string { return "evaluate_all_alerts" }

// InsertOpts keeps one sweep at a time.
func (EvaluateAllAlertsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: alertUniqueStates}}
}

// EvaluateAllAlertsWorker enqueues the periodic evaluations.
type EvaluateAllAlertsWorker struct {
	river.WorkerDefaults[EvaluateAllAlertsArgs]
	d *alertDeps
}

// Work lists the organizations with a snapshot and enqueues one evaluation each (an organization
// whose previous periodic evaluation still waits gets no second one).
func (w *EvaluateAllAlertsWorker) Work(ctx context.Context, _ *river.Job[EvaluateAllAlertsArgs]) error {
	ids, err := w.d.db.AlertOrgs(ctx)
	if err != nil || len(ids) == 0 {
		return err
	}
	opts := &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: alertUniqueStates}}
	for start := 0; start < len(ids); start += 1000 {
		batch := ids[start:min(start+1000, len(ids))]
		params := make([]river.InsertManyParams, len(batch))
		for i, id := range batch {
			params[i] = river.InsertManyParams{Args: EvaluateAlertsArgs{OrgID: id}, InsertOpts: opts}
		}
		if _, err := w.d.runner.Client.InsertMany(ctx, params); err != nil {
			return fmt.Errorf("enqueue evaluations: %w", err)
		}
	}
	return nil
}

// IntegrationAlert describes an integration that stopped syncing: the sync framework calls
// Runner.RaiseIntegrationAlert with it when an integration pauses itself.
type IntegrationAlert struct {
	OrgID, IntegrationID int64
	// PublicID links the alert to the integration's page (optional).
	PublicID string
	// Provider and Name label it ("stripe", "Studio Stripe").
	Provider, Name string
	// Failures is the failure streak; LastError the last error's message.
	Failures  int
	LastError string
	// At is when it paused (zero: now).
	At time.Time
}

// RaiseIntegrationAlert raises the organization's sync_failure alert for an integration that
// paused itself, whatever the rule's thresholds: an open alert for the same integration folds
// (count and last seen). It does nothing when the organization turned the sync_failure rule off.
// The alert resolves once the integration syncs again.
func (r *Runner) RaiseIntegrationAlert(ctx context.Context, a IntegrationAlert) error {
	rule, err := r.db.RuleOfKind(ctx, a.OrgID, store.RuleSyncFailure)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	at := a.At
	if at.IsZero() {
		at = time.Now()
	}
	label := a.Name
	if label == "" {
		label = a.Provider
	}
	link := "/integrations"
	if a.PublicID != "" {
		link += "/" + a.PublicID
	}
	body := "Syncing stopped until you resume it."
	if a.LastError != "" {
		body = "The last error: " + a.LastError + ". Syncing stopped until you resume it."
	}
	f := store.Finding{RuleID: rule.ID, Kind: rule.Kind, Subject: fmt.Sprintf("integration:%d", a.IntegrationID),
		Severity: max(rule.Severity, store.SeverityHigh), Link: link, Body: body,
		Title: fmt.Sprintf("%s paused itself after %d failed syncs", label, a.Failures)}
	_, err = r.db.RaiseAlerts(ctx, a.OrgID, []store.Finding{f},
		store.AlertOptions{Now: at, Enqueue: r.enqueueDeliveriesTx})
	return err
}
