package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/jobs/connector/stripe/stripetest"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/secret"
	"github.com/wedsync/wedsync/store/storetest"
)

const testStripeKey = "sk_test_51FakeKeyForWedSyncTests4242"

// syncFixture is a database, a running job runner with fast retries, a Stripe fake on loopback
// and one organization with a Stripe integration pointed at the fake.
type syncFixture struct {
	env    *storetest.Env
	keys   *secret.Keyring
	runner *jobs.Runner
	fake   *stripetest.Server
	org    int64
	user   int64
	integ  store.Integration
}

func newSyncFixture(t *testing.T, tune func(*jobs.SyncConfig)) *syncFixture {
	t.Helper()
	f := &syncFixture{env: storetest.New(t), fake: stripetest.New(testStripeKey)}
	url, stop := f.fake.Start()
	t.Cleanup(stop)
	var err error
	f.keys, err = secret.Parse(secret.Generate("t1"))
	require.NoError(t, err)
	sc := jobs.SyncConfig{BaseURLs: map[string]string{"stripe": url}, ScheduleEvery: time.Hour,
		RetryBase: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond, ProgressEvery: time.Millisecond,
		AllowPrivateURLs: true} // the fakes listen on loopback
	if tune != nil {
		tune(&sc)
	}
	f.runner, err = jobs.New(f.env.DB, slog.New(slog.NewTextHandler(io.Discard, nil)), jobs.Config{Work: true, Keys: f.keys, Sync: sc})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, f.runner.Start(ctx))
	t.Cleanup(func() {
		stopCtx, c := context.WithTimeout(context.Background(), 10*time.Second)
		defer c()
		_ = f.runner.Stop(stopCtx)
		cancel()
	})
	f.org, f.user = f.env.NewOrg(t, "Sync Studio", "Europe/London", "GBP")
	f.integ = f.newIntegration(t, f.org, f.user, "15")
	return f
}

// newIntegration adds a Stripe integration whose next run is an hour away (syncs are asked for).
func (f *syncFixture) newIntegration(t *testing.T, org, user int64, interval string) store.Integration {
	t.Helper()
	ctx := context.Background()
	in, err := f.env.DB.CreateIntegration(ctx, org, user, f.keys, store.IntegrationInput{Provider: "stripe", Name: "Stripe",
		IntervalMinutes: interval, Secrets: map[string]string{"secret_key": testStripeKey, "webhook_secret": "whsec_fixture_secret_0001"}})
	require.NoError(t, err)
	_, err = f.env.Admin.Exec(ctx, "update integrations set next_run_at = now() + interval '1 hour' where id = $1", in.ID)
	require.NoError(t, err)
	return in
}

// syncNow asks for a sync and waits until the integration has no sync job left waiting or running.
func (f *syncFixture) syncNow(t *testing.T) {
	t.Helper()
	queued, err := f.runner.RequestSync(context.Background(), f.org, f.integ.ID)
	require.NoError(t, err)
	require.True(t, queued)
	f.waitIdle(t, 20*time.Second)
}

// waitIdle waits until no sync job of the fixture's integration is waiting, running or retrying.
func (f *syncFixture) waitIdle(t *testing.T, within time.Duration) {
	t.Helper()
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, f.env.Admin.QueryRow(context.Background(), `select count(*) from river_job where kind = 'sync_integration'
			and (args->>'integration_id')::bigint = $1 and state in ('available', 'running', 'retryable', 'scheduled', 'pending')`,
			f.integ.ID).Scan(&n))
		return n == 0
	}, within, 10*time.Millisecond, "sync jobs finish")
}

func (f *syncFixture) runs(t *testing.T) []store.SyncRun {
	t.Helper()
	runs, err := f.env.DB.SyncRuns(context.Background(), f.org, f.integ.ID, 100)
	require.NoError(t, err)
	return runs
}

func (f *syncFixture) reload(t *testing.T) store.Integration {
	t.Helper()
	in, err := f.env.DB.IntegrationByID(context.Background(), f.org, f.integ.ID)
	require.NoError(t, err)
	return in
}

func (f *syncFixture) payments(t *testing.T) (rows, distinct int, sum int64) {
	t.Helper()
	require.NoError(t, f.env.Admin.QueryRow(context.Background(), `select count(*), count(distinct external_id), coalesce(sum(amount), 0)
		from payments where integration_id = $1`, f.integ.ID).Scan(&rows, &distinct, &sum))
	return rows, distinct, sum
}

// jobRow reads the newest sync job of the integration.
func (f *syncFixture) jobRow(t *testing.T) (state string, attempt int, errs int, scheduledAt time.Time) {
	t.Helper()
	require.NoError(t, f.env.Admin.QueryRow(context.Background(), `select state::text, attempt, coalesce(array_length(errors, 1), 0), scheduled_at
		from river_job where kind = 'sync_integration' and (args->>'integration_id')::bigint = $1 order by id desc limit 1`,
		f.integ.ID).Scan(&state, &attempt, &errs, &scheduledAt))
	return state, attempt, errs, scheduledAt
}
