package main

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/migrations"
	"github.com/wedsync/wedsync/store/localpg"
	"github.com/wedsync/wedsync/store/secret"
)

// Bounds of the PostgreSQL restart test.
const (
	chaosStreams = 1000
	// chaosOutage is how long the database stays down.
	chaosOutage = 3 * time.Second
	// chaosConverge: every stream shows the newest snapshot this soon after the database is back.
	chaosConverge = 5 * time.Second
	// chaosSettle: from this long after the database is back, no request may fail at all (the
	// pool's first attempts may still meet a connection of the old server and answer a clean 503).
	chaosSettle = time.Second
)

// chaosCluster is a private cluster on a data directory that survives a stop, so the test can
// stop PostgreSQL and start it again on the same port, as a database failover or restart would.
type chaosCluster struct {
	dir  string
	port int
	*localpg.Cluster
}

func startChaosCluster(t *testing.T) *chaosCluster {
	base, err := os.MkdirTemp("", "wedsync-chaos-")
	require.NoError(t, err)
	require.NoError(t, os.Chmod(base, 0o755)) // the postgres user must enter it
	c := &chaosCluster{dir: filepath.Join(base, "data")}
	t.Cleanup(func() {
		if c.Cluster != nil {
			_ = c.Stop()
		}
		_ = os.RemoveAll(base)
	})
	c.start(t)
	c.port = c.Port()
	return c
}

func (c *chaosCluster) start(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl, err := localpg.Start(ctx, localpg.Options{DataDir: c.dir, Port: c.port, Throwaway: true, MaxConnections: 200})
	require.NoError(t, err)
	c.Cluster = cl
}

func (c *chaosCluster) stop(t *testing.T) {
	require.NoError(t, c.Stop()) // pg_ctl stop -m fast: every connection is terminated
}

// TestPostgresRestartWith1000StreamsConvergesWithoutErrorBurst runs a real serve process with
// 1,000 open dashboard streams and a steady page loop, stops PostgreSQL for three seconds and
// starts it again on the same port, then records a payment through the form. Every stream shows
// the snapshot with the payment within 5 seconds of the database coming back; a job scheduled
// for the outage and the payment's recompute both complete; and no page answers 500: while the
// database is away pages answer 503 with Retry-After, and a second after it is back every page
// answers 200 again.
func TestPostgresRestartWith1000StreamsConvergesWithoutErrorBurst(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts PostgreSQL under a server process with 1,000 streams")
	}
	ctx := context.Background()
	cluster := startChaosCluster(t)
	require.NoError(t, createChaosDatabase(ctx, cluster.Cluster))
	adminURL, appURL := cluster.URL("wedsync", localpg.SuperUser), cluster.URL("wedsync", migrations.AppRole)
	owner, err := pgxpool.New(ctx, adminURL)
	require.NoError(t, err)
	defer owner.Close()
	_, err = migrations.Apply(ctx, owner, "")
	require.NoError(t, err)
	p := startServe(t, adminURL, appURL, secret.Generate("t1"))

	user := signup(t, p, "Failover Floral Studio")
	status, _ := user.get(p.URL + "/dashboard") // the first dashboard asks for the first snapshot
	require.Equal(t, http.StatusOK, status)
	var org int64
	require.NoError(t, owner.QueryRow(ctx, "select id from organizations where name = 'Failover Floral Studio'").Scan(&org))

	streamCtx, cancelStreams := context.WithCancel(ctx)
	defer cancelStreams()
	streams := openStreams(streamCtx, t, p.Addr, "/dashboard/stream", user.cookieHeader(p.URL), chaosStreams, true)
	pages := runStatusLoop(streamCtx, user, p.URL+"/dashboard", 25*time.Millisecond)

	// A job due in the middle of the outage: it must run once the database is back.
	inserter, err := river.NewClient(riverpgxv5.New(owner), &river.Config{})
	require.NoError(t, err)
	scheduled, err := inserter.Insert(ctx, jobs.RecomputeArgs{OrgID: org}, &river.InsertOpts{ScheduledAt: time.Now().Add(chaosOutage / 2)})
	require.NoError(t, err)

	time.Sleep(500 * time.Millisecond)
	downAt := time.Now()
	cluster.stop(t)
	time.Sleep(chaosOutage)
	cluster.start(t)
	upAt := time.Now()
	t.Logf("PostgreSQL down for %s", upAt.Sub(downAt).Round(time.Millisecond))

	// A payment through the form as soon as the server takes it (a browser would retry the same).
	var payAt time.Time
	require.Eventually(t, func() bool {
		if status, _ := user.get(p.URL + "/records/payments/new"); status != http.StatusOK {
			return false
		}
		paidAt := time.Now().In(mustLoc(t, "America/New_York")).Format("2006-01-02T15:04")
		status, _ := user.post(p.URL+"/records/payments", url.Values{"amount": {"2500.00"}, "currency": {"USD"},
			"status": {"succeeded"}, "paid_at": {paidAt}, "refunded_amount": {"0"}, "fee": {"0"}})
		payAt = time.Now()
		return status == http.StatusSeeOther
	}, chaosConverge, 20*time.Millisecond, "the payment form works again")
	t.Logf("payment recorded %s after the database came back", payAt.Sub(upAt).Round(time.Millisecond))

	// The newest snapshot: the one that includes the payment.
	admin, err := pgx.Connect(ctx, adminURL)
	require.NoError(t, err)
	defer admin.Close(ctx)
	var target int64
	require.Eventually(t, func() bool {
		var changed, computed int64
		err := admin.QueryRow(ctx, "select change_seq, computed_seq, snapshot_version from org_metric_state where org_id = $1",
			org).Scan(&changed, &computed, &target)
		return err == nil && computed >= changed
	}, chaosConverge, 10*time.Millisecond, "the payment's recompute runs after the restart")

	var convergedAt time.Time
	require.Eventually(t, func() bool {
		if minVersion(streams) >= target {
			convergedAt = time.Now()
			return true
		}
		return false
	}, time.Until(upAt.Add(chaosConverge)), 10*time.Millisecond,
		"every stream shows snapshot version %d within %s of the database coming back", target, chaosConverge)
	ends, reconnects := 0, 0
	for _, s := range streams {
		ends += int(s.ends.Load())
		reconnects += int(s.connects.Load()) - 1
	}
	t.Logf("RESULT chaos_converge_ms %d ms (all %d streams at version %d after the database came back)",
		convergedAt.Sub(upAt).Milliseconds(), len(streams), target)
	t.Logf("streams ended by the server: %d, reconnections: %d", ends, reconnects)

	var state string
	require.Eventually(t, func() bool {
		return admin.QueryRow(ctx, "select state from river_job where id = $1", scheduled.Job.ID).Scan(&state) == nil &&
			state == "completed"
	}, chaosConverge, 20*time.Millisecond, "the job due during the outage completes after it")

	time.Sleep(2 * time.Second) // a steady stretch after recovery
	end := time.Now()
	outage := pages.between(downAt, upAt.Add(chaosSettle))
	after := pages.between(upAt.Add(chaosSettle), end)
	t.Logf("pages while down and settling: %s; after: %s", describe(outage), describe(after))
	for _, a := range pages.between(upAt, end) {
		if a.status != http.StatusOK {
			t.Logf("after the database came back: %d at +%s", a.status, a.at.Sub(upAt).Round(time.Millisecond))
		}
	}
	all, unclean := count5xx(outage)
	t.Logf("RESULT chaos_5xx_outage %d count (%d not a 503 with Retry-After)", all, unclean)
	require.Zero(t, unclean, "while the database is away pages answer 503 with Retry-After, never another 5xx")
	all, _ = count5xx(after)
	t.Logf("RESULT chaos_5xx_after_recovery %d count", all)
	require.NotEmpty(t, after)
	for _, a := range after {
		require.Equal(t, http.StatusOK, a.status, "every page answers 200 once the database is back (at %s)", a.at.Sub(upAt))
	}
}

func createChaosDatabase(ctx context.Context, c *localpg.Cluster) error {
	root, err := pgx.Connect(ctx, c.URL("postgres", localpg.SuperUser))
	if err != nil {
		return err
	}
	defer root.Close(ctx)
	_, err = root.Exec(ctx, "create database wedsync")
	return err
}
