package main

import (
	"context"
	"io"
	"log/slog"
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

const sigtermStripeKey = "sk_test_51SigtermWedSyncFakeKey0000"

// sigtermStreams is how many dashboards are open when the process is told to stop.
const sigtermStreams = 1000

// TestSIGTERMNoticesStreamsReleasesJobsAndExitsWithin10s starts a real serve process with 1,000
// open dashboard streams and a sync job stuck on a provider that takes a minute per page, sends
// SIGTERM, and checks what a deploy needs: the process exits within 10 seconds, every stream got
// the reconnect notice (with a retry hint) and was closed by the server, and the running job was
// released back to the queue (or finished), not left "running" for River's rescuer.
func TestSIGTERMNoticesStreamsReleasesJobsAndExitsWithin10s(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process with 1,000 streams")
	}
	env := storetest.New(t)
	ctx := context.Background()
	keySpec := secret.Generate("t1")
	keys, err := secret.Parse(keySpec)
	require.NoError(t, err)
	fake := stripetest.New(sigtermStripeKey)
	fake.AddCharges(300, func(i int) stripetest.Charge {
		return stripetest.Charge{Amount: 1000, Currency: "usd", Created: time.Now().Add(-time.Duration(i+1) * time.Hour)}
	})
	fakeURL, stopFake := fake.Start()
	t.Cleanup(stopFake)
	p := startServe(t, env.AdminURL, env.AppURL, keySpec, "WEDSYNC_STRIPE_API_BASE="+fakeURL)

	owner := signup(t, p, "Graceful Deploy Films")
	owner.get(p.URL + "/dashboard") // the first dashboard asks for the first snapshot
	var org, user int64
	require.NoError(t, env.Admin.QueryRow(ctx, `select o.id, m.user_id from organizations o join memberships m on m.org_id = o.id
		where o.name = 'Graceful Deploy Films'`).Scan(&org, &user))
	in, err := env.DB.CreateIntegration(ctx, org, user, keys, store.IntegrationInput{Provider: "stripe",
		Secrets: map[string]string{"secret_key": sigtermStripeKey}})
	require.NoError(t, err)
	_, err = env.Admin.Exec(ctx, "update integrations set next_run_at = now() + interval '1 day' where id = $1", in.ID)
	require.NoError(t, err)

	streamCtx, cancelStreams := context.WithCancel(ctx)
	defer cancelStreams()
	streams := openStreams(streamCtx, t, p.Addr, "/dashboard/stream", owner.cookieHeader(p.URL), sigtermStreams, false)

	// A long job: every page of the provider now takes a minute.
	fake.SetPageDelay(time.Minute)
	inserter, err := jobs.New(env.DB, slog.New(slog.NewTextHandler(io.Discard, nil)), jobs.Config{Keys: keys})
	require.NoError(t, err)
	queued, err := inserter.RequestSync(ctx, org, in.ID)
	require.NoError(t, err)
	require.True(t, queued)
	jobState := func() (state string, attempt int) {
		require.NoError(t, env.Admin.QueryRow(ctx, `select state, attempt from river_job where kind = 'sync_integration'
			and (args->>'integration_id')::bigint = $1 order by id desc limit 1`, in.ID).Scan(&state, &attempt))
		return state, attempt
	}
	require.Eventually(t, func() bool { s, _ := jobState(); return s == "running" }, 20*time.Second, 20*time.Millisecond,
		"the sync job is running")
	time.Sleep(300 * time.Millisecond) // inside its first page call

	sent := time.Now()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		t.Fatalf("serve still running 15 s after SIGTERM")
	}
	exit := time.Since(sent)
	t.Logf("RESULT sigterm_exit_ms %d ms (1,000 streams, one sync job blocked in a provider call)", exit.Milliseconds())
	require.Less(t, exit, 10*time.Second, "the process exits within 10 s of SIGTERM")
	require.Equal(t, 0, p.cmd.ProcessState.ExitCode(), "a clean exit")

	noticed, ended := 0, 0
	for _, s := range streams {
		select {
		case <-s.done:
		case <-time.After(2 * time.Second):
		}
		if s.notices.Load() == 1 {
			noticed++
		}
		if s.ends.Load() == 1 {
			ended++
		}
	}
	t.Logf("streams: %d of %d got the reconnect notice, %d were closed by the server", noticed, len(streams), ended)
	require.Equal(t, len(streams), noticed, "every stream is told to reconnect")
	require.Equal(t, len(streams), ended, "every stream is closed by the server")
	retry := streams[0].retryMS.Load()
	require.True(t, retry >= 500 && retry <= 3000, "the notice carries a retry hint of 0.5-3 s, got %d ms", retry)

	state, attempt := jobState()
	t.Logf("the sync job after the stop: %s (attempt %d)", state, attempt)
	require.Contains(t, []string{"available", "scheduled", "retryable", "completed"}, state,
		"the running job was released or finished, not left running")

	// The released job continues on the next process, from its saved cursor.
	fake.SetPageDelay(0)
	startServe(t, env.AdminURL, env.AppURL, keySpec, "WEDSYNC_STRIPE_API_BASE="+fakeURL)
	require.Eventually(t, func() bool { s, _ := jobState(); return s == "completed" }, 30*time.Second, 50*time.Millisecond,
		"the released sync completes on the next process")
	var stored int
	require.NoError(t, env.Admin.QueryRow(ctx, "select count(*) from payments where integration_id = $1", in.ID).Scan(&stored))
	require.Equal(t, 300, stored)
}
