package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/storetest"
)

// TestLatestSnapshotIsSharedUntilANewVersion: readers of an unchanged version get the same
// decoded snapshot (and what was derived from it once), a new version is read afresh with the
// new figures, and another organization never gets it.
func TestLatestSnapshotIsSharedUntilANewVersion(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	f := newFixture(t, env, "America/New_York", "USD")
	other, _ := env.NewOrg(t, "Other", "Europe/Paris", "EUR")
	now := time.Now()

	_, err := env.DB.LatestSnapshot(ctx, f.org)
	require.ErrorIs(t, err, store.ErrNotFound)

	_, err = env.DB.Recompute(ctx, f.org, now)
	require.NoError(t, err)
	first, err := env.DB.LatestSnapshot(ctx, f.org)
	require.NoError(t, err)
	again, err := env.DB.LatestSnapshot(ctx, f.org)
	require.NoError(t, err)
	require.Same(t, first, again, "an unchanged version is not decoded again")

	builds := 0
	build := func() (any, error) { builds++; return "rendered", nil }
	for range 3 {
		v, err := again.Memo("page", build)
		require.NoError(t, err)
		require.Equal(t, "rendered", v)
	}
	require.Equal(t, 1, builds, "derived once per snapshot")

	f.pay(fxPayment{Amount: 12_345, PaidAt: now.Add(-time.Minute)})
	_, err = env.DB.Recompute(ctx, f.org, now)
	require.NoError(t, err)
	next, err := env.DB.LatestSnapshot(ctx, f.org)
	require.NoError(t, err)
	require.Equal(t, first.Version+1, next.Version)
	require.Equal(t, int64(12_345), next.KPIs.RevenueLTM)
	require.Zero(t, first.KPIs.RevenueLTM, "the older snapshot is left as it was")
	_, err = next.Memo("page", build)
	require.NoError(t, err)
	require.Equal(t, 2, builds, "a new version derives afresh")

	_, err = env.DB.LatestSnapshot(ctx, other)
	require.ErrorIs(t, err, store.ErrNotFound, "another organization's cached snapshot is never served")
}
