package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/wedsync/wedsync/store"
)

// Staleness rules of the periodic refresh.
const (
	// WatchWindow: an organization counts as watched if a dashboard was open this recently.
	WatchWindow = store.WatchWindow
	// SnapshotMaxAge: a watched organization's snapshot is refreshed when older than this.
	SnapshotMaxAge = 5 * time.Minute
	// LagGrace: a snapshot behind its writes for this long gets a new recompute (a job that
	// failed for good must not leave a dashboard stale).
	LagGrace = time.Minute
)

// RefreshSnapshotsArgs is the periodic sweep for snapshots whose time-dependent KPIs went stale.
type RefreshSnapshotsArgs struct{}

// Kind is the stable job kind.
func (RefreshSnapshotsArgs) Kind() string { return "refresh_snapshots" }

// InsertOpts keeps one sweep at a time.
func (RefreshSnapshotsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMetrics, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: pendingStates}}
}

// RefreshSnapshotsWorker enqueues recomputes for watched organizations whose snapshot is from an
// earlier local day or older than SnapshotMaxAge, and any organization whose snapshot lags its
// writes by more than LagGrace. Idle organizations are not touched.
type RefreshSnapshotsWorker struct {
	river.WorkerDefaults[RefreshSnapshotsArgs]
	DB     *store.DB
	Now    func() time.Time
	Runner *Runner
}

// Work finds the stale organizations and enqueues one recompute each.
func (w *RefreshSnapshotsWorker) Work(ctx context.Context, _ *river.Job[RefreshSnapshotsArgs]) error {
	ids, err := w.DB.StaleMetricOrgs(ctx, w.Now(), WatchWindow, SnapshotMaxAge)
	if err != nil {
		return err
	}
	lagging, err := w.DB.LaggingMetricOrgs(ctx, w.Now(), LagGrace)
	if err != nil {
		return err
	}
	ids = append(ids, lagging...)
	if len(ids) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		params[i] = river.InsertManyParams{Args: RecomputeArgs{OrgID: id}}
	}
	_, err = w.Runner.Client.InsertMany(ctx, params)
	return err
}
