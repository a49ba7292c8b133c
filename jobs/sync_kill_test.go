package jobs_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/jobs/connector/stripe/stripetest"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/secret"
	"github.com/wedsync/wedsync/store/storetest"
)

// The crash test runs the job worker in a child process: this test binary, re-executed with
// these variables set, runs only the worker (see runSyncWorkerChild).
const (
	childEnvDB    = "WEDSYNC_KILLTEST_DB"
	childEnvKeys  = "WEDSYNC_KILLTEST_KEYS"
	childEnvFake  = "WEDSYNC_KILLTEST_STRIPE"
	killTestTotal = 20_000
)

// TestSyncSurvivesSIGKILLMidSync syncs 20,000 charges in a worker process, kills it with SIGKILL
// in the middle, starts a new worker, and checks the sync completes with every charge stored
// exactly once: each page's rows and cursor commit together, so the killed page is redone and
// nothing else is.
func TestSyncSurvivesSIGKILLMidSync(t *testing.T) {
	if os.Getenv(childEnvDB) != "" {
		runSyncWorkerChild(t)
		return
	}
	if testing.Short() {
		t.Skip("starts worker processes")
	}
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	spec := secret.Generate("kill1")
	keys, err := secret.Parse(spec)
	require.NoError(t, err)

	fake := stripetest.New(testStripeKey)
	base := time.Now().Add(-300 * 24 * time.Hour).Truncate(time.Second)
	var want int64
	fake.AddCharges(killTestTotal, func(i int) stripetest.Charge {
		want += int64(100 + i%5000)
		return stripetest.Charge{Amount: int64(100 + i%5000), Currency: "usd", Created: base.Add(time.Duration(i) * time.Minute), Fee: 3}
	})
	url, stop := fake.Start()
	t.Cleanup(stop)

	org, user := env.NewOrg(t, "Crash Test Photo", "America/New_York", "USD")
	in, err := env.DB.CreateIntegration(ctx, org, user, keys, store.IntegrationInput{Provider: "stripe",
		Secrets: map[string]string{"secret_key": testStripeKey}})
	require.NoError(t, err)
	_, err = env.Admin.Exec(ctx, "update integrations set next_run_at = now() + interval '1 day' where id = $1", in.ID)
	require.NoError(t, err)
	inserter, err := jobs.New(env.DB, slog.New(slog.NewTextHandler(io.Discard, nil)), jobs.Config{Keys: keys})
	require.NoError(t, err)
	queued, err := inserter.RequestSync(ctx, org, in.ID)
	require.NoError(t, err)
	require.True(t, queued)

	count := func() (n int) {
		require.NoError(t, env.Admin.QueryRow(ctx, "select count(*) from payments where integration_id = $1", in.ID).Scan(&n))
		return n
	}
	first := startWorkerChild(t, env.AppURL, spec, url)
	require.Eventually(t, func() bool { return count() >= 3_000 }, 60*time.Second, 5*time.Millisecond, "the first worker syncs")
	require.NoError(t, first.cmd.Process.Signal(syscall.SIGKILL))
	_ = first.cmd.Wait()
	killedAt, stored := time.Now(), count()
	t.Logf("killed after %d of %d charges", stored, killTestTotal)
	require.Less(t, stored, killTestTotal, "killed in the middle")
	var state string
	require.NoError(t, env.Admin.QueryRow(ctx, "select state::text from river_job where kind = 'sync_integration'").Scan(&state))
	require.Equal(t, "running", state, "the job died with its process")

	// A new worker rescues the stuck job once its attempt has timed out (and the dead leader's
	// lease has run out) and finishes the sync.
	second := startWorkerChild(t, env.AppURL, spec, url)
	require.Eventually(t, func() bool {
		require.NoError(t, env.Admin.QueryRow(ctx, "select state::text from river_job where kind = 'sync_integration'").Scan(&state))
		return state == "completed"
	}, 120*time.Second, 50*time.Millisecond, "the sync completes after restart; worker log:\n%s", second.log)
	t.Logf("restart to completion: %s", time.Since(killedAt).Round(time.Millisecond))

	var rows, distinct int
	var sum int64
	require.NoError(t, env.Admin.QueryRow(ctx, `select count(*), count(distinct external_id), sum(amount) from payments
		where integration_id = $1`, in.ID).Scan(&rows, &distinct, &sum))
	require.Equal(t, killTestTotal, rows)
	require.Equal(t, killTestTotal, distinct)
	require.Equal(t, want, sum)
	var created, updated int
	var runs int
	require.NoError(t, env.Admin.QueryRow(ctx, `select count(*), sum(created_count), sum(updated_count) from sync_runs
		where integration_id = $1`, in.ID).Scan(&runs, &created, &updated))
	require.Equal(t, killTestTotal, created, "every charge created once")
	require.Zero(t, updated, "no page was applied twice")
	require.Equal(t, 1, runs, "the rescued job continued its own run")
	got, err := env.DB.IntegrationByID(ctx, org, in.ID)
	require.NoError(t, err)
	require.Equal(t, int64(killTestTotal), got.RecordsSynced)
	require.Equal(t, store.IntegrationHealthy, got.Status)
}

type workerChild struct {
	cmd *exec.Cmd
	log *bytes.Buffer
}

// startWorkerChild re-executes this test binary as a worker process.
func startWorkerChild(t *testing.T, dbURL, keys, fakeURL string) *workerChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSyncSurvivesSIGKILLMidSync$", "-test.count=1", "-test.timeout=10m")
	cmd.Env = append(os.Environ(), childEnvDB+"="+dbURL, childEnvKeys+"="+keys, childEnvFake+"="+fakeURL)
	w := &workerChild{cmd: cmd, log: &bytes.Buffer{}}
	cmd.Stdout, cmd.Stderr = w.log, w.log
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return w
}

// runSyncWorkerChild is the child process: a River worker on the parent's database with short
// attempts (so a dead one is rescued after 2 s), running until it is killed.
func runSyncWorkerChild(t *testing.T) {
	db, err := store.Open(context.Background(), os.Getenv(childEnvDB), store.Options{MaxConns: 10})
	require.NoError(t, err)
	keys, err := secret.Parse(os.Getenv(childEnvKeys))
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	runner, err := jobs.New(db, log, jobs.Config{Work: true, Keys: keys, Sync: jobs.SyncConfig{
		BaseURLs:  map[string]string{"stripe": strings.TrimSpace(os.Getenv(childEnvFake))},
		JobBudget: 300 * time.Millisecond, JobTimeout: 2 * time.Second, RescueStuckJobsAfter: 2 * time.Second,
		RetryBase: 100 * time.Millisecond, RetryMax: time.Second, ScheduleEvery: time.Hour,
	}})
	require.NoError(t, err)
	require.NoError(t, runner.Start(context.Background()))
	time.Sleep(5 * time.Minute) // until the parent kills this process
}
