package handlers_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers"
	"github.com/wedsync/wedsync/handlers/webtest"
	"github.com/wedsync/wedsync/jobs"
)

// scrapeMetrics returns every sample of a Prometheus text exposition, keyed
// `name{label="value",...}` as printed (labels in name order).
func scrapeMetrics(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
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

// TestHTTPMetricsByRoutePattern: requests are counted by the route table's pattern (never the raw
// path with its ids), method and status, with a duration histogram; open streams are a gauge.
func TestHTTPMetricsByRoutePattern(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	app := webtest.New(t, webtest.Options{Web: func(_ testing.TB, d *handlers.Deps, _ *jobs.Runner) {
		d.Metrics = handlers.NewMetrics(reg)
		d.Config.StreamHeartbeat = 100 * time.Millisecond // a stream notices its client left at the next beat
	}})
	metricsSrv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(metricsSrv.Close)
	reg.MustRegister(app.Web.Hub().Collectors()...)

	owner := app.SignupOwner(t, "Counted Cakes", "UTC", "USD")
	ctx := context.Background()
	for _, name := range []string{"Ada", "Grace", "Edsger"} {
		var id int64
		require.NoError(t, app.Env.Admin.QueryRow(ctx, `insert into clients (org_id, name) values ($1, $2) returning id`, owner.OrgID, name).Scan(&id))
		require.Equal(t, http.StatusOK, owner.Get(fmt.Sprintf("/records/clients/%d", id)).Status)
	}
	require.Equal(t, http.StatusNotFound, owner.Get("/records/clients/987654321").Status)
	require.Equal(t, http.StatusNotFound, owner.Get("/no/such/page").Status)
	require.Equal(t, http.StatusSeeOther, app.Client(t).Get("/dashboard").Status)
	require.Equal(t, http.StatusMovedPermanently, owner.Get("/records/").Status)

	streamCtx, stopStream := context.WithCancel(ctx)
	defer stopStream()
	req, err := http.NewRequestWithContext(streamCtx, http.MethodGet, app.URL+"/dashboard/stream", nil)
	require.NoError(t, err)
	resp, err := owner.HTTP.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// A stream is counted when its handler returns, which is after the client has its headers.
	var m map[string]float64
	require.Eventually(t, func() bool {
		m = scrapeMetrics(t, metricsSrv.URL)
		return m[`wedsync_http_requests_total{method="GET",route="/dashboard/stream",status="200"}`] == 1
	}, 5*time.Second, 10*time.Millisecond, "the stream request is counted")
	require.Equal(t, 3.0, m[`wedsync_http_requests_total{method="GET",route="/records/clients/:id",status="200"}`])
	require.Equal(t, 1.0, m[`wedsync_http_requests_total{method="GET",route="/records/clients/:id",status="404"}`])
	require.Equal(t, 4.0, m[`wedsync_http_request_duration_seconds_count{method="GET",route="/records/clients/:id"}`])
	require.Greater(t, m[`wedsync_http_request_duration_seconds_sum{method="GET",route="/records/clients/:id"}`], 0.0)
	require.Equal(t, 1.0, m[`wedsync_http_requests_total{method="POST",route="/signup",status="303"}`])
	require.Equal(t, 1.0, m[`wedsync_http_requests_total{method="GET",route="/dashboard",status="303"}`], "the anonymous visit")
	require.Equal(t, 2.0, m[`wedsync_http_requests_total{method="GET",route="unmatched",status="404"}`]+
		m[`wedsync_http_requests_total{method="GET",route="unmatched",status="301"}`], "no raw paths as labels")
	require.Equal(t, 1.0, m[`wedsync_live_streams`])
	for k := range m {
		require.NotContains(t, k, "987654321", "a raw path became a label")
	}

	stopStream()
	require.Eventually(t, func() bool { return scrapeMetrics(t, metricsSrv.URL)[`wedsync_live_streams`] == 0 },
		5*time.Second, 20*time.Millisecond, "the closed stream leaves the gauge")
}
