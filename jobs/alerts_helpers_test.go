package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/jobs/channel/email"
	"github.com/wedsync/wedsync/jobs/channel/email/smtptest"
	"github.com/wedsync/wedsync/jobs/channel/sms"
	"github.com/wedsync/wedsync/jobs/channel/sms/twiliotest"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/secret"
	"github.com/wedsync/wedsync/store/storetest"
)

// fakeClock is the jobs' clock in alert tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const (
	twilioSID   = "AC0123456789abcdef0123456789abcdef"
	twilioToken = "twilio-test-token"
	twilioFrom  = "+15005550006"
)

// alertEnv is a database, a job runner on a fake clock with fast sweeps, an organization with
// its owner, and real receivers: an SMTP server and a Twilio fake.
type alertEnv struct {
	env    *storetest.Env
	runner *jobs.Runner
	clock  *fakeClock
	keys   *secret.Keyring
	org    int64
	owner  int64
	smtp   *smtptest.Server
	twilio *twiliotest.Server
}

func newAlertEnv(t *testing.T, tz string, now time.Time, tweak func(*jobs.AlertConfig)) *alertEnv {
	t.Helper()
	a := &alertEnv{env: storetest.New(t), clock: &fakeClock{t: now}}
	var err error
	a.keys, err = secret.Parse(secret.Generate("t1"))
	require.NoError(t, err)
	a.smtp, err = smtptest.New("alerts@example.test", "smtp-pass")
	require.NoError(t, err)
	t.Cleanup(a.smtp.Close)
	a.twilio = twiliotest.New(twilioSID, twilioToken)
	t.Cleanup(a.twilio.Close)
	ac := jobs.AlertConfig{
		BaseURL: "https://app.wedsync.test",
		SMTP: email.Config{Host: a.smtp.Host, Port: a.smtp.Port, Username: "alerts@example.test", Password: "smtp-pass",
			From: "WedSync <alerts@wedsync.test>", TLS: "none"},
		Twilio:        sms.Config{BaseURL: a.twilio.URL, AccountSID: twilioSID, AuthToken: twilioToken, From: twilioFrom},
		EvaluateEvery: 300 * time.Millisecond, EscalateEvery: 50 * time.Millisecond, DigestEvery: 50 * time.Millisecond,
		RetryBase: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond, HTTPTimeout: 2 * time.Second,
		AllowPrivateURLs: true,
		QuietRecheck:     100 * time.Millisecond,
	}
	if tweak != nil {
		tweak(&ac)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(tw{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	a.runner, err = jobs.New(a.env.DB, log, jobs.Config{Work: true, Keys: a.keys, Now: a.clock.Now, Alerts: ac})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, a.runner.Start(ctx))
	t.Cleanup(func() {
		stopCtx, c := context.WithTimeout(context.Background(), 10*time.Second)
		defer c()
		_ = a.runner.Stop(stopCtx)
		cancel()
	})
	a.org, a.owner = a.env.NewOrg(t, "Juniper & Fern", tz, "GBP")
	require.NoError(t, a.env.DB.EnsureAlertDefaults(context.Background(), a.org))
	return a
}

type tw struct{ t *testing.T }

func (w tw) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// channel adds a channel to the organization.
func (a *alertEnv) channel(t *testing.T, in store.ChannelInput) int64 {
	t.Helper()
	if in.MinSeverity == 0 {
		in.MinSeverity = store.SeverityLow
	}
	in.Enabled = true
	id, _, err := a.env.DB.CreateChannel(context.Background(), a.org, a.owner, a.keys, in)
	require.NoError(t, err)
	return id
}

// review writes a review (a regular write: the recompute evaluates the rules).
func (a *alertEnv) review(t *testing.T, rating int) int64 {
	t.Helper()
	var id int64
	ctx := context.Background()
	require.NoError(t, a.env.DB.WriteOrg(ctx, a.org, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `insert into reviews (org_id, rating, body, source, received_at) values ($1, $2, 'Late and rude', 'google', $3)
			returning id`, a.org, rating, a.clock.Now()).Scan(&id)
	}))
	return id
}

// deliveries counts the organization's deliveries by status for a kind.
func (a *alertEnv) deliveries(t *testing.T, kind store.ChannelKind, purpose string) map[string]int {
	t.Helper()
	rows, err := a.env.Admin.Query(context.Background(), `select status, count(*) from deliveries
		where org_id = $1 and kind = $2 and purpose = $3 group by status`, a.org, kind, purpose)
	require.NoError(t, err)
	out := map[string]int{}
	var s string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&s, &n}, func() error { out[s] = n; return nil })
	require.NoError(t, err)
	return out
}

// delivery reads one column set of the newest delivery of a kind.
func (a *alertEnv) lastDelivery(t *testing.T, kind store.ChannelKind) (status string, attempts int, lastErr string) {
	t.Helper()
	require.NoError(t, a.env.Admin.QueryRow(context.Background(), `select status, attempts, last_error from deliveries
		where org_id = $1 and kind = $2 order by id desc limit 1`, a.org, kind).Scan(&status, &attempts, &lastErr))
	return
}

// waitStatus waits until the newest delivery of a kind has status.
func (a *alertEnv) waitStatus(t *testing.T, kind store.ChannelKind, status string) {
	t.Helper()
	require.Eventually(t, func() bool {
		var s string
		err := a.env.Admin.QueryRow(context.Background(), `select status from deliveries where org_id = $1 and kind = $2
			order by id desc limit 1`, a.org, kind).Scan(&s)
		return err == nil && s == status
	}, 15*time.Second, 20*time.Millisecond, "a %s delivery reaches %s", kind, status)
}

// openAlerts counts the organization's alerts that are not resolved.
func (a *alertEnv) openAlerts(t *testing.T) int {
	t.Helper()
	var n int
	require.NoError(t, a.env.Admin.QueryRow(context.Background(),
		`select count(*) from alerts where org_id = $1 and status <> 'resolved'`, a.org).Scan(&n))
	return n
}
