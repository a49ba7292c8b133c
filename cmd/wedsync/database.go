package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/wedsync/wedsync/migrations"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/localpg"
	"github.com/wedsync/wedsync/store/secret"
)

// database is the process's PostgreSQL: the owner pool (migrations) and the app store (RLS).
type database struct {
	Owner   *pgxpool.Pool
	DB      *store.DB
	Keys    *secret.Keyring
	cluster *localpg.Cluster
}

// Close closes the pools and stops an embedded cluster.
func (d *database) Close(log *slog.Logger) {
	if d.DB != nil {
		d.DB.Close()
	}
	if d.Owner != nil {
		d.Owner.Close()
	}
	if d.cluster != nil {
		log.Info("stopping embedded PostgreSQL")
		if err := d.cluster.Stop(); err != nil {
			log.Error("stop embedded PostgreSQL", "err", err)
		}
	}
}

// openDatabase starts the embedded cluster when no DATABASE_URL is set, migrates, and connects
// as the app role.
func openDatabase(ctx context.Context, cfg Config, log *slog.Logger, migrate bool) (*database, error) {
	d := &database{}
	var err error
	d.Keys, err = loadKeys(cfg)
	if err != nil {
		return nil, err
	}
	ownerURL, appURL := cfg.DatabaseURL, cfg.AppDatabaseURL
	appPassword := d.Keys.Derive("database password for " + migrations.AppRole)
	if ownerURL == "" {
		dir := filepath.Join(cfg.DataDir, "pgdata")
		log.Info("starting embedded PostgreSQL", "dir", dir)
		d.cluster, err = localpg.Start(ctx, localpg.Options{DataDir: dir})
		if err != nil {
			return nil, err
		}
		if err := ensureDatabase(ctx, d.cluster, "wedsync"); err != nil {
			d.Close(log)
			return nil, err
		}
		ownerURL = d.cluster.URL("wedsync", localpg.SuperUser)
	}
	if appURL == "" {
		appURL, err = appRoleURL(ownerURL, appPassword)
		if err != nil {
			d.Close(log)
			return nil, err
		}
	}
	d.Owner, err = pgxpool.New(ctx, ownerURL)
	if err != nil {
		d.Close(log)
		return nil, fmt.Errorf("connect owner: %w", err)
	}
	if migrate {
		res, err := migrations.Apply(ctx, d.Owner, appPassword)
		if err != nil {
			d.Close(log)
			return nil, err
		}
		log.Info("migrated", "applied", res.Applied, "version", migrations.Latest())
	}
	d.DB, err = store.Open(ctx, appURL, store.Options{MaxConns: 40})
	if err != nil {
		d.Close(log)
		return nil, err
	}
	return d, nil
}

func ensureDatabase(ctx context.Context, c *localpg.Cluster, name string) error {
	pool, err := pgxpool.New(ctx, c.URL("postgres", localpg.SuperUser))
	if err != nil {
		return err
	}
	defer pool.Close()
	var exists bool
	if err := pool.QueryRow(ctx, "select exists(select 1 from pg_database where datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("check database: %w", err)
	}
	if !exists {
		if _, err := pool.Exec(ctx, "create database "+name); err != nil {
			return fmt.Errorf("create database: %w", err)
		}
	}
	return nil
}

// appRoleURL is the owner URL with the app role's user and derived password.
func appRoleURL(ownerURL, password string) (string, error) {
	u, err := url.Parse(ownerURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("DATABASE_URL must be a postgres:// URL")
	}
	u.User = url.UserPassword(migrations.AppRole, password)
	return u.String(), nil
}

// loadKeys reads WEDSYNC_SECRET_KEY, or a development key under the data directory when the
// process runs on its embedded database; a real deployment must set the key.
func loadKeys(cfg Config) (*secret.Keyring, error) {
	if cfg.SecretKey != "" {
		return secret.Parse(cfg.SecretKey)
	}
	if cfg.DatabaseURL != "" && !cfg.Demo {
		return nil, fmt.Errorf("WEDSYNC_SECRET_KEY is not set: generate one with `wedsync keygen` and set it (kid:base64key)")
	}
	return secret.LoadOrCreateDevKey(filepath.Join(cfg.DataDir, "secret.key"))
}
