package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/wedsync/wedsync/handlers"
	"github.com/wedsync/wedsync/handlers/live"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/migrations"
	"github.com/wedsync/wedsync/store/secret"
)

// shutdownGrace bounds how long SIGTERM waits for requests and jobs (jobs still running
// jobs.StopCancelReserve before it are cancelled and released), so the process exits within 10 s.
const shutdownGrace = 8 * time.Second

// streamNoticeGrace bounds how long open streams get to take the reconnect notice.
const streamNoticeGrace = time.Second

func serve(ctx context.Context, cfg Config, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := openDatabase(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer db.Close(log)
	demoJobs, stopDemo, err := startDemo(ctx, cfg, db, log) // nothing without --demo
	if err != nil {
		return err
	}
	defer stopDemo()
	metricsCfg := metricsConfigFromEnv()
	metrics := newProcessMetrics(metricsCfg)
	runner, err := jobs.New(db.DB, log, jobs.Config{Work: cfg.Worker, Keys: db.Keys, Alerts: alertConfig(cfg), Sync: syncConfig(cfg),
		Demo: demoJobs, Metrics: metrics.Jobs})
	if err != nil {
		return err
	}
	// Jobs get their own context: on SIGTERM they are stopped in order, not cut off mid-way.
	jobsCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelJobs()
	if err := runner.Start(jobsCtx); err != nil {
		return err
	}
	console, err := jobConsole(jobsCtx, cfg, runner, log)
	if err != nil {
		return err
	}
	srv := handlers.New(handlers.Deps{DB: db.DB, Jobs: runner, Keys: db.Keys, Log: log, Config: handlers.Config{
		BaseURL: cfg.BaseURL, SecureCookies: cfg.TLSCert != "", Demo: cfg.Demo, MigrationVersion: migrations.Latest(),
		StreamHeartbeat: cfg.StreamHeartbeat, OAuth: cfg.OAuth, OperatorOrgID: operatorOrg(cfg, demoJobs.OrgID),
	}, Metrics: metrics.Web, JobConsole: console})
	defer srv.Close()
	stopMetrics, err := startMetrics(metricsCfg, metrics, log, append(srv.Hub().Collectors(), runner.Collectors()...)...)
	if err != nil {
		return err
	}
	defer stopMetrics()
	if cfg.Web {
		// One LISTEN connection per instance feeds every open dashboard of this instance.
		listener := live.NewListener(db.DB.Pool.Config().ConnConfig, srv.Hub(), log)
		go listener.Run(jobsCtx)
		go srv.Hub().KeepWatched(jobsCtx, 2*time.Minute, func(ctx context.Context, orgID int64) error {
			return db.DB.MarkViewed(ctx, orgID, time.Now())
		})
	}

	handler := srv.Handler()
	if !cfg.Web {
		handler = srv.HealthHandler() // worker-only: health checks, no pages
	}
	httpSrv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	serveErr := make(chan error, 1)
	go func() {
		if cfg.TLSCert != "" && cfg.TLSKey != "" {
			serveErr <- httpSrv.ServeTLS(ln, cfg.TLSCert, cfg.TLSKey)
		} else {
			serveErr <- httpSrv.Serve(ln)
		}
	}()
	log.Info("serving", "url", cfg.BaseURL)
	fmt.Printf("\n  WedSync is running at %s\n", cfg.BaseURL)
	if cfg.Demo {
		fmt.Printf("  Demo login: %s / %s\n", demoEmail, demoPassword)
	}
	fmt.Println()

	select {
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	shutdown(shutdownCtx, log,
		func(ctx context.Context) {
			// Every stream is told to reconnect and closed. http.Server.Shutdown does not know the
			// hijacked ones and waits for the others, which end once the hub closes them.
			ctx, cancel := context.WithTimeout(ctx, streamNoticeGrace)
			defer cancel()
			srv.Hub().Shutdown(ctx)
		},
		func(ctx context.Context) {
			if err := httpSrv.Shutdown(ctx); err != nil {
				log.Warn("http shutdown", "err", err)
			}
		},
		func(ctx context.Context) {
			if err := runner.Stop(ctx); err != nil {
				log.Warn("jobs did not stop in time; River will rescue them", "err", err)
			}
		})
	log.Info("stopped")
	return nil
}

// shutdown runs the stop steps at once (streams, requests and jobs do not wait for each other)
// and returns when all are done; each step must return by ctx's deadline.
func shutdown(ctx context.Context, log *slog.Logger, steps ...func(context.Context)) {
	start := time.Now()
	var wg sync.WaitGroup
	for _, step := range steps {
		wg.Go(func() { step(ctx) })
	}
	wg.Wait()
	log.Info("shutdown steps done", "took", time.Since(start).Round(time.Millisecond))
}

func secretGenerate() string { return secret.Generate("k1") }
