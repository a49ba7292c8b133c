// Package jobs holds WedSync's River job kinds (one file each), their workers and the periodic
// schedule. Jobs never import handlers; handlers and sync code enqueue work through InsertTx in
// their own transaction.
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/secret"
)

// Queues keep kinds of work apart, each with its own concurrency limit.
const (
	QueueMetrics = "metrics"
	QueueSync    = "sync"
	QueueNotify  = "notify"
)

// MaxMetricWorkers caps simultaneous KPI computations per instance.
const MaxMetricWorkers = 10

// pendingStates are the states in which a unique job counts as a duplicate. River's default also
// counts completed jobs, which would swallow every recompute after the first until River's
// cleaner removes the finished job; River always requires running among these, which the
// recompute loop covers with its change counter.
var pendingStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

// Only the metrics queue (the live path) polls every FetchPollInterval. The others are woken by
// River's insert notifications like it, and poll only as a fallback (a notification lost while
// the LISTEN connection reconnects): at 20 ms, four queues cost an idle instance 200 queries a
// second, about a tenth of a core between the server and PostgreSQL (make bench-scale).
const (
	// QuietPollInterval is the fallback poll of the default and notify queues.
	QuietPollInterval = 100 * time.Millisecond
	// SyncPollInterval is the fallback poll of the sync queue (syncs run for seconds anyway).
	SyncPollInterval = 500 * time.Millisecond
)

// MaxSyncWorkers caps simultaneous integration syncs per instance.
const MaxSyncWorkers = 4

// Config tunes the job runner.
type Config struct {
	// Work runs workers; false makes an insert-only client (web-only instances).
	Work bool
	// FetchCooldown and FetchPollInterval: River's defaults (100 ms / 1 s) are too slow for the
	// live path, so they default to 2 ms and 20 ms here.
	FetchCooldown, FetchPollInterval time.Duration
	// RefreshEvery is the interval of the stale-snapshot refresh (default 1 minute).
	RefreshEvery time.Duration
	// Now is the clock (tests use a fake one); nil means time.Now.
	Now func() time.Time
	// Keys encrypts and decrypts integration credentials and channel secrets.
	Keys *secret.Keyring
	// Alerts configures alert evaluation and delivery (jobs/alerts_register.go).
	Alerts AlertConfig
	// Sync configures integration syncs (jobs/sync_register.go).
	Sync SyncConfig
	// Demo turns on the demo activity of `serve --demo` (jobs/demo_register.go).
	Demo DemoConfig
	// Metrics records job, sync and delivery metrics (jobs/metrics.go); nil records nothing.
	Metrics *Metrics
}

// Runner owns the River client.
type Runner struct {
	Client *river.Client[pgx.Tx]
	db     *store.DB
	log    *slog.Logger
	work   bool
	// metrics records finished jobs, syncs and deliveries; nil records nothing.
	metrics *Metrics
	// afterSnapshot runs after every stored snapshot (alert rules register here).
	afterSnapshot []func(ctx context.Context, snap *store.Snapshot) error
}

// New builds the River client with every worker and periodic job, and installs the store's write
// hook so every scoped write enqueues recompute_metrics in its own transaction.
func New(db *store.DB, log *slog.Logger, cfg Config) (*Runner, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.FetchCooldown == 0 {
		cfg.FetchCooldown = 2 * time.Millisecond
	}
	if cfg.FetchPollInterval == 0 {
		cfg.FetchPollInterval = 20 * time.Millisecond
	}
	if cfg.RefreshEvery == 0 {
		cfg.RefreshEvery = time.Minute
	}
	r := &Runner{db: db, log: log, work: cfg.Work, metrics: cfg.Metrics}
	rc := &river.Config{Logger: log.With("component", "river")}
	if cfg.Work {
		workers := river.NewWorkers()
		river.AddWorker(workers, &RecomputeWorker{DB: db, Now: cfg.Now, Log: log, AfterSnapshot: r.runAfterSnapshot})
		river.AddWorker(workers, &RefreshSnapshotsWorker{DB: db, Now: cfg.Now, Runner: r})
		river.AddWorker(workers, &ImportCSVWorker{db: db, log: log.With("component", "import")})
		rc.Workers = workers
		rc.Queues = map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: 10, FetchPollInterval: QuietPollInterval},
			QueueMetrics:       {MaxWorkers: MaxMetricWorkers},
			QueueSync:          {MaxWorkers: MaxSyncWorkers, FetchPollInterval: SyncPollInterval},
			QueueNotify:        {MaxWorkers: 10, FetchPollInterval: QuietPollInterval},
		}
		rc.FetchCooldown = cfg.FetchCooldown
		rc.FetchPollInterval = cfg.FetchPollInterval
		rc.PeriodicJobs = []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(cfg.RefreshEvery), func() (river.JobArgs, *river.InsertOpts) {
				return RefreshSnapshotsArgs{}, nil
			}, &river.PeriodicJobOpts{RunOnStart: true, ID: "refresh_snapshots"}),
		}
		if err := r.registerAlerts(workers, rc, cfg); err != nil {
			return nil, err
		}
		if err := r.registerSync(workers, rc, cfg); err != nil {
			return nil, err
		}
		if err := r.registerDemo(workers, rc, cfg); err != nil {
			return nil, err
		}
	}
	client, err := river.NewClient(riverpgxv5.New(db.Pool), rc)
	if err != nil {
		return nil, fmt.Errorf("jobs: river client: %w", err)
	}
	r.Client = client
	db.SetWriteHook(r.enqueueRecomputeTx)
	return r, nil
}

func (r *Runner) runAfterSnapshot(ctx context.Context, snap *store.Snapshot) error {
	for _, f := range r.afterSnapshot {
		if err := f(ctx, snap); err != nil {
			return err
		}
	}
	return nil
}

// enqueueRecomputeTx is the store's write hook: bump the change counter and, unless a recompute
// is already queued, insert one in the writer's transaction. It never NOTIFYs: the job does, once.
func (r *Runner) enqueueRecomputeTx(ctx context.Context, tx pgx.Tx, orgID int64) error {
	queued, err := store.MarkChanged(ctx, tx, orgID)
	if err != nil || queued {
		return err
	}
	_, err = r.Client.InsertTx(ctx, tx, RecomputeArgs{OrgID: orgID}, nil)
	return err
}

// EnqueueRecompute asks for a recompute outside any write (a dashboard with no snapshot yet).
func (r *Runner) EnqueueRecompute(ctx context.Context, orgID int64) error {
	_, err := r.Client.Insert(ctx, RecomputeArgs{OrgID: orgID}, nil)
	return err
}

// Start runs the workers until Stop (no-op for an insert-only client).
func (r *Runner) Start(ctx context.Context) error {
	if !r.work {
		return nil
	}
	if r.metrics != nil {
		r.metrics.watchJobs(ctx, r.Client)
	}
	if err := r.Client.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	return nil
}

// StopCancelReserve is the part of Stop's deadline kept for cancelling the jobs that did not
// finish in the rest of it.
const StopCancelReserve = 2 * time.Second

// Stop stops fetching new jobs and lets running ones finish until StopCancelReserve before ctx's
// deadline; then it cancels the jobs still running (River's StopAndCancel) and waits, within
// ctx, for them to return and for their outcome to be stored. A cancelled job is released, not
// lost: a sync snoozes from its saved cursor, any other job is retried. Only a job that ignores
// its context past ctx stays running until River's rescuer releases it.
func (r *Runner) Stop(ctx context.Context) error {
	if !r.work {
		return nil
	}
	soft := ctx
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		soft, cancel = context.WithDeadline(ctx, deadline.Add(-StopCancelReserve))
		defer cancel()
	}
	err := r.Client.Stop(soft)
	if err == nil || ctx.Err() != nil {
		return err
	}
	r.log.Warn("jobs still running at the stop deadline; cancelling them")
	if err := r.Client.StopAndCancel(ctx); err != nil {
		return fmt.Errorf("jobs: stop and cancel: %w", err)
	}
	return nil
}
