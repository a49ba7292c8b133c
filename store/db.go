// Package store holds the pgx queries and domain types of WedSync, one file per aggregate.
//
// Tenant data is protected by row level security: every scoped call runs in a transaction that
// first sets app.org_id, so a query that forgets its org filter still sees only its own
// organization. Public methods own their transaction and call unexported helpers that take it.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// WriteHook runs inside every scoped write transaction just before it commits. The jobs package
// installs one that enqueues recompute_metrics with River's InsertTx.
type WriteHook func(ctx context.Context, tx pgx.Tx, orgID int64) error

// DB is the application's handle on PostgreSQL, connected as the non-privileged app role.
type DB struct {
	Pool    *pgxpool.Pool
	onWrite WriteHook
	now     func() time.Time
	snaps   snapshotCache // newest decoded snapshots, see LatestSnapshot
}

// Options configures Open.
type Options struct {
	// MaxConns caps the pool; zero keeps pgx's default.
	MaxConns int32
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Open connects to url and refuses a role that is superuser or BYPASSRLS, because such a role
// ignores row level security.
func Open(ctx context.Context, url string, opts Options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: parse database url: %w", err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	// The app's statements are short transactions: compiling one (JIT, tens of milliseconds once
	// a statement's estimated cost passes jit_above_cost, as a sync's multi-page upsert does)
	// costs more than it saves.
	cfg.ConnConfig.RuntimeParams["jit"] = "off"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	var super, bypass bool
	var role string
	if err := pool.QueryRow(ctx, "select rolname, rolsuper, rolbypassrls from pg_roles where rolname = current_user").Scan(&role, &super, &bypass); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: check role: %w", err)
	}
	if super || bypass {
		pool.Close()
		return nil, fmt.Errorf("store: role %q is superuser or BYPASSRLS and would ignore row level security", role)
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &DB{Pool: pool, now: now}, nil
}

// Close closes the pool.
func (db *DB) Close() { db.Pool.Close() }

// SetWriteHook installs the hook every scoped write runs before commit. Call it once at start-up.
func (db *DB) SetWriteHook(h WriteHook) { db.onWrite = h }

// Now is the store's clock.
func (db *DB) Now() time.Time { return db.now() }

// ReadOrg runs fn in a read-only transaction scoped to orgID.
func (db *DB) ReadOrg(ctx context.Context, orgID int64, fn func(tx pgx.Tx) error) error {
	return db.inOrg(ctx, orgID, pgx.TxOptions{AccessMode: pgx.ReadOnly}, false, fn)
}

// WriteOrg runs fn in a transaction scoped to orgID and runs the write hook before commit, so
// every change enqueues its recompute atomically with the data.
func (db *DB) WriteOrg(ctx context.Context, orgID int64, fn func(tx pgx.Tx) error) error {
	return db.inOrg(ctx, orgID, pgx.TxOptions{}, true, fn)
}

// QuietWriteOrg is WriteOrg without the write hook, for changes that move no KPI (audit, settings
// of share links, sessions of sync runs).
func (db *DB) QuietWriteOrg(ctx context.Context, orgID int64, fn func(tx pgx.Tx) error) error {
	return db.inOrg(ctx, orgID, pgx.TxOptions{}, false, fn)
}

func (db *DB) inOrg(ctx context.Context, orgID int64, opts pgx.TxOptions, hook bool, fn func(tx pgx.Tx) error) error {
	tx, err := db.BeginScoped(ctx, orgID, opts)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if err := fn(tx); err != nil {
		return err
	}
	if hook && db.onWrite != nil {
		if err := db.onWrite(ctx, tx, orgID); err != nil {
			return fmt.Errorf("store: write hook: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("store: commit: %w", mapPgError(err))
	}
	return nil
}

// Ping checks the database is reachable and migrated to at least version.
func (db *DB) Ping(ctx context.Context, version string) error {
	var ok bool
	err := db.Pool.QueryRow(ctx, "select exists(select 1 from schema_migrations where version >= $1)", version).Scan(&ok)
	if err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	if !ok {
		return errors.New("store: database not migrated")
	}
	return nil
}
