package jobs_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/jobs/connector/stripe/stripetest"
)

// TestLongSyncMovesTheDashboardWithFewRecomputesAndEndsExact syncs 40 pages slowly with
// recomputes paced an hour apart: the dashboard shows the first page while the sync still runs,
// the whole sync queues at most two recomputes (its first page and its end) instead of one a
// page, and the final snapshot holds every payment and the latest change.
func TestLongSyncMovesTheDashboardWithFewRecomputesAndEndsExact(t *testing.T) {
	t.Parallel()
	f := newSyncFixture(t, func(sc *jobs.SyncConfig) { sc.RecomputeEvery = time.Hour })
	ctx := context.Background()
	base := time.Now().Add(-90 * 24 * time.Hour).Truncate(time.Second)
	const charges = 4_000
	var total int64
	f.fake.AddCharges(charges, func(i int) stripetest.Charge {
		total += int64(1000 + i)
		return stripetest.Charge{Amount: int64(1000 + i), Currency: "gbp", Created: base.Add(time.Duration(i) * time.Minute)}
	})
	f.fake.SetPageDelay(60 * time.Millisecond)
	var lastJob int64
	require.NoError(t, f.env.Admin.QueryRow(ctx, "select coalesce(max(id), 0) from river_job").Scan(&lastJob))

	// Watch the dashboard's snapshots while the sync runs.
	var partial atomic.Int64
	watchCtx, stopWatch := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for watchCtx.Err() == nil {
			if snap, err := f.env.DB.LatestSnapshot(watchCtx, f.org); err == nil && snap.KPIs.RevenueLTM > 0 && snap.KPIs.RevenueLTM < total {
				partial.Store(snap.KPIs.RevenueLTM)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	f.syncNow(t)
	stopWatch()
	<-watched

	runs := f.runs(t)
	require.Len(t, runs, 1)
	require.Equal(t, "succeeded", runs[0].Status)
	require.Equal(t, charges/100, runs[0].Pages)
	require.Positive(t, partial.Load(), "a snapshot showed part of the payments while the sync ran")

	var recomputes int
	require.NoError(t, f.env.Admin.QueryRow(ctx, `select count(*) from river_job where kind = 'recompute_metrics'
		and (args->>'org_id')::bigint = $1 and id > $2`, f.org, lastJob).Scan(&recomputes))
	require.LessOrEqual(t, recomputes, 2, "the sync's first page and its end ask for recomputes, not every page")
	require.Positive(t, recomputes)

	// The final snapshot is exact: it holds every payment and counts the last change.
	require.Eventually(t, func() bool {
		snap, err := f.env.DB.LatestSnapshot(ctx, f.org)
		if err != nil {
			return false
		}
		var seq int64
		require.NoError(t, f.env.Admin.QueryRow(ctx, "select change_seq from org_metric_state where org_id = $1", f.org).Scan(&seq))
		return snap.ChangeSeq == seq && snap.KPIs.RevenueLTM == total
	}, 20*time.Second, 20*time.Millisecond, "the final snapshot shows all %d payments", charges)
}
