// Command wedsync is the WedSync server and its administrative subcommands.
//
//	wedsync serve [--demo] [--role all|web|worker]   run the web app and workers
//	wedsync migrate                                   apply database migrations and exit
//	wedsync seed                                      create the demo organization if absent
//	wedsync user add --org ID --email E --role R      add a person to an organization
//	wedsync keygen                                    print a new WEDSYNC_SECRET_KEY value
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	_ "time/tzdata" // timezones even on machines without /usr/share/zoneinfo
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	cfg, err := parseConfig(cmd, args)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "wedsync:", err)
		os.Exit(2)
	}
	log := newLogger(cfg)
	ctx := context.Background()
	switch cmd {
	case "serve":
		err = serve(ctx, cfg, log)
	case "migrate":
		err = migrateOnly(ctx, cfg, log)
	case "seed":
		err = seed(ctx, cfg, log)
	case "keygen":
		err = keygen()
	default:
		usage()
		os.Exit(2)
	}
	if err != nil {
		log.Error("wedsync "+cmd+" failed", "err", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: wedsync serve|migrate|seed|keygen [flags]  (wedsync serve -h for flags)")
}

func newLogger(cfg Config) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogJSON {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

func migrateOnly(ctx context.Context, cfg Config, log *slog.Logger) error {
	db, err := openDatabase(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	db.Close(log)
	return nil
}

func keygen() error {
	fmt.Println(secretGenerate())
	return nil
}
