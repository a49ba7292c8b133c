package jobs

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/wedsync/wedsync/store"
)

// ScheduleSyncsArgs is the periodic sweep (each minute) that enqueues a sync for every due
// integration.
type ScheduleSyncsArgs struct{}

// Kind is the stable job kind.
func (ScheduleSyncsArgs) Kind() string { return "schedule_syncs" }

// InsertOpts keeps one sweep at a time, on the default queue so long syncs never delay it.
func (ScheduleSyncsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: river.QueueDefault, MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true,
		ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
			rivertype.JobStateRunning, rivertype.JobStateScheduled}}}
}

// ScheduleSyncsWorker finds due integrations across organizations (sys_due_integrations) and
// inserts one unique sync job each.
type ScheduleSyncsWorker struct {
	river.WorkerDefaults[ScheduleSyncsArgs]
	d *syncDeps
}

// Work runs one sweep.
func (w *ScheduleSyncsWorker) Work(ctx context.Context, _ *river.Job[ScheduleSyncsArgs]) error {
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return err
	}
	n, err := ScheduleDue(ctx, w.d.db, client, w.d.now(), w.d.cfg.ScheduleBatch)
	if n > 0 {
		w.d.log.Debug("scheduled syncs", "enqueued", n)
	}
	return err
}

// MaxSchedulePages bounds one sweep to this many batches: far more than a minute's due
// integrations of any tenant base one database serves, yet a sweep that ends.
const MaxSchedulePages = 100

// ScheduleDue enqueues a scheduled sync for every integration due at now, in batches of batch
// (at most MaxSchedulePages of them), and returns how many were new: an integration whose sync
// is already waiting, running or retrying is skipped by the unique constraint. Paging through
// every due integration keeps the schedule when more are due a minute than one batch holds.
func ScheduleDue(ctx context.Context, db *store.DB, client *river.Client[pgx.Tx], now time.Time, batch int) (int, error) {
	n := 0
	var after store.DueIntegration
	for range MaxSchedulePages {
		due, err := db.DueIntegrations(ctx, now, after, batch)
		if err != nil || len(due) == 0 {
			return n, err
		}
		params := make([]river.InsertManyParams, len(due))
		for i, d := range due {
			params[i] = river.InsertManyParams{Args: SyncArgs{IntegrationID: d.ID, OrgID: d.OrgID, Trigger: TriggerSchedule}}
		}
		res, err := client.InsertMany(ctx, params)
		if err != nil {
			return n, err
		}
		for _, r := range res {
			if !r.UniqueSkippedAsDuplicate {
				n++
			}
		}
		if len(due) < batch {
			return n, nil
		}
		after = due[len(due)-1]
	}
	return n, nil
}

// ScheduleDueSyncs runs one scheduling sweep at now through this runner's client, in batches
// of batch (tests, and a manual nudge from the command line).
func (r *Runner) ScheduleDueSyncs(ctx context.Context, now time.Time, batch int) (int, error) {
	if batch <= 0 {
		batch = 1000
	}
	return ScheduleDue(ctx, r.db, r.Client, now, batch)
}
