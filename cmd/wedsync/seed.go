package main

import (
	"context"
	"log/slog"
)

const (
	demoEmail    = "demo@wedsync.test"
	demoPassword = "wedsync-demo"
)

func seed(ctx context.Context, cfg Config, log *slog.Logger) error {
	db, err := openDatabase(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer db.Close(log)
	return ensureDemo(ctx, db, log)
}

// ensureDemo creates the demo organization if it is absent.
func ensureDemo(ctx context.Context, db *database, log *slog.Logger) error {
	log.Info("demo data not wired yet")
	return nil
}
