package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/storetest"
)

func startRunner(t *testing.T, env *storetest.Env, now func() time.Time) *jobs.Runner {
	t.Helper()
	r, err := jobs.New(env.DB, slog.New(slog.NewTextHandler(io.Discard, nil)), jobs.Config{Work: true, Now: now})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, r.Start(ctx))
	t.Cleanup(func() {
		stopCtx, c := context.WithTimeout(context.Background(), 10*time.Second)
		defer c()
		_ = r.Stop(stopCtx)
		cancel()
	})
	return r
}

// TestBurstOfWritesCoalescesWithoutLosingTheLast fires 1,000 concurrent writes for one
// organization. Recomputes must be far fewer than writes, and the final snapshot must equal a
// fresh computation from the final data.
func TestBurstOfWritesCoalescesWithoutLosingTheLast(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	now := time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	startRunner(t, env, clock)
	orgID, _ := env.NewOrg(t, "Burst Photo", "America/New_York", "USD")
	ctx := context.Background()

	const writes = 1000
	var wg sync.WaitGroup
	errs := make(chan error, writes)
	sem := make(chan struct{}, 32)
	for i := 0; i < writes; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			errs <- env.DB.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, `insert into payments (org_id, amount, currency, paid_at, status)
					values ($1, $2, 'USD', $3, 'succeeded')`, orgID, 100+i, now.Add(-time.Duration(i)*time.Minute))
				return err
			})
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	var final int64
	require.NoError(t, env.Admin.QueryRow(ctx, "select change_seq from org_metric_state where org_id = $1", orgID).Scan(&final))
	require.EqualValues(t, writes, final)
	var snap *store.Snapshot
	require.Eventually(t, func() bool {
		s, err := env.DB.LatestSnapshot(ctx, orgID)
		if err != nil {
			return false
		}
		snap = s
		return s.ChangeSeq == final
	}, 30*time.Second, 20*time.Millisecond, "the last write reaches a snapshot")

	fresh, err := env.DB.ComputeKPIs(ctx, orgID, now)
	require.NoError(t, err)
	fresh.ComputedAt = snap.KPIs.ComputedAt
	require.Equal(t, fresh, snap.KPIs)
	var sum int64
	for i := 0; i < writes; i++ {
		if !now.Add(-time.Duration(i) * time.Minute).Before(time.Date(2026, 11, 1, 5, 0, 0, 0, time.UTC)) {
			sum += int64(100 + i)
		}
	}
	require.Equal(t, sum, snap.KPIs.RevenueMTD)

	recomputes, err := env.DB.RecomputeCount(ctx, orgID)
	require.NoError(t, err)
	t.Logf("RESULT coalesce_recomputes %d count (for %d writes)", recomputes, writes)
	require.Less(t, recomputes, int64(writes/10), "far fewer recomputes than writes")
}

// TestLaterWritesRecomputeAgain checks that a finished recompute does not swallow the next one:
// write, wait for the snapshot, write again, and the newer write reaches a newer snapshot.
func TestLaterWritesRecomputeAgain(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	now := time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)
	startRunner(t, env, func() time.Time { return now })
	orgID, _ := env.NewOrg(t, "Again Photo", "America/New_York", "USD")
	ctx := context.Background()
	pay := func(amount int64) {
		require.NoError(t, env.DB.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `insert into payments (org_id, amount, currency, paid_at) values ($1, $2, 'USD', $3)`, orgID, amount, now)
			return err
		}))
	}
	waitRevenue := func(want int64) {
		require.Eventually(t, func() bool {
			s, err := env.DB.LatestSnapshot(ctx, orgID)
			return err == nil && s.KPIs.RevenueMTD == want
		}, 10*time.Second, 10*time.Millisecond, "revenue_mtd reaches %d", want)
	}
	pay(1000)
	waitRevenue(1000)
	time.Sleep(100 * time.Millisecond) // the first job is completed now
	var seqBefore int64
	_ = env.Admin.QueryRow(ctx, "select change_seq from org_metric_state where org_id=$1", orgID).Scan(&seqBefore)
	t.Logf("seq before %d", seqBefore)
	pay(2500)
	_ = env.Admin.QueryRow(ctx, "select change_seq from org_metric_state where org_id=$1", orgID).Scan(&seqBefore)
	t.Logf("seq after %d", seqBefore)
	time.Sleep(2 * time.Second)
	rows, _ := env.Admin.Query(ctx, "select id, kind, state, args::text, coalesce(errors::text,''), unique_states::text from river_job order by id")
	for rows.Next() {
		var id int64
		var kind, state, args, errs, us string
		_ = rows.Scan(&id, &kind, &state, &args, &errs, &us)
		t.Logf("job %d %s %s %s %s %s", id, kind, state, args, errs, us)
	}
	rows.Close()
	waitRevenue(3500)
	pay(1)
	waitRevenue(3501)
}
