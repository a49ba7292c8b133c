package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/storetest"
)

// TestBeginScopedKeepsOptionsAndScope opens transactions the way every scoped store call does
// (the BEGIN and the scope travel with the first statement) and finds the isolation level and
// access mode asked for, and the organization set for row level security, for this transaction
// only: the same connection has no scope once it committed.
func TestBeginScopedKeepsOptionsAndScope(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	db, err := store.Open(ctx, env.AppURL, store.Options{MaxConns: 1}) // one connection: the last check reads the same session
	require.NoError(t, err)
	defer db.Close()
	for _, tc := range []struct {
		opts          pgx.TxOptions
		iso, readOnly string
	}{
		{pgx.TxOptions{}, "read committed", "off"},
		{pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, "repeatable read", "on"},
		{pgx.TxOptions{IsoLevel: pgx.Serializable, AccessMode: pgx.ReadOnly, DeferrableMode: pgx.Deferrable}, "serializable", "on"},
	} {
		tx, err := db.BeginScoped(ctx, 4242, tc.opts)
		require.NoError(t, err)
		var iso, ro, org string
		require.NoError(t, tx.QueryRow(ctx, `select current_setting('transaction_isolation'), current_setting('transaction_read_only'),
			current_setting('app.org_id')`).Scan(&iso, &ro, &org))
		require.Equal(t, []string{tc.iso, tc.readOnly, "4242"}, []string{iso, ro, org})
		require.NoError(t, tx.Commit(ctx))
	}
	var after string
	require.NoError(t, db.Pool.QueryRow(ctx, `select coalesce(current_setting('app.org_id', true), '')`).Scan(&after))
	require.Empty(t, after, "the scope ends with its (committed) transaction")
	_, err = db.BeginScoped(ctx, 0, pgx.TxOptions{})
	require.Error(t, err, "a scoped transaction needs an organization")
}

// TestSyncPageStoredOnlyWithItsRecords: a sync page's cursor and counters wait for the commit
// (one round trip with it), so they must still be all or nothing with the page's records. A
// page whose bookkeeping fails stores nothing, its records included; a page rolled back leaves
// the cursor where it was; a good page stores both.
func TestSyncPageStoredOnlyWithItsRecords(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, user := env.NewOrg(t, "Pipelined Studio", "UTC", "USD")
	in := integCreateStripe(t, env, integKeys(t), org, user)
	run, err := env.DB.StartSyncRun(ctx, org, in.ID, 11, "manual")
	require.NoError(t, err)
	page := func(ext, cursor string, fail error) error {
		return env.DB.WriteOrg(ctx, org, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `insert into payments (org_id, integration_id, external_id, provider, amount, currency, paid_at)
				values ($1, $2, $3, 'stripe', 1000, 'USD', now())`, org, in.ID, ext); err != nil {
				return err
			}
			if err := env.DB.SaveSyncPage(ctx, tx, store.SyncPage{OrgID: org, IntegrationID: in.ID, RunID: run.ID,
				Cursor: json.RawMessage(cursor), Counts: store.SyncCounts{Created: 1}}); err != nil {
				return err
			}
			return fail
		})
	}
	require.NoError(t, page("ch_1", `{"after":"ch_1"}`, nil))
	err = page("ch_2", `{"after":`, nil) // not JSON: the queued cursor update fails at the commit
	var invalid *store.ValidationError
	require.ErrorAs(t, err, &invalid)
	require.Error(t, page("ch_3", `{"after":"ch_3"}`, errors.New("the page gave up")))

	var payments []string
	rows, err := env.Admin.Query(ctx, `select external_id from payments where integration_id = $1 order by 1`, in.ID)
	require.NoError(t, err)
	payments, err = pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Equal(t, []string{"ch_1"}, payments, "only the page whose bookkeeping committed keeps its records")
	target, err := env.DB.SyncTarget(ctx, org, in.ID)
	require.NoError(t, err)
	require.JSONEq(t, `{"after":"ch_1"}`, string(target.Cursor))
	require.Equal(t, int64(1), target.RecordsSynced)
	got, err := env.DB.SyncRun(ctx, org, run.ID)
	require.NoError(t, err)
	require.Equal(t, 1, got.Pages)
	require.Equal(t, store.SyncCounts{Created: 1}, got.Counts)
}

// TestScopedTransactionStatementsBehaveAsPgx: the first statement of a scoped transaction
// carries its BEGIN, yet errors, empty results and nested transactions behave as on a pgx
// transaction, and a failed transaction gives its connection back in a usable state.
func TestScopedTransactionStatementsBehaveAsPgx(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, _ := env.NewOrg(t, "Savepoint Florals", "UTC", "EUR")
	db, err := store.Open(ctx, env.AppURL, store.Options{MaxConns: 1})
	require.NoError(t, err)
	defer db.Close()

	// No row, as the first statement: pgx.ErrNoRows, and the transaction goes on.
	err = db.WriteOrg(ctx, org, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `select id from payments where id = -1`).Scan(&id)
		require.ErrorIs(t, err, pgx.ErrNoRows)
		return nil
	})
	require.NoError(t, err)

	// A first statement with a query option a batch cannot carry still runs in the scope.
	err = db.ReadOrg(ctx, org, func(tx pgx.Tx) error {
		var scope string
		if err := tx.QueryRow(ctx, `select current_setting('app.org_id', true)`, pgx.QueryExecModeSimpleProtocol).Scan(&scope); err != nil {
			return err
		}
		require.Equal(t, strconv.FormatInt(org, 10), scope)
		return nil
	})
	require.NoError(t, err)

	// A failing first statement fails the call; the connection is fine afterwards.
	err = db.WriteOrg(ctx, org, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `insert into payments (org_id, amount, currency, paid_at) values ($1, -5, 'EUR', now())`, org)
		return err
	})
	require.Error(t, err)

	// A nested transaction rolled back undoes its own insert only.
	insert := func(tx pgx.Tx, note string) {
		_, err := tx.Exec(ctx, `insert into payments (org_id, amount, currency, paid_at, note) values ($1, 500, 'EUR', $2, $3)`,
			org, time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), note)
		require.NoError(t, err)
	}
	require.NoError(t, db.WriteOrg(ctx, org, func(tx pgx.Tx) error {
		insert(tx, "kept")
		nested, err := tx.Begin(ctx)
		require.NoError(t, err)
		insert(nested, "undone")
		require.NoError(t, nested.Rollback(ctx))
		nested, err = tx.Begin(ctx)
		require.NoError(t, err)
		insert(nested, "released")
		return nested.Commit(ctx)
	}))
	var notes []string
	require.NoError(t, db.ReadOrg(ctx, org, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `select note from payments order by note`)
		if err != nil {
			return err
		}
		notes, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	}))
	require.Equal(t, []string{"kept", "released"}, notes)

	// A transaction that never sent a statement commits and rolls back without the server.
	tx, err := db.BeginScoped(ctx, org, pgx.TxOptions{})
	require.NoError(t, err)
	require.NoError(t, tx.Commit(ctx))
	require.ErrorIs(t, tx.Rollback(ctx), pgx.ErrTxClosed)
}
