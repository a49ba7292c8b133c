package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/wedsync/wedsync/migrations"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/localpg"
)

// benchDB is what every benchmark starts from: a private throwaway PostgreSQL cluster with one
// migrated database, a superuser pool on it (set-up and inspection) and the store connected as
// the app role (row level security applies, as in the server).
type benchDB struct {
	Cluster *localpg.Cluster
	Admin   *pgxpool.Pool
	DB      *store.DB
	// SuperURL and AppURL are the connection strings of Admin and DB.
	SuperURL, AppURL string
}

// benchDBOptions sizes the cluster and the app pool.
type benchDBOptions struct {
	// MaxConnections is the server's max_connections (localpg's default when zero).
	MaxConnections int
	// AppConns caps the app role's pool (pgx's default when zero).
	AppConns int32
}

// startBenchDB starts a throwaway cluster, creates and migrates database name, and connects.
// Close stops everything; on error nothing is left running.
func startBenchDB(ctx context.Context, name string, o benchDBOptions) (_ *benchDB, err error) {
	b := &benchDB{}
	defer func() {
		if err != nil {
			b.Close()
		}
	}()
	if b.Cluster, err = localpg.Start(ctx, localpg.Options{Throwaway: true, MaxConnections: o.MaxConnections}); err != nil {
		return nil, err
	}
	if err := createDatabase(ctx, b.Cluster, name); err != nil {
		return nil, fmt.Errorf("create database: %w", err)
	}
	b.SuperURL, b.AppURL = b.Cluster.URL(name, localpg.SuperUser), b.Cluster.URL(name, migrations.AppRole)
	if b.Admin, err = pgxpool.New(ctx, b.SuperURL); err != nil {
		return nil, fmt.Errorf("connect superuser: %w", err)
	}
	if _, err := migrations.Apply(ctx, b.Admin, ""); err != nil {
		return nil, err
	}
	if b.DB, err = store.Open(ctx, b.AppURL, store.Options{MaxConns: o.AppConns}); err != nil {
		return nil, err
	}
	return b, nil
}

// Close closes the pools and stops the cluster (removing its files).
func (b *benchDB) Close() {
	if b.DB != nil {
		b.DB.Close()
	}
	if b.Admin != nil {
		b.Admin.Close()
	}
	if b.Cluster != nil {
		_ = b.Cluster.Stop()
	}
}

// createDatabase creates an empty database on the cluster.
func createDatabase(ctx context.Context, c *localpg.Cluster, name string) error {
	if c == nil {
		return errors.New("no cluster")
	}
	root, err := pgx.Connect(ctx, c.URL("postgres", localpg.SuperUser))
	if err != nil {
		return err
	}
	defer root.Close(ctx)
	_, err = root.Exec(ctx, "create database "+pgx.Identifier{name}.Sanitize())
	return err
}
