package jobs_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/jobs/channel/webhook/webhooktest"
	"github.com/wedsync/wedsync/jobs/connector/stripe/stripetest"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/secret"
	"github.com/wedsync/wedsync/store/storetest"
)

// metricsEndpoint serves a registry like the operations listener does and scrapes it.
type metricsEndpoint struct{ url string }

func newMetricsEndpoint(t *testing.T, reg *prometheus.Registry) *metricsEndpoint {
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	return &metricsEndpoint{url: srv.URL}
}

// scrape returns every sample of the text exposition, keyed `name{label="value",...}` as
// printed (labels in name order).
func (m *metricsEndpoint) scrape(t *testing.T) map[string]float64 {
	t.Helper()
	resp, err := http.Get(m.url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		require.NoError(t, err, line)
		out[line[:i]] = v
	}
	return out
}

// newMetricsSyncFixture is newSyncFixture with the job metrics on a registry and its endpoint.
func newMetricsSyncFixture(t *testing.T) (*syncFixture, *metricsEndpoint) {
	f := &syncFixture{env: storetest.New(t), fake: stripetest.New(testStripeKey)}
	url, stop := f.fake.Start()
	t.Cleanup(stop)
	var err error
	f.keys, err = secret.Parse(secret.Generate("t1"))
	require.NoError(t, err)
	reg := prometheus.NewRegistry()
	f.runner, err = jobs.New(f.env.DB, slog.New(slog.NewTextHandler(io.Discard, nil)), jobs.Config{Work: true, Keys: f.keys,
		Metrics: jobs.NewMetrics(reg), Sync: jobs.SyncConfig{BaseURLs: map[string]string{"stripe": url}, ScheduleEvery: time.Hour,
			RetryBase: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond}})
	require.NoError(t, err)
	reg.MustRegister(f.runner.Collectors()...)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, f.runner.Start(ctx))
	t.Cleanup(func() {
		stopCtx, c := context.WithTimeout(context.Background(), 10*time.Second)
		defer c()
		_ = f.runner.Stop(stopCtx)
		cancel()
	})
	f.org, f.user = f.env.NewOrg(t, "Metric Studio", "Europe/London", "GBP")
	f.integ = f.newIntegration(t, f.org, f.user, "15")
	return f, newMetricsEndpoint(t, reg)
}

// TestSyncAndJobMetrics: a sync that fails once with a 500 and then succeeds, and one refused
// for bad credentials, show up by provider, outcome and error class; River's finished jobs by
// kind and state; and the river_job table by kind and state at scrape time.
func TestSyncAndJobMetrics(t *testing.T) {
	t.Parallel()
	f, ep := newMetricsSyncFixture(t)
	f.fake.AddCharges(5, func(i int) stripetest.Charge { return stripetest.Charge{Amount: 900} })
	f.fake.FailNext(stripetest.Fault{Status: http.StatusInternalServerError, Times: 1})
	f.syncNow(t)
	f.fake.RevokeKey(testStripeKey)
	f.syncNow(t)
	ctx := context.Background()
	_, err := f.runner.Client.Insert(ctx, jobs.RecomputeArgs{OrgID: f.org}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)

	var m map[string]float64
	require.Eventually(t, func() bool {
		m = ep.scrape(t)
		return m[`wedsync_river_jobs_finished_total{kind="sync_integration",outcome="cancelled"}`] == 1 &&
			m[`wedsync_river_jobs_finished_total{kind="recompute_metrics",outcome="completed"}`] >= 1
	}, 10*time.Second, 20*time.Millisecond, "River's events for the cancelled sync and the recompute arrive")
	require.Equal(t, 1.0, m[`wedsync_sync_failures_total{class="provider_down",provider="stripe"}`])
	require.Equal(t, 1.0, m[`wedsync_sync_failures_total{class="credentials",provider="stripe"}`])
	require.Equal(t, 1.0, m[`wedsync_sync_attempt_seconds_count{outcome="succeeded",provider="stripe"}`])
	require.Equal(t, 2.0, m[`wedsync_sync_attempt_seconds_count{outcome="failed",provider="stripe"}`])
	require.Greater(t, m[`wedsync_sync_attempt_seconds_sum{outcome="succeeded",provider="stripe"}`], 0.0)
	require.Equal(t, 1.0, m[`wedsync_river_jobs_finished_total{kind="sync_integration",outcome="failed"}`])
	require.Equal(t, 1.0, m[`wedsync_river_jobs_finished_total{kind="sync_integration",outcome="completed"}`])
	require.Equal(t, 3.0, m[`wedsync_river_job_run_seconds_count{kind="sync_integration"}`])

	require.Equal(t, 1.0, m[`wedsync_river_jobs_query_up`])
	require.Equal(t, 1.0, m[`wedsync_river_jobs{kind="sync_integration",state="cancelled"}`], "%v", m)
	require.Equal(t, 1.0, m[`wedsync_river_jobs{kind="recompute_metrics",state="scheduled"}`])
	_, counted := m[`wedsync_river_jobs{kind="sync_integration",state="completed"}`]
	require.False(t, counted, "completed jobs are not counted at scrape time")
}

// TestDeliveryMetrics: one webhook that answers 503 once and then takes the delivery, and one
// that refuses it with a 400, count as retrying, sent and failed on the webhook channel.
func TestDeliveryMetrics(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	a := &alertEnv{env: storetest.New(t), clock: &fakeClock{t: monday}}
	var err error
	a.keys, err = secret.Parse(secret.Generate("t1"))
	require.NoError(t, err)
	a.runner, err = jobs.New(a.env.DB, slog.New(slog.NewTextHandler(io.Discard, nil)), jobs.Config{Work: true, Keys: a.keys,
		Now: a.clock.Now, Metrics: jobs.NewMetrics(reg), Alerts: jobs.AlertConfig{BaseURL: "https://app.wedsync.test", AllowPrivateURLs: true,
			EvaluateEvery: time.Hour, RetryBase: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond, HTTPTimeout: 2 * time.Second}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, a.runner.Start(ctx))
	t.Cleanup(func() {
		stopCtx, c := context.WithTimeout(context.Background(), 10*time.Second)
		defer c()
		_ = a.runner.Stop(stopCtx)
		cancel()
	})
	a.org, a.owner = a.env.NewOrg(t, "Delivery Florals", "Europe/London", "GBP")
	require.NoError(t, a.env.DB.EnsureAlertDefaults(ctx, a.org))
	ep := newMetricsEndpoint(t, reg)

	flaky := webhooktest.New("whsec_flaky_0123456789abcdef")
	t.Cleanup(flaky.Close)
	flaky.FailNext(http.StatusServiceUnavailable)
	a.channel(t, store.ChannelInput{Kind: store.ChannelWebhook, Name: "Flaky", Target: flaky.URL, Secret: "whsec_flaky_0123456789abcdef"})
	refusing := webhooktest.New("whsec_refuse_0123456789abcdef")
	t.Cleanup(refusing.Close)
	refusing.FailNext(http.StatusBadRequest)
	a.channel(t, store.ChannelInput{Kind: store.ChannelWebhook, Name: "Refusing", Target: refusing.URL, Secret: "whsec_refuse_0123456789abcdef"})
	a.review(t, 1)

	require.True(t, flaky.Wait(1, 15*time.Second), "the flaky receiver gets the alert on the retry")
	var m map[string]float64
	require.Eventually(t, func() bool {
		m = ep.scrape(t)
		return m[`wedsync_notification_deliveries_total{channel="webhook",status="sent"}`] == 1 &&
			m[`wedsync_notification_deliveries_total{channel="webhook",status="failed"}`] == 1
	}, 10*time.Second, 20*time.Millisecond, "sent and failed are counted: %v", m)
	require.Equal(t, 1.0, m[`wedsync_notification_deliveries_total{channel="webhook",status="retrying"}`])
	require.Equal(t, 1, refusing.Requests(), "a 400 is not retried")
}
