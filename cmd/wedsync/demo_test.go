package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/store/demo"
	"github.com/wedsync/wedsync/store/secret"
	"github.com/wedsync/wedsync/store/storetest"
)

// serveDemo starts `wedsync serve --demo` from this test binary on env's database and waits until
// it is ready; stop ends it (SIGINT) and waits.
func serveDemo(t *testing.T, env *storetest.Env, key string) (url string, stop func()) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	url = "http://" + addr
	cmd := exec.Command(os.Args[0], "serve", "--demo", "--addr", addr, "--log-level", "warn")
	cmd.Env = append(os.Environ(), "WEDSYNC_TEST_RUN_MAIN=1", "DATABASE_URL="+env.AdminURL,
		"WEDSYNC_APP_DATABASE_URL="+env.AppURL, "WEDSYNC_SECRET_KEY="+key, "WEDSYNC_BASE_URL="+url,
		"WEDSYNC_DATA_DIR="+t.TempDir(), "WEDSYNC_DEMO_ACTIVITY_EVERY=off")
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	require.NoError(t, cmd.Start())
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
		}
	}
	t.Cleanup(stop)
	require.Eventually(t, func() bool {
		resp, err := http.Get(url + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 60*time.Second, 50*time.Millisecond, "serve --demo ready")
	return url, stop
}

// TestServeDemoSandboxesSyncAndDemoActivityPaysThroughTheWebhook runs `serve --demo` on a fresh
// database: the demo organization gets a Stripe and a Square integration pointed at sandboxes in
// the serving process, whose first scheduled syncs store the sandboxes' recent payments; a
// demo_activity payment goes to the Stripe sandbox and reaches us through a signed webhook
// (stored event, process_webhook) as a payment of a real booking; a restart finds the same
// integrations and sandboxes that still hold what was synced, so a sync duplicates nothing.
//
// Not parallel: every `serve` start migrates, and migrating sets the app role's password, which
// PostgreSQL refuses ("tuple concurrently updated") while another process of the same cluster
// does the same (roles are cluster-wide); running alone, it never meets the other tests' servers.
func TestServeDemoSandboxesSyncAndDemoActivityPaysThroughTheWebhook(t *testing.T) {
	env := storetest.New(t)
	ctx := context.Background()
	key := secret.Generate("t1")
	_, stop := serveDemo(t, env, key)

	type integ struct {
		id                 int64
		provider, publicID string
	}
	var org int64
	require.NoError(t, env.Admin.QueryRow(ctx, "select id from organizations where name = $1", demo.OrgName).Scan(&org))
	var integs []integ
	rows, err := env.Admin.Query(ctx, "select id, provider, public_id from integrations where org_id = $1 order by provider", org)
	require.NoError(t, err)
	for rows.Next() {
		var in integ
		require.NoError(t, rows.Scan(&in.id, &in.provider, &in.publicID))
		integs = append(integs, in)
	}
	require.NoError(t, rows.Err())
	require.Len(t, integs, 2)
	require.Equal(t, []string{"square", "stripe"}, []string{integs[0].provider, integs[1].provider})
	square, stripe := integs[0], integs[1]

	// The first scheduled syncs store what the sandboxes hold.
	synced := func(id int64) (runs, created int) {
		require.NoError(t, env.Admin.QueryRow(ctx, `select count(*), coalesce(sum(created_count), 0) from sync_runs
			where integration_id = $1 and status = 'succeeded'`, id).Scan(&runs, &created))
		return
	}
	require.Eventually(t, func() bool {
		sr, sc := synced(stripe.id)
		qr, qc := synced(square.id)
		return sr > 0 && sc > 0 && qr > 0 && qc > 0
	}, 90*time.Second, 100*time.Millisecond, "both demo integrations synced rows")
	paymentsOf := func(id int64) (n int, linked int) {
		require.NoError(t, env.Admin.QueryRow(ctx, "select count(*), count(booking_id) from payments where integration_id = $1", id).Scan(&n, &linked))
		return
	}
	stripeRows, stripeLinked := paymentsOf(stripe.id)
	squareRows, squareLinked := paymentsOf(square.id)
	require.Positive(t, stripeRows)
	require.Positive(t, squareRows)
	require.Equal(t, stripeRows, stripeLinked, "card payments are linked to their bookings by metadata.booking_id")
	require.Equal(t, squareRows, squareLinked, "studio sales are linked by reference_id")

	// A demo_activity payment: Stripe sandbox, then our webhook.
	inserter, err := jobs.New(env.DB, slog.New(slog.NewTextHandler(io.Discard, nil)), jobs.Config{})
	require.NoError(t, err)
	_, err = inserter.Client.Insert(ctx, jobs.DemoActivityArgs{Action: jobs.DemoActionPayment}, nil)
	require.NoError(t, err)
	var amount, contract int64
	var eventType, note string
	require.Eventually(t, func() bool {
		err := env.Admin.QueryRow(ctx, `select p.amount, b.contract_amount, e.event_type, p.note
			from webhook_events e
				join payments p on p.integration_id = e.integration_id and p.external_id = e.payload->'data'->'object'->>'id'
				join bookings b on b.id = p.booking_id
			where e.integration_id = $1 and e.processed_at is not null`, stripe.id).Scan(&amount, &contract, &eventType, &note)
		return err == nil
	}, 30*time.Second, 50*time.Millisecond, "the demo payment arrives through the Stripe webhook")
	require.Equal(t, "charge.succeeded", eventType)
	require.True(t, amount == (contract*3+5)/10 || amount < contract, "a deposit or a balance of the booking: %d of %d", amount, contract)
	require.Regexp(t, `^(Deposit|Balance) for `, note)
	t.Logf("first syncs: %d Stripe and %d Square payments; webhook payment %q of %d (contract %d)", stripeRows, squareRows, note, amount, contract)
	stripeRows++

	// A restart: the same two integrations, sandboxes rebuilt from what they synced, so another
	// sync of each creates nothing.
	stop()
	_, err = env.Admin.Exec(ctx, "update integrations set next_run_at = now() where org_id = $1", org)
	require.NoError(t, err)
	before := map[int64]int{}
	for _, in := range integs {
		before[in.id], _ = synced(in.id)
	}
	serveDemo(t, env, key)
	require.Eventually(t, func() bool {
		for _, in := range integs {
			if runs, _ := synced(in.id); runs <= before[in.id] {
				return false
			}
		}
		return true
	}, 90*time.Second, 100*time.Millisecond, "both integrations synced again after the restart")
	var n int
	require.NoError(t, env.Admin.QueryRow(ctx, "select count(*) from integrations where org_id = $1", org).Scan(&n))
	require.Equal(t, 2, n)
	for _, in := range integs {
		var created int
		require.NoError(t, env.Admin.QueryRow(ctx, `select created_count from sync_runs where integration_id = $1 and status = 'succeeded'
			order by id desc limit 1`, in.id).Scan(&created))
		require.Zerof(t, created, "%s: the restarted sandbox holds what was synced, nothing new", in.provider)
	}
	got, _ := paymentsOf(stripe.id)
	require.Equal(t, stripeRows, got)
	got, _ = paymentsOf(square.id)
	require.Equal(t, squareRows, got)
}
