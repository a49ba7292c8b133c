package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/jobs/connector/stripe/stripetest"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/secret"
	"github.com/wedsync/wedsync/store/storetest"
)

// TestSyncPagesThroughDuplicatesAndEmptyPagesOnce pages 250 charges through a fake that repeats
// a charge on every page and answers every third request with an empty page that claims more:
// every charge becomes exactly one payment, and a second sync creates nothing.
func TestSyncPagesThroughDuplicatesAndEmptyPagesOnce(t *testing.T) {
	t.Parallel()
	f := newSyncFixture(t, nil)
	base := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
	var want int64
	f.fake.AddCharges(250, func(i int) stripetest.Charge {
		want += int64(1000 + i)
		return stripetest.Charge{Amount: int64(1000 + i), Currency: "gbp", Created: base.Add(time.Duration(i) * time.Minute)}
	})
	f.fake.SetDuplicates(true)
	f.fake.SetEmptyPageEvery(3)
	f.syncNow(t)

	rows, distinct, sum := f.payments(t)
	require.Equal(t, 250, rows)
	require.Equal(t, 250, distinct)
	require.Equal(t, want, sum)
	runs := f.runs(t)
	require.Len(t, runs, 1)
	require.Equal(t, "succeeded", runs[0].Status)
	require.Equal(t, jobs.TriggerManual, runs[0].Trigger)
	require.Equal(t, 250, runs[0].Counts.Created)
	require.Positive(t, runs[0].Counts.Updated, "duplicates are updates, not new rows")
	in := f.reload(t)
	require.Equal(t, store.IntegrationHealthy, in.Status)
	require.NotNil(t, in.LastSuccessAt)
	require.WithinDuration(t, time.Now().Add(15*time.Minute), in.NextRunAt, time.Minute)
	require.Equal(t, int64(250+runs[0].Counts.Updated), in.RecordsSynced)

	// The next sync re-reads only the last week and creates nothing new.
	f.fake.SetDuplicates(false)
	f.fake.SetEmptyPageEvery(0)
	f.syncNow(t)
	runs = f.runs(t)
	require.Len(t, runs, 2)
	require.Zero(t, runs[0].Counts.Created)
	rows, _, _ = f.payments(t)
	require.Equal(t, 250, rows)
}

// TestSyncRateLimitedSnoozesForRetryAfter: a 429 with Retry-After 3 snoozes the job for three
// seconds without counting a failure, then the sync continues and succeeds.
func TestSyncRateLimitedSnoozesForRetryAfter(t *testing.T) {
	t.Parallel()
	f := newSyncFixture(t, nil)
	f.fake.AddCharges(30, func(i int) stripetest.Charge { return stripetest.Charge{Amount: 500} })
	f.fake.FailNext(stripetest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "3"})
	queued, err := f.runner.RequestSync(context.Background(), f.org, f.integ.ID)
	require.NoError(t, err)
	require.True(t, queued)
	require.Eventually(t, func() bool {
		runs := f.runs(t)
		return len(runs) > 0 && runs[len(runs)-1].Status == "failed"
	}, 10*time.Second, 10*time.Millisecond)
	failedAt := time.Now()
	first := f.runs(t)[0]
	require.Equal(t, "rate_limited", first.ErrorClass)
	in := f.reload(t)
	require.Equal(t, store.IntegrationDegraded, in.Status)
	require.Zero(t, in.ConsecutiveFailures, "a rate limit is not a failure")
	var attempt int
	var scheduledAt time.Time
	require.Eventually(t, func() bool { // River records the snooze just after Work returns
		_, attempt, _, scheduledAt = f.jobRow(t)
		return scheduledAt.After(failedAt)
	}, 5*time.Second, 5*time.Millisecond)
	require.InDelta(t, 3.0, scheduledAt.Sub(failedAt).Seconds(), 0.6, "snoozed for Retry-After")
	require.LessOrEqual(t, attempt, 1, "a snooze does not use up an attempt")

	f.waitIdle(t, 15*time.Second)
	runs := f.runs(t)
	require.Equal(t, "succeeded", runs[0].Status)
	require.GreaterOrEqual(t, runs[0].StartedAt.Sub(failedAt), 2*time.Second)
	require.Equal(t, store.IntegrationHealthy, f.reload(t).Status)
}

// TestSyncServerErrorsRetryWithBackoff: two 500s are retried (River records both errors) and the
// third attempt succeeds.
func TestSyncServerErrorsRetryWithBackoff(t *testing.T) {
	t.Parallel()
	f := newSyncFixture(t, nil)
	f.fake.AddCharges(10, func(i int) stripetest.Charge { return stripetest.Charge{Amount: 700} })
	f.fake.FailNext(stripetest.Fault{Status: http.StatusInternalServerError, Times: 2})
	f.syncNow(t)
	runs := f.runs(t)
	require.Len(t, runs, 3)
	require.Equal(t, "succeeded", runs[0].Status)
	for _, r := range runs[1:] {
		require.Equal(t, "failed", r.Status)
		require.Equal(t, "provider_down", r.ErrorClass)
	}
	state, attempt, errs, _ := f.jobRow(t)
	require.Equal(t, "completed", state)
	require.Equal(t, 3, attempt)
	require.Equal(t, 2, errs)
	rows, _, _ := f.payments(t)
	require.Equal(t, 10, rows)
	in := f.reload(t)
	require.Equal(t, store.IntegrationHealthy, in.Status)
	require.Zero(t, in.ConsecutiveFailures)
}

// TestSyncCredentialErrorNeedsReauthWithoutRetry: a 401 marks the integration needs_reauth and
// cancels the job after one request; the scheduler skips it until new credentials are saved.
func TestSyncCredentialErrorNeedsReauthWithoutRetry(t *testing.T) {
	t.Parallel()
	f := newSyncFixture(t, nil)
	f.fake.RevokeKey(testStripeKey)
	f.syncNow(t)
	require.Equal(t, 1, f.fake.Requests(), "no retry")
	state, attempt, _, _ := f.jobRow(t)
	require.Equal(t, "cancelled", state)
	require.Equal(t, 1, attempt)
	in := f.reload(t)
	require.Equal(t, store.IntegrationNeedsReauth, in.Status)
	require.Equal(t, "credentials", in.LastErrorClass)
	require.NotContains(t, in.LastError, testStripeKey, "the error names a redacted key at most")

	ctx := context.Background()
	_, err := f.env.Admin.Exec(ctx, "update integrations set next_run_at = now() - interval '1 minute' where id = $1", f.integ.ID)
	require.NoError(t, err)
	n, err := f.runner.ScheduleDueSyncs(ctx, time.Now(), 100)
	require.NoError(t, err)
	require.Zero(t, n, "needs_reauth is not scheduled")

	// New credentials bring it back, due at once.
	const newKey = "sk_test_51RotatedKeyForWedSync9999"
	f.fake.AddKey(newKey)
	require.NoError(t, f.env.DB.UpdateIntegration(ctx, f.org, f.user, f.keys, f.integ.PublicID, store.IntegrationInput{
		Provider: "stripe", Name: "Stripe", IntervalMinutes: "15", Secrets: map[string]string{"secret_key": newKey}}))
	in = f.reload(t)
	require.Equal(t, store.IntegrationHealthy, in.Status)
	n, err = f.runner.ScheduleDueSyncs(ctx, time.Now(), 100)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	f.waitIdle(t, 10*time.Second)
	require.Equal(t, "succeeded", f.runs(t)[0].Status)
}

// TestRepeatedFailuresPauseTheIntegration: after PauseAfterFailures failed attempts in a row the
// integration pauses itself, the job stops retrying and the alert hook is called once.
func TestRepeatedFailuresPauseTheIntegration(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var pauses []jobs.AutoPause
	f := newSyncFixture(t, func(c *jobs.SyncConfig) {
		c.PauseAfterFailures = 4
		c.OnAutoPause = func(_ context.Context, p jobs.AutoPause) error {
			mu.Lock()
			defer mu.Unlock()
			pauses = append(pauses, p)
			return nil
		}
	})
	f.fake.FailNext(stripetest.Fault{Status: http.StatusServiceUnavailable, Times: 100})
	f.syncNow(t)
	in := f.reload(t)
	require.Equal(t, store.IntegrationPaused, in.Status)
	require.Equal(t, "failures", in.PausedReason)
	require.Equal(t, 4, in.ConsecutiveFailures)
	require.Equal(t, 4, f.fake.Requests())
	state, _, _, _ := f.jobRow(t)
	require.Equal(t, "cancelled", state)
	mu.Lock()
	require.Len(t, pauses, 1)
	require.Equal(t, f.integ.PublicID, pauses[0].PublicID)
	require.Equal(t, 4, pauses[0].Failures)
	mu.Unlock()

	// Resuming clears the streak and makes it due.
	require.NoError(t, f.env.DB.ResumeIntegration(context.Background(), f.org, f.user, f.integ.PublicID))
	in = f.reload(t)
	require.Equal(t, store.IntegrationHealthy, in.Status)
	require.Zero(t, in.ConsecutiveFailures)
	require.False(t, in.NextRunAt.After(time.Now()))
}

// TestFailingForThreeDaysPauses: a streak that began three days ago pauses at the next failure.
func TestFailingForThreeDaysPauses(t *testing.T) {
	t.Parallel()
	f := newSyncFixture(t, nil)
	_, err := f.env.Admin.Exec(context.Background(), `update integrations set consecutive_failures = 2, status = 'degraded',
		failing_since = now() - interval '73 hours' where id = $1`, f.integ.ID)
	require.NoError(t, err)
	f.fake.FailNext(stripetest.Fault{Status: http.StatusBadGateway})
	f.syncNow(t)
	in := f.reload(t)
	require.Equal(t, store.IntegrationPaused, in.Status)
	require.Equal(t, 1, f.fake.Requests())
}

// TestSchedulingPicksOnlyDueIntegrations: the sweep enqueues integrations whose next run has
// come, across organizations, skipping paused, needs_reauth and not-yet-due ones, and never
// twice while a sync is waiting.
func TestSchedulingPicksOnlyDueIntegrations(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	keys, err := secret.Parse(secret.Generate("t1"))
	require.NoError(t, err)
	// An insert-only runner: nothing works the jobs, so they stay queued for inspection.
	runner, err := jobs.New(env.DB, slog.New(slog.NewTextHandler(io.Discard, nil)), jobs.Config{Keys: keys})
	require.NoError(t, err)
	org1, user1 := env.NewOrg(t, "One", "UTC", "USD")
	org2, user2 := env.NewOrg(t, "Two", "UTC", "USD")
	add := func(org, user int64, status, next string) int64 {
		in, err := env.DB.CreateIntegration(ctx, org, user, keys, store.IntegrationInput{Provider: "stripe",
			Secrets: map[string]string{"secret_key": testStripeKey}})
		require.NoError(t, err)
		_, err = env.Admin.Exec(ctx, "update integrations set status = $2, next_run_at = now() + $3::interval where id = $1", in.ID, status, next)
		require.NoError(t, err)
		return in.ID
	}
	due1 := add(org1, user1, "healthy", "-1 minute")
	due2 := add(org2, user2, "failing", "-10 minutes")
	add(org1, user1, "healthy", "5 minutes")
	add(org2, user2, "paused", "-1 hour")
	add(org1, user1, "needs_reauth", "-1 hour")

	n, err := runner.ScheduleDueSyncs(ctx, time.Now(), 100)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	rows, err := env.Admin.Query(ctx, `select (args->>'integration_id')::bigint, (args->>'org_id')::bigint, args->>'trigger', queue
		from river_job where kind = 'sync_integration' order by 1`)
	require.NoError(t, err)
	type job struct {
		ID, Org        int64
		Trigger, Queue string
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[job])
	require.NoError(t, err)
	require.Equal(t, []job{{due1, org1, jobs.TriggerSchedule, jobs.QueueSync}, {due2, org2, jobs.TriggerSchedule, jobs.QueueSync}}, got)

	// The next sweep adds nothing while those wait; a manual "Sync now" is a duplicate too.
	n, err = runner.ScheduleDueSyncs(ctx, time.Now(), 100)
	require.NoError(t, err)
	require.Zero(t, n)
	queued, err := runner.RequestSync(ctx, org1, due1)
	require.NoError(t, err)
	require.False(t, queued)

	// Ten minutes on, the later one is due as well.
	n, err = runner.ScheduleDueSyncs(ctx, time.Now().Add(10*time.Minute), 100)
	require.NoError(t, err)
	require.Equal(t, 1, n)
}

// TestSyncQueueLimitsConcurrency: ten integrations due at once never have more than
// MaxSyncWorkers syncs talking to the provider at the same time.
func TestSyncQueueLimitsConcurrency(t *testing.T) {
	t.Parallel()
	fake := stripetest.New(testStripeKey)
	fake.AddCharges(3, func(i int) stripetest.Charge { return stripetest.Charge{Amount: 100} })
	fake.SetPageDelay(150 * time.Millisecond)
	var mu sync.Mutex
	inFlight, peak := 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		peak = max(peak, inFlight)
		mu.Unlock()
		defer func() { mu.Lock(); inFlight--; mu.Unlock() }()
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f := newSyncFixture(t, func(c *jobs.SyncConfig) { c.BaseURLs = map[string]string{"stripe": srv.URL} })
	ctx := context.Background()
	ids := []int64{f.integ.ID}
	for i := 0; i < 9; i++ {
		ids = append(ids, f.newIntegration(t, f.org, f.user, "15").ID)
	}
	for _, id := range ids {
		_, err := f.runner.RequestSync(ctx, f.org, id)
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, f.env.Admin.QueryRow(ctx, "select count(*) from sync_runs where status = 'succeeded'").Scan(&n))
		return n == len(ids)
	}, 30*time.Second, 20*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	t.Logf("peak concurrent syncs: %d", peak)
	require.LessOrEqual(t, peak, jobs.MaxSyncWorkers)
	require.Greater(t, peak, 1, "syncs do run side by side")
}
