package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/wedsync/wedsync/store"
)

// RecomputeArgs asks for a fresh KPI snapshot of one organization.
type RecomputeArgs struct {
	OrgID int64 `json:"org_id"`
}

// Kind is the stable job kind.
func (RecomputeArgs) Kind() string { return "recompute_metrics" }

// InsertOpts makes the job unique per organization while it waits, so a burst of writes
// collapses into one job; River also counts a running job as a duplicate, which the worker
// covers by re-checking the change counter (store.Recompute's Again).
func (RecomputeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMetrics, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// maxRounds bounds one job's catch-up loop under a write storm; then it snoozes and resumes.
const maxRounds = 25

// RecomputeWorker computes and stores the snapshot, repeating while writes keep landing.
type RecomputeWorker struct {
	river.WorkerDefaults[RecomputeArgs]
	DB  *store.DB
	Now func() time.Time
	Log *slog.Logger
	// AfterSnapshot runs after each stored snapshot (alert rules hook in here).
	AfterSnapshot func(ctx context.Context, snap *store.Snapshot) error
}

// Work runs the recompute loop.
func (w *RecomputeWorker) Work(ctx context.Context, job *river.Job[RecomputeArgs]) error {
	for round := 0; round < maxRounds; round++ {
		res, err := w.DB.Recompute(ctx, job.Args.OrgID, w.Now())
		if err != nil {
			return err
		}
		if w.AfterSnapshot != nil {
			if err := w.AfterSnapshot(ctx, res.Snapshot); err != nil {
				w.Log.Error("after snapshot", "org", job.Args.OrgID, "err", err)
			}
		}
		if !res.Again {
			return nil
		}
	}
	return river.JobSnooze(0)
}

// Timeout bounds one recompute job.
func (w *RecomputeWorker) Timeout(*river.Job[RecomputeArgs]) time.Duration { return 2 * time.Minute }
