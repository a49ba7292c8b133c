package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/views"
)

// RequestSync enqueues a sync of one integration now ("Sync now"). queued is false when a sync
// of it is already waiting, running or retrying (that one will do).
func (r *Runner) RequestSync(ctx context.Context, orgID, integrationID int64) (queued bool, err error) {
	res, err := r.Client.Insert(ctx, SyncArgs{IntegrationID: integrationID, OrgID: orgID, Trigger: TriggerManual}, nil)
	if err != nil {
		return false, err
	}
	return !res.UniqueSkippedAsDuplicate, nil
}

// RequestConnectionTest enqueues a "Test connection" job; its outcome is stored on the
// integration and published as the org event TestEventName(public id).
func (r *Runner) RequestConnectionTest(ctx context.Context, orgID, integrationID int64) error {
	_, err := r.Client.Insert(ctx, TestConnectionArgs{IntegrationID: integrationID, OrgID: orgID}, nil)
	return err
}

// TestConnectionArgs asks for a connection test of one integration.
type TestConnectionArgs struct {
	IntegrationID int64 `json:"integration_id" river:"unique"`
	OrgID         int64 `json:"org_id"`
}

// Kind is the stable job kind.
func (TestConnectionArgs) Kind() string { return "test_integration" }

// InsertOpts: one test at a time per integration, no retries (a test answers now), on the
// default queue so it never waits behind long syncs.
func (TestConnectionArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: river.QueueDefault, MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByArgs: true,
		ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
			rivertype.JobStateRunning, rivertype.JobStateScheduled}}}
}

// TestConnectionWorker makes the connector's one cheap call and reports the outcome.
type TestConnectionWorker struct {
	river.WorkerDefaults[TestConnectionArgs]
	d *syncDeps
}

// Timeout bounds a test.
func (w *TestConnectionWorker) Timeout(*river.Job[TestConnectionArgs]) time.Duration {
	return w.d.cfg.HTTPTimeout + 10*time.Second
}

// Work tests the connection, stores the result and publishes it to the organization's pages.
func (w *TestConnectionWorker) Work(ctx context.Context, job *river.Job[TestConnectionArgs]) error {
	d := w.d
	t, err := d.db.SyncTarget(ctx, job.Args.OrgID, job.Args.IntegrationID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	conn, err := d.connect(ctx, job.Args.OrgID, t.Integration, t.Sealed)
	if err == nil {
		err = conn.Test(ctx)
	}
	res := store.TestResult{OK: err == nil}
	if err != nil {
		res.Class, res.Message = string(connector.ClassOf(err)), err.Error()
	}
	if err := d.db.RecordTestResult(ctx, job.Args.OrgID, t.ID, res); err != nil {
		return err
	}
	v := views.TestResultView{State: "ok", At: "just now"}
	if !res.OK {
		v.State = "failed"
		v.Trouble = views.TroubleFor(d.cfg.Registry.Label(t.Provider), res.Class, res.Message)
	}
	html, err := renderString(ctx, views.TestResult(v))
	if err == nil {
		err = d.db.PublishOrgEvent(ctx, store.OrgEvent{OrgID: job.Args.OrgID, Name: TestEventName(t.PublicID), HTML: html})
	}
	if err != nil {
		d.log.Warn("publish test result", "integration", t.PublicID, "err", err)
	}
	return nil
}
