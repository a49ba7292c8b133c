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

// InsertOpts puts the job on the metrics queue, whose MaxWorkers caps simultaneous computations.
// Coalescing is not River's unique jobs (which count a running job as a duplicate and so could
// swallow a write that lands while a job finishes) but the queued flag of store.MarkChanged.
func (RecomputeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMetrics}
}

// RecomputeWorker computes and stores the snapshot.
type RecomputeWorker struct {
	river.WorkerDefaults[RecomputeArgs]
	DB  *store.DB
	Now func() time.Time
	Log *slog.Logger
	// AfterSnapshot runs after each stored snapshot (alert rules hook in here).
	AfterSnapshot func(ctx context.Context, snap *store.Snapshot) error
}

// Work runs one recompute.
func (w *RecomputeWorker) Work(ctx context.Context, job *river.Job[RecomputeArgs]) error {
	res, err := w.DB.Recompute(ctx, job.Args.OrgID, w.Now())
	if err != nil {
		return err
	}
	if res.Snapshot != nil && w.AfterSnapshot != nil {
		if err := w.AfterSnapshot(ctx, res.Snapshot); err != nil {
			w.Log.Error("after snapshot", "org", job.Args.OrgID, "err", err)
		}
	}
	return nil
}

// Timeout bounds one recompute job.
func (w *RecomputeWorker) Timeout(*river.Job[RecomputeArgs]) time.Duration { return 2 * time.Minute }
