package store_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// tenantTables lists every table with an org_id column.
func tenantTables(t *testing.T, env *storetest.Env) []string {
	rows, err := env.Admin.Query(context.Background(), `select c.table_name from information_schema.columns c
		join information_schema.tables t using (table_schema, table_name)
		where c.table_schema = 'public' and c.column_name = 'org_id' and t.table_type = 'BASE TABLE' order by 1`)
	require.NoError(t, err)
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.NotEmpty(t, names)
	return names
}

func TestEveryTenantTableHasForcedRLS(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	for _, table := range tenantTables(t, env) {
		var enabled, forced bool
		var policies int
		err := env.Admin.QueryRow(context.Background(), `select c.relrowsecurity, c.relforcerowsecurity,
			(select count(*) from pg_policies p where p.tablename = c.relname and p.schemaname = 'public')
			from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relname = $1`, table).
			Scan(&enabled, &forced, &policies)
		require.NoError(t, err)
		require.Truef(t, enabled, "%s: row level security not enabled", table)
		require.Truef(t, forced, "%s: row level security not forced", table)
		require.Positivef(t, policies, "%s: no policy", table)
	}
}

func TestAppRoleIsNotPrivileged(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	var super, bypass bool
	require.NoError(t, env.DB.Pool.QueryRow(context.Background(),
		"select rolsuper, rolbypassrls from pg_roles where rolname = current_user").Scan(&super, &bypass))
	require.False(t, super)
	require.False(t, bypass)
	_, err := store.Open(context.Background(), env.AdminURL, store.Options{})
	require.ErrorContains(t, err, "superuser")
}

// TestTenantIsolation writes a row for org A into every tenant table (as the owner, bypassing
// RLS, so no table is skipped), then checks org B's scope sees none and cannot write A's org_id,
// and that without a scope nothing is visible at all.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	orgA, userA := env.NewOrg(t, "Alpha Studio", "Europe/London", "GBP")
	orgB, _ := env.NewOrg(t, "Beta Florals", "America/Chicago", "USD")
	seedEveryTable(t, env, orgA, userA)

	for _, table := range tenantTables(t, env) {
		var total int
		require.NoError(t, env.Admin.QueryRow(ctx, "select count(*) from "+pgx.Identifier{table}.Sanitize()+" where org_id = $1", orgA).Scan(&total))
		require.Positivef(t, total, "%s: the test must seed a row for org A", table)

		err := env.DB.ReadOrg(ctx, orgB, func(tx pgx.Tx) error {
			var n int
			if err := tx.QueryRow(ctx, "select count(*) from "+pgx.Identifier{table}.Sanitize()+" where org_id = $1", orgA).Scan(&n); err != nil {
				return err
			}
			require.Zerof(t, n, "%s: org B sees org A's rows", table)
			return nil
		})
		require.NoError(t, err)

		// Writing A's org_id under B's scope is refused by the policy's WITH CHECK: B's own rows
		// cannot be moved to A (42501), and A's rows are not even visible to update.
		err = env.DB.QuietWriteOrg(ctx, orgB, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, "update "+pgx.Identifier{table}.Sanitize()+" set org_id = $1", orgA)
			if err == nil && tag.RowsAffected() != 0 {
				t.Errorf("%s: org B moved %d rows to org A", table, tag.RowsAffected())
			}
			return err
		})
		if err != nil {
			var pgErr *pgconn.PgError
			require.Truef(t, errors.As(err, &pgErr) && pgErr.Code == "42501", "%s: %v", table, err)
		}
		var stillA int
		require.NoError(t, env.Admin.QueryRow(ctx, "select count(*) from "+pgx.Identifier{table}.Sanitize()+" where org_id = $1", orgA).Scan(&stillA))
		require.Equalf(t, total, stillA, "%s: org B changed org A's rows", table)

		// Without a scope, nothing is visible.
		var n int
		require.NoError(t, env.DB.Pool.QueryRow(ctx, "select count(*) from "+pgx.Identifier{table}.Sanitize()).Scan(&n))
		require.Zerof(t, n, "%s: rows visible without an organization scope", table)
	}

	// An insert with A's org_id under B's scope violates the policy.
	err := env.DB.QuietWriteOrg(ctx, orgB, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, "insert into clients (org_id, name) values ($1, 'Intruder')", orgA)
		return err
	})
	var pgErr *pgconn.PgError
	require.True(t, errors.As(err, &pgErr), "got %v", err)
	require.Equal(t, "42501", pgErr.Code)

	// Organizations themselves are isolated too.
	org, err := env.DB.Org(ctx, orgB)
	require.NoError(t, err)
	require.Equal(t, "Beta Florals", org.Name)
}
