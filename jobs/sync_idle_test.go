package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRoutineSyncOfIdleOrgRecomputesNothing: once an integration has synced, a sync that finds
// nothing (an empty page) for an organization nobody is watching closes its run and moves the schedule
// without a recompute (the scale target: idle organizations cost only their syncs); the same
// sync for a watched organization recomputes, so the open dashboard shows the new "last synced".
func TestRoutineSyncOfIdleOrgRecomputesNothing(t *testing.T) {
	t.Parallel()
	f := newSyncFixture(t, nil)
	ctx := context.Background()
	f.syncNow(t) // the first success shows on the dashboard: a recompute
	state := func() (changes, recomputes int64) {
		// Settled: no job waiting or running (a snapshot's alert evaluation may write and recompute).
		require.Eventually(t, func() bool {
			var busy bool
			require.NoError(t, f.env.Admin.QueryRow(ctx, `select exists (select 1 from river_job
				where state in ('available', 'running', 'retryable', 'scheduled', 'pending'))`).Scan(&busy))
			return !busy
		}, 10*time.Second, 10*time.Millisecond, "no job waiting or running")
		require.NoError(t, f.env.Admin.QueryRow(ctx, "select change_seq, recomputes from org_metric_state where org_id = $1",
			f.org).Scan(&changes, &recomputes))
		return changes, recomputes
	}
	changes0, recomputes0 := state()

	f.syncNow(t)
	changes1, recomputes1 := state()
	require.Equal(t, changes0, changes1, "an idle organization's routine sync changes nothing the dashboard counts")
	require.Equal(t, recomputes0, recomputes1)
	require.Len(t, f.runs(t), 2)
	require.Equal(t, "succeeded", f.runs(t)[0].Status)

	require.NoError(t, f.env.DB.MarkViewed(ctx, f.org, time.Now()))
	before := f.reload(t).LastSuccessAt
	f.syncNow(t)
	changes2, recomputes2 := state()
	require.Greater(t, changes2, changes1, "a watched organization's sync recomputes")
	require.Greater(t, recomputes2, recomputes1)
	snap, err := f.env.DB.LatestSnapshot(ctx, f.org)
	require.NoError(t, err)
	require.Len(t, snap.KPIs.SourceFreshness, 1)
	require.True(t, snap.KPIs.SourceFreshness[0].LastSuccessAt.After(*before), "the open dashboard shows the new sync time")
}
