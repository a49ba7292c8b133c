package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/wedsync/wedsync/jobs/connector/stripe/stripetest"
	"github.com/wedsync/wedsync/store/secret"
)

const scaleStripeKey = "sk_test_51ScaleWedSyncFakeKey00000000"

// runScale is `wedsync-load scale` (make bench-scale): the steady-state cost of a large tenant
// base whose data does not change, which is what most tenants look like in most minutes.
//
// On a private cluster it COPYs 10,000 organizations with 3 Stripe integrations each (the
// product's default 15-minute schedule, next runs spread evenly over it, as after days of
// running) and starts a real `wedsync serve` process (web and workers, as one instance runs).
// Its River leader runs the real periodic jobs: schedule_syncs each minute, which enqueues a
// sync_integration job for every due integration (2,000 a minute at this size), and the
// refresh_snapshots sweep each minute. The syncs are real too: credentials opened, a sync run
// recorded, stripe-go asking the Stripe fake (in this process) for charges, finding none (an
// empty page: nothing happened at any of these businesses), the run closed. Nothing is
// compressed: intervals are the product's, so every number is per real minute (run it with
// -interval 24h for the cost of an instance with nothing due). A share of the organizations
// (-watched, 5 %) counts as having a dashboard open (marked viewed every two minutes, as the web
// tier's hub does), so the sweep keeps their snapshots fresh and their syncs recompute; the
// others are idle and must cost nothing but their syncs.
//
// Not included: the Stripe connector re-reads the newest charge it already has (its cursor is
// inclusive), and a page with records recomputes even when the upsert changed nothing; and each
// sync publishes three progress events (NOTIFY) whether or not anyone watches. Against the real
// Stripe a routine sync of an organization with payments therefore costs a recompute more.
//
// After a warm-up it measures, minute by minute, the CPU time of the server process and of the
// cluster's postmaster and backends (/proc/<pid>/stat, exited backends through the
// postmaster's children counters), the durations of the schedule and refresh sweeps, and the
// syncs and recomputes done.
func runScale(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("scale", flag.ContinueOnError)
	var s scaleSeed
	fs.IntVar(&s.orgs, "orgs", 10_000, "organizations")
	fs.IntVar(&s.perOrg, "integrations", 3, "Stripe integrations per organization")
	fs.DurationVar(&s.interval, "interval", 15*time.Minute, "every integration's sync interval (whole minutes, 5m-24h)")
	watchedPct := fs.Float64("watched", 5, "percent of organizations with a dashboard open")
	minutes := fs.Int("minutes", 3, "measured minutes")
	warmup := fs.Duration("warmup", 75*time.Second, "run before measuring (the first sweeps, connection pools, caches)")
	server := fs.String("server", "", "a built wedsync binary (default: go build ./cmd/wedsync)")
	profile := fs.String("cpuprofile", "", "save the server's CPU profile of the first measured minute to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s.watched = int(float64(s.orgs) * *watchedPct / 100)
	started := time.Now()
	bdb, err := startBenchDB(ctx, "wedsync_scale", benchDBOptions{MaxConnections: 200, AppConns: 4})
	if err != nil {
		return err
	}
	defer bdb.Close()
	keySpec := secret.Generate("s1")
	keys, err := secret.Parse(keySpec)
	if err != nil {
		return err
	}
	t0 := time.Now()
	watched, err := seedScale(ctx, bdb.Admin, keys, scaleStripeKey, s, time.Now())
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Printf("seeded %d organizations, %d integrations (every %s), %d watched, in %s\n", s.orgs, s.orgs*s.perOrg,
		s.interval, len(watched), time.Since(t0).Round(time.Millisecond))

	fake := stripetest.New(scaleStripeKey)
	fakeURL, stopFake := fake.Start()
	defer stopFake()
	tmp, err := os.MkdirTemp("", "wedsync-scale-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	bin := *server
	if bin == "" {
		if bin, err = buildServer(ctx, tmp); err != nil {
			return err
		}
	}
	srv, err := startLiveServer(ctx, bin, []string{"DATABASE_URL=" + bdb.SuperURL, "WEDSYNC_APP_DATABASE_URL=" + bdb.AppURL,
		"WEDSYNC_SECRET_KEY=" + keySpec, "WEDSYNC_DATA_DIR=" + tmp, "WEDSYNC_STRIPE_API_BASE=" + fakeURL})
	if err != nil {
		return err
	}
	defer srv.stop()
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go keepWatched(watchCtx, bdb.DB, watched)

	fmt.Printf("warming up for %s\n", *warmup)
	if err := sleepCtx(ctx, *warmup); err != nil {
		return err
	}
	meter := newScaleMeter(srv.cmd.Process.Pid, bdb.Cluster.Port())
	var samples []scaleMinute
	measureFrom := time.Now()
	if *profile != "" {
		go func() {
			if err := saveServerProfile(ctx, srv.metricsURL, *profile, 55*time.Second); err != nil {
				fmt.Printf("cpu profile: %v\n", err)
			}
		}()
	}
	for m := 1; m <= *minutes; m++ {
		from := time.Now()
		before := meter.read()
		xacts0, err := committed(ctx, bdb.Admin)
		if err != nil {
			return err
		}
		if err := sleepCtx(ctx, time.Minute); err != nil {
			return err
		}
		after := meter.read()
		sm, err := scaleWork(ctx, bdb.Admin, from, time.Now())
		if err != nil {
			return err
		}
		sm.server, sm.pg = after.server.since(before.server), after.pg.since(before.pg)
		xacts1, err := committed(ctx, bdb.Admin)
		if err != nil {
			return err
		}
		sm.xacts = xacts1 - xacts0
		samples = append(samples, sm)
		fmt.Printf("minute %d: server %.1f%% of a core, PostgreSQL %.1f%%; %d syncs, %d recomputes, %d transactions, %d schedule and %d refresh sweeps; %d integrations overdue\n",
			m, sm.server, sm.pg, sm.syncs, sm.recomputes, sm.xacts, len(sm.scheduleMS), len(sm.refreshMS), sm.overdue)
	}
	sched, refresh, err := sweepDurations(ctx, bdb.Admin, measureFrom)
	if err != nil {
		return err
	}
	var serverPct, pg, syncs, recomputes float64
	for _, sm := range samples {
		serverPct += sm.server / float64(len(samples))
		pg += sm.pg / float64(len(samples))
		syncs += float64(sm.syncs) / float64(len(samples))
		recomputes += float64(sm.recomputes) / float64(len(samples))
	}
	fmt.Printf("machine: %d CPUs; load average %s\n", numCPU(), loadAverage())
	fmt.Printf("RESULT scale_cpu_pct_of_core %.1f pct\n", serverPct+pg)
	fmt.Printf("RESULT scale_server_cpu_pct_of_core %.1f pct\n", serverPct)
	fmt.Printf("RESULT scale_postgres_cpu_pct_of_core %.1f pct\n", pg)
	fmt.Printf("RESULT scale_schedule_ms_p99 %.1f ms\n", msPct(sched, 0.99))
	fmt.Printf("RESULT scale_refresh_ms_p99 %.1f ms\n", msPct(refresh, 0.99))
	fmt.Printf("RESULT scale_syncs_per_min %.0f count\n", syncs)
	fmt.Printf("RESULT scale_recomputes_per_min %.0f count\n", recomputes)
	fmt.Printf("RESULT scale_overdue_integrations %d count\n", samples[len(samples)-1].overdue)
	fmt.Printf("total: %s\n", time.Since(started).Round(time.Second))
	return nil
}

// scaleMinute is one measured minute.
type scaleMinute struct {
	server, pg            float64 // percent of one core
	syncs, recomputes     int
	xacts                 int64 // transactions committed in the benchmark database
	scheduleMS, refreshMS []float64
	overdue               int // due more than a minute ago and not yet synced
}

// scaleWork reads the jobs finished in [from, to) and the integrations overdue at to.
func scaleWork(ctx context.Context, admin *pgxpool.Pool, from, to time.Time) (scaleMinute, error) {
	var sm scaleMinute
	err := admin.QueryRow(ctx, `select count(*) filter (where kind = 'sync_integration'),
			count(*) filter (where kind = 'recompute_metrics')
		from river_job where state = 'completed' and finalized_at >= $1 and finalized_at < $2`, from, to).
		Scan(&sm.syncs, &sm.recomputes)
	if err != nil {
		return sm, fmt.Errorf("count jobs: %w", err)
	}
	if sm.scheduleMS, sm.refreshMS, err = sweepDurationsBetween(ctx, admin, from, to); err != nil {
		return sm, err
	}
	err = admin.QueryRow(ctx, `select count(*) from integrations where next_run_at < $1::timestamptz - interval '1 minute'`, to).Scan(&sm.overdue)
	return sm, err
}

// committed reads the benchmark database's committed transactions so far.
func committed(ctx context.Context, admin *pgxpool.Pool) (int64, error) {
	var n int64
	err := admin.QueryRow(ctx, "select xact_commit from pg_stat_database where datname = current_database()").Scan(&n)
	return n, err
}

// saveServerProfile saves the server's CPU profile over d (its metrics listener serves pprof).
func saveServerProfile(ctx context.Context, metricsURL, path string, d time.Duration) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", metricsURL, int(d.Seconds())), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}

// sweepDurations returns the run times of the schedule and refresh sweeps finished since from.
func sweepDurations(ctx context.Context, admin *pgxpool.Pool, from time.Time) (sched, refresh []float64, err error) {
	return sweepDurationsBetween(ctx, admin, from, time.Now().Add(time.Hour))
}

func sweepDurationsBetween(ctx context.Context, admin *pgxpool.Pool, from, to time.Time) (sched, refresh []float64, err error) {
	rows, err := admin.Query(ctx, `select kind, extract(epoch from finalized_at - attempted_at) * 1000 from river_job
		where kind in ('schedule_syncs', 'refresh_snapshots') and state = 'completed' and finalized_at >= $1 and finalized_at < $2`, from, to)
	if err != nil {
		return nil, nil, fmt.Errorf("sweep durations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind string
		var ms float64
		if err := rows.Scan(&kind, &ms); err != nil {
			return nil, nil, err
		}
		if kind == "schedule_syncs" {
			sched = append(sched, ms)
		} else {
			refresh = append(refresh, ms)
		}
	}
	return sched, refresh, rows.Err()
}

// msPct is the nearest-rank percentile p of xs (0 when empty).
func msPct(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[max(0, min(len(s)-1, int(math.Ceil(p*float64(len(s))))-1))]
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
