package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/secret"
	"github.com/wedsync/wedsync/store/storetest"
)

// TestSchedulingPagesThroughMoreDueThanOneBatch: when more integrations are due than one batch
// holds (some sharing a next-run time), one sweep enqueues every one of them exactly once, so
// a large tenant base never falls behind its schedule.
func TestSchedulingPagesThroughMoreDueThanOneBatch(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	keys, err := secret.Parse(secret.Generate("t1"))
	require.NoError(t, err)
	runner, err := jobs.New(env.DB, slog.New(slog.NewTextHandler(io.Discard, nil)), jobs.Config{Keys: keys})
	require.NoError(t, err)
	org, user := env.NewOrg(t, "Many Integrations", "UTC", "USD")
	const due = 7
	for i := range due + 2 {
		in, err := env.DB.CreateIntegration(ctx, org, user, keys, store.IntegrationInput{Provider: "stripe",
			Secrets: map[string]string{"secret_key": testStripeKey}})
		require.NoError(t, err)
		next := "-1 minute" // ties across batch boundaries: the keyset includes the id
		if i%3 == 0 {
			next = "-5 minutes"
		}
		if i >= due {
			next = "5 minutes"
		}
		_, err = env.Admin.Exec(ctx, "update integrations set next_run_at = date_trunc('second', now()) + $2::interval where id = $1", in.ID, next)
		require.NoError(t, err)
	}

	n, err := runner.ScheduleDueSyncs(ctx, time.Now(), 2)
	require.NoError(t, err)
	require.Equal(t, due, n, "one sweep with batches of 2 enqueues all %d due integrations", due)
	var jobsQueued, distinct int
	require.NoError(t, env.Admin.QueryRow(ctx, `select count(*), count(distinct args->>'integration_id') from river_job
		where kind = 'sync_integration'`).Scan(&jobsQueued, &distinct))
	require.Equal(t, due, jobsQueued)
	require.Equal(t, due, distinct)
}
