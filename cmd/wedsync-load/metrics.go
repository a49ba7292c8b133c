package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/wedsync/wedsync/migrations"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/localpg"
	"github.com/wedsync/wedsync/views"
)

// runMetrics is `wedsync-load metrics`: it starts a private throwaway cluster, builds one
// organization with (by default) 1,000,000 payments, 100,000 bookings and 200,000 inquiries over
// five years (metrics_data.go), and measures in the same run:
//
//   - a full recompute, db.Recompute: every KPI in one REPEATABLE READ transaction of the app
//     role under row level security, JSON, the versioned snapshot row and the NOTIFY;
//   - reading the latest snapshot and rendering the whole dashboard page into a buffer;
//   - the bare aggregate SQL: the very queries of the recompute (store.ComputeKPIsTx) on a
//     superuser connection, so without row level security, JSON, storing or NOTIFY.
//
// The recompute and the bare SQL alternate run by run, so a change in machine load hits both.
func runMetrics(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("metrics", flag.ContinueOnError)
	var n sizes
	fs.IntVar(&n.payments, "payments", 1_000_000, "payments")
	fs.IntVar(&n.bookings, "bookings", 100_000, "bookings (with a client each and two invoices each)")
	fs.IntVar(&n.inquiries, "inquiries", 200_000, "inquiries")
	fs.IntVar(&n.reviews, "reviews", 20_000, "reviews")
	fs.IntVar(&n.years, "years", 5, "years of history")
	runs := fs.Int("runs", 21, "full recomputes (and as many bare SQL runs), after 3 warm-up runs of each")
	renders := fs.Int("renders", 1000, "snapshot reads and dashboard renders")
	seed := fs.Uint64("seed", 1, "dataset seed")
	vacuum := fs.Bool("vacuum", true, "VACUUM ANALYZE after loading (as autovacuum would), not only ANALYZE")
	hold := fs.Bool("hold", false, "keep the cluster running after the measurements until interrupted (prints its URLs)")
	if err := fs.Parse(args); err != nil {
		return err
	}

	started := time.Now()
	const dbName = "wedsync_bench"
	bdb, err := startBenchDB(ctx, dbName, benchDBOptions{AppConns: 4})
	if err != nil {
		return err
	}
	defer bdb.Close()
	cluster, admin, db := bdb.Cluster, bdb.Admin, bdb.DB

	const tz, cur = "America/New_York", "USD"
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return err
	}
	org, _, err := db.Signup(ctx, store.SignupInput{OrgName: "Evergreen Weddings Co.", Timezone: tz, Currency: cur,
		Email: "owner@evergreen.example", Name: "Maya Evergreen", Password: "correct-horse-battery"})
	if err != nil {
		return fmt.Errorf("signup: %w", err)
	}
	if _, err := admin.Exec(ctx, `update organizations set wedding_days = '{5,6,0}', daily_capacity = 100 where id = $1`, org); err != nil {
		return err
	}
	loadStart := time.Now()
	if err := loadDataset(ctx, admin, org, cur, loc, time.Now(), n, *seed); err != nil {
		return fmt.Errorf("load: %w", err)
	}
	loaded := time.Since(loadStart)
	maintenance := "analyze"
	if *vacuum {
		maintenance = "vacuum (analyze)"
	}
	if _, err := admin.Exec(ctx, maintenance); err != nil {
		return err
	}
	fmt.Printf("dataset: %d payments, %d bookings (+%d invoices, %d clients), %d inquiries, %d reviews over %d years; "+
		"COPY in %s, then %s in %s\n", n.payments, n.bookings, 2*n.bookings, n.bookings, n.inquiries, n.reviews, n.years,
		loaded.Round(time.Millisecond), maintenance, time.Since(loadStart.Add(loaded)).Round(time.Millisecond))

	loadBefore := loadAverage()
	recompute, bare, err := measureRecompute(ctx, db, admin, org, *runs)
	if err != nil {
		return err
	}
	render, size, err := measureRender(ctx, db, org, *renders)
	if err != nil {
		return err
	}
	cold, err := measureColdRender(ctx, db, org, 50)
	if err != nil {
		return err
	}
	fmt.Printf("machine: %d CPUs; load average (1, 5, 15 min) before the measurements %s, after %s\n",
		runtime.NumCPU(), loadBefore, loadAverage())
	fmt.Printf("dashboard page: %d bytes\n", size)
	fmt.Printf("RESULT recompute_full_ms %.1f ms\n", ms(percentile(recompute, 0.5)))
	fmt.Printf("RESULT recompute_full_p95_ms %.1f ms\n", ms(percentile(recompute, 0.95)))
	fmt.Printf("RESULT dashboard_render_p99_ms %.2f ms\n", ms(percentile(render, 0.99)))
	fmt.Printf("RESULT dashboard_render_p50_ms %.2f ms\n", ms(percentile(render, 0.5)))
	fmt.Printf("RESULT dashboard_render_cold_p50_ms %.2f ms\n", ms(percentile(cold, 0.5)))
	fmt.Printf("RESULT dashboard_render_cold_p99_ms %.2f ms\n", ms(percentile(cold, 0.99)))
	fmt.Printf("RESULT kpi_bare_sql_ms %.1f ms\n", ms(percentile(bare, 0.5)))
	fmt.Printf("RESULT kpi_bare_sql_p95_ms %.1f ms\n", ms(percentile(bare, 0.95)))
	fmt.Printf("RESULT recompute_full_ratio %.2f ratio\n", percentile(recompute, 0.5).Seconds()/percentile(bare, 0.5).Seconds())
	fmt.Printf("total: %s\n", time.Since(started).Round(time.Second))
	if *hold {
		fmt.Printf("holding the cluster until interrupted:\n  superuser: %s\n  app role:  %s\n  org id:    %d\n",
			cluster.URL(dbName, localpg.SuperUser), cluster.URL(dbName, migrations.AppRole), org)
		<-ctx.Done()
	}
	return nil
}

// measureRecompute alternates db.Recompute and the bare KPI SQL, runs times each after warm-up.
func measureRecompute(ctx context.Context, db *store.DB, admin *pgxpool.Pool, org int64, runs int) (recompute, bare []time.Duration, err error) {
	const warmup = 3
	for i := range warmup + runs {
		t0 := time.Now()
		res, err := db.Recompute(ctx, org, time.Now())
		if err != nil {
			return nil, nil, fmt.Errorf("recompute: %w", err)
		}
		d := time.Since(t0)
		if res.Stale {
			return nil, nil, fmt.Errorf("recompute: a newer snapshot was stored concurrently")
		}
		t0 = time.Now()
		if err := bareKPISQL(ctx, admin, org); err != nil {
			return nil, nil, fmt.Errorf("bare sql: %w", err)
		}
		if i >= warmup {
			recompute, bare = append(recompute, d), append(bare, time.Since(t0))
		}
	}
	return recompute, bare, nil
}

// bareKPISQL runs the recompute's queries (ComputeKPIsTx) on a superuser connection: no row level
// security, no JSON, no snapshot row, no NOTIFY.
func bareKPISQL(ctx context.Context, admin *pgxpool.Pool, org int64) error {
	tx, err := admin.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	_, err = store.ComputeKPIsTx(ctx, tx, org, time.Now())
	return err
}

// measureRender reads the latest snapshot and renders the whole dashboard page, runs times, the
// way the dashboard handler does: the first read after a new version decodes it and renders its
// regions once (a warm-up run here), and later reads of that version stitch those bytes.
func measureRender(ctx context.Context, db *store.DB, org int64, runs int) ([]time.Duration, int, error) {
	page := views.Page{Title: "Dashboard", Nav: "dashboard", CSRF: "bench-csrf-token", LiveURL: "/dashboard/stream?period=mtd",
		Viewer: &views.Viewer{UserName: "Maya Evergreen", Email: "owner@evergreen.example", OrgName: "Evergreen Weddings Co.",
			Role: "owner", CanAdmin: true}}
	var out []time.Duration
	var buf bytes.Buffer
	for i := range runs + 20 {
		t0 := time.Now()
		snap, err := db.LatestSnapshot(ctx, org)
		if err != nil {
			return nil, 0, err
		}
		buf.Reset()
		d := views.DashboardData{OrgName: "Evergreen Weddings Co.", KPIs: snap.KPIs, Version: snap.Version, Period: "mtd",
			Periods: snap.KPIs.Periods, BaseLink: "/dashboard", Now: time.Now()}
		// As the dashboard handler does: the regions are rendered once per snapshot version.
		if d.Regions, err = views.CachedRegions(ctx, snap, d); err != nil {
			return nil, 0, fmt.Errorf("render: %w", err)
		}
		if err := views.DashboardPage(page, d).Render(ctx, &buf); err != nil {
			return nil, 0, fmt.Errorf("render: %w", err)
		}
		if i >= 20 { // warm-up
			out = append(out, time.Since(t0))
		}
	}
	return out, buf.Len(), nil
}

// measureColdRender is the first page view of a new snapshot version, runs times: the snapshot
// read with its data and decoded, every region rendered, the page stitched.
func measureColdRender(ctx context.Context, db *store.DB, org int64, runs int) ([]time.Duration, error) {
	latest, err := db.LatestSnapshot(ctx, org)
	if err != nil {
		return nil, err
	}
	page := views.Page{Title: "Dashboard", Nav: "dashboard", CSRF: "bench-csrf-token", LiveURL: "/dashboard/stream?period=mtd"}
	var out []time.Duration
	var buf bytes.Buffer
	for range runs {
		t0 := time.Now()
		snap, err := db.SnapshotVersion(ctx, org, latest.Version) // a fresh copy: nothing rendered yet
		if err != nil {
			return nil, err
		}
		buf.Reset()
		d := views.DashboardData{OrgName: "Evergreen Weddings Co.", KPIs: snap.KPIs, Version: snap.Version, Period: "mtd",
			Periods: snap.KPIs.Periods, BaseLink: "/dashboard", Now: time.Now()}
		if d.Regions, err = views.CachedRegions(ctx, snap, d); err != nil {
			return nil, err
		}
		if err := views.DashboardPage(page, d).Render(ctx, &buf); err != nil {
			return nil, err
		}
		out = append(out, time.Since(t0))
	}
	return out, nil
}

// percentile is the nearest-rank percentile p (0 < p ≤ 1) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[max(int(math.Ceil(p*float64(len(s))))-1, 0)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}
