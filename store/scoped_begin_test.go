package store_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/storetest"
)

// TestScopedBeginKeepsOptionsAndScope opens transactions the way every scoped store call does
// (one round trip for begin and scope) and finds the isolation level and access mode asked for,
// and the organization set for row level security, for this transaction only.
func TestScopedBeginKeepsOptionsAndScope(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	conn, err := env.DB.Pool.Acquire(ctx) // one connection, so the last check reads the same session
	require.NoError(t, err)
	defer conn.Release()
	for _, tc := range []struct {
		opts          pgx.TxOptions
		iso, readOnly string
	}{
		{pgx.TxOptions{}, "read committed", "off"},
		{pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, "repeatable read", "on"},
		{pgx.TxOptions{IsoLevel: pgx.Serializable, AccessMode: pgx.ReadOnly, DeferrableMode: pgx.Deferrable}, "serializable", "on"},
	} {
		tx, err := conn.BeginTx(ctx, store.ScopedBegin(tc.opts, 4242))
		require.NoError(t, err)
		var iso, ro, org string
		require.NoError(t, tx.QueryRow(ctx, `select current_setting('transaction_isolation'), current_setting('transaction_read_only'),
			current_setting('app.org_id')`).Scan(&iso, &ro, &org))
		require.Equal(t, []string{tc.iso, tc.readOnly, "4242"}, []string{iso, ro, org})
		require.NoError(t, tx.Commit(ctx))
	}
	var after string
	require.NoError(t, conn.QueryRow(ctx, `select coalesce(current_setting('app.org_id', true), '')`).Scan(&after))
	require.Empty(t, after, "the scope ends with its (committed) transaction")
}
