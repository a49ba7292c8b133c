package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/wedsync/wedsync/store/demo"
)

const (
	demoEmail    = demo.Email
	demoPassword = demo.Password
)

func seed(ctx context.Context, cfg Config, log *slog.Logger) error {
	db, err := openDatabase(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer db.Close(log)
	_, err = ensureDemo(ctx, db, log)
	return err
}

// ensureDemo creates the demo organization with five years of history if it is absent, and
// returns its id. (`serve --demo` then adds its sandboxes: startDemo in demo.go.)
func ensureDemo(ctx context.Context, db *database, log *slog.Logger) (int64, error) {
	start := time.Now()
	orgID, created, err := demo.Ensure(ctx, db.DB, time.Now())
	if err != nil {
		return 0, err
	}
	if created {
		log.Info("demo organization created", "org", orgID, "took", time.Since(start).Round(time.Millisecond))
	}
	return orgID, nil
}
