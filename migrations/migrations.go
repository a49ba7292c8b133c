// Package migrations holds the numbered SQL migrations and applies them, with River's own
// tables, in one transaction under a PostgreSQL advisory lock so several instances can start
// at once.
package migrations

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

//go:embed *.sql
var files embed.FS

// AppRole is the login role the application connects as: neither superuser nor BYPASSRLS.
const AppRole = "wedsync_app"

// lockKey identifies the migration advisory lock.
const lockKey = 7_315_220_001

// Result says what Apply did.
type Result struct {
	Applied []string
}

// Apply runs every migration not yet applied, River's migrations, and the grants for AppRole,
// as the owner connection (a superuser or a role with CREATEROLE and BYPASSRLS).
// appPassword becomes AppRole's password (empty leaves it unchanged).
func Apply(ctx context.Context, owner *pgxpool.Pool, appPassword string) (Result, error) {
	var res Result
	conn, err := owner.Acquire(ctx)
	if err != nil {
		return res, fmt.Errorf("migrate: connect: %w", err)
	}
	defer conn.Release()
	// A session lock, not a transaction lock: River's migrations need transactions of their own.
	if _, err := conn.Exec(ctx, "select pg_advisory_lock($1)", lockKey); err != nil {
		return res, fmt.Errorf("migrate: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "select pg_advisory_unlock($1)", lockKey) //nolint:errcheck

	tx, err := conn.Begin(ctx)
	if err != nil {
		return res, fmt.Errorf("migrate: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if res.Applied, err = applyOwn(ctx, tx, appPassword); err != nil {
		return res, err
	}
	if err := tx.Commit(ctx); err != nil {
		return res, fmt.Errorf("migrate: commit: %w", err)
	}
	migrator, err := rivermigrate.New(riverpgxv5.New(owner), nil)
	if err != nil {
		return res, fmt.Errorf("migrate: river: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return res, fmt.Errorf("migrate: river: %w", err)
	}
	tx2, err := conn.Begin(ctx)
	if err != nil {
		return res, err
	}
	defer tx2.Rollback(ctx) //nolint:errcheck
	if err := grantApp(ctx, tx2); err != nil {
		return res, err
	}
	return res, tx2.Commit(ctx)
}

func applyOwn(ctx context.Context, tx pgx.Tx, appPassword string) ([]string, error) {
	var applied []string
	if _, err := tx.Exec(ctx, `create table if not exists schema_migrations (
		version text primary key, applied_at timestamptz not null default now())`); err != nil {
		return nil, fmt.Errorf("migrate: bookkeeping table: %w", err)
	}
	if err := ensureAppRole(ctx, tx, appPassword); err != nil {
		return nil, err
	}
	names, err := fs.Glob(files, "*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for _, name := range names {
		version := strings.TrimSuffix(name, ".sql")
		var done bool
		if err := tx.QueryRow(ctx, "select exists(select 1 from schema_migrations where version = $1)", version).Scan(&done); err != nil {
			return nil, fmt.Errorf("migrate: check %s: %w", version, err)
		}
		if done {
			continue
		}
		sql, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, string(sql)); err != nil {
			return nil, fmt.Errorf("migrate: apply %s: %w", name, err)
		}
		if _, err := tx.Exec(ctx, "insert into schema_migrations (version) values ($1)", version); err != nil {
			return nil, fmt.Errorf("migrate: record %s: %w", version, err)
		}
		applied = append(applied, version)
	}
	return applied, nil
}

// Latest is the newest migration version embedded in this binary.
func Latest() string {
	names, _ := fs.Glob(files, "*.sql")
	sort.Strings(names)
	if len(names) == 0 {
		return ""
	}
	return strings.TrimSuffix(names[len(names)-1], ".sql")
}

func ensureAppRole(ctx context.Context, tx pgx.Tx, password string) error {
	var exists bool
	if err := tx.QueryRow(ctx, "select exists(select 1 from pg_roles where rolname = $1)", AppRole).Scan(&exists); err != nil {
		return fmt.Errorf("migrate: role lookup: %w", err)
	}
	if !exists {
		// Roles are cluster-wide; another database's migration may create it at the same time.
		if _, err := tx.Exec(ctx, "select pg_advisory_xact_lock(1)"); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, fmt.Sprintf(`do $$ begin
			if not exists (select 1 from pg_roles where rolname = '%s') then
				create role %s login nosuperuser nobypassrls nocreatedb nocreaterole;
			end if; end $$`, AppRole, AppRole)); err != nil {
			return fmt.Errorf("migrate: create role %s (the owner needs CREATEROLE): %w", AppRole, err)
		}
	}
	if password == "" {
		return nil
	}
	// Roles are cluster-wide but advisory locks are per database: migrations of two databases in
	// one cluster can update the role at once ("tuple concurrently updated"). Retry in a savepoint.
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if _, err = tx.Exec(ctx, "savepoint app_role_password"); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, fmt.Sprintf("alter role %s password %s", AppRole, quoteLiteral(password)))
		if err == nil {
			_, err = tx.Exec(ctx, "release savepoint app_role_password")
			return err
		}
		if _, rerr := tx.Exec(ctx, "rollback to savepoint app_role_password"); rerr != nil {
			return rerr
		}
		time.Sleep(time.Duration(20*(attempt+1)) * time.Millisecond)
	}
	return fmt.Errorf("migrate: set %s password: %w", AppRole, err)
}

func grantApp(ctx context.Context, tx pgx.Tx) error {
	stmts := []string{
		"grant connect on database " + quoteIdent(currentDatabase(ctx, tx)) + " to " + AppRole,
		"grant usage on schema public to " + AppRole,
		"grant select, insert, update, delete on all tables in schema public to " + AppRole,
		"grant usage, select, update on all sequences in schema public to " + AppRole,
		"grant execute on all functions in schema public to " + AppRole,
		"revoke all on schema_migrations from " + AppRole,
		"grant select on schema_migrations to " + AppRole,
	}
	for _, s := range stmts {
		if _, err := tx.Exec(ctx, s); err != nil {
			return fmt.Errorf("migrate: %s: %w", s, err)
		}
	}
	return nil
}

func currentDatabase(ctx context.Context, tx pgx.Tx) string {
	var name string
	_ = tx.QueryRow(ctx, "select current_database()").Scan(&name)
	return name
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func quoteLiteral(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }
