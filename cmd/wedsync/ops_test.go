package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store/secret"
	"github.com/wedsync/wedsync/store/storetest"
)

// freeAddr returns a free loopback address.
func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// startInstance starts a serve process on env's databases with extra environment and flags,
// checking readiness through client (plain HTTP when nil).
func startInstance(t *testing.T, env *storetest.Env, key, scheme string, client *http.Client, extraEnv []string, flags ...string) *serveProcess {
	t.Helper()
	return launchServe(t, serveSpec{AdminURL: env.AdminURL, AppURL: env.AppURL, Key: key, Scheme: scheme, Client: client,
		Env: extraEnv, Flags: flags})
}

// scrape reads a Prometheus text exposition into `name{labels}` → value.
func scrape(t *testing.T, u string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(u)
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

// TestMetricsEndpointAfterTraffic runs serve with WEDSYNC_METRICS_ADDR, signs up, records a
// payment and opens a stream, then scrapes the separate listener: requests by route pattern,
// the open stream, River's finished jobs and its job table, Go's runtime.
func TestMetricsEndpointAfterTraffic(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	metricsAddr := freeAddr(t)
	in := startInstance(t, env, secret.Generate("t1"), "http", nil, []string{"WEDSYNC_METRICS_ADDR=" + metricsAddr})
	owner := signup(t, in, "Scraped Stationery")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	owner.get(in.URL + "/dashboard") // the first visit asks for the first snapshot
	values := streamRevenue(ctx, t, owner, in.URL+"/dashboard/stream")
	waitRevenue(ctx, t, values, 0)
	owner.get(in.URL + "/records/payments/new")
	status, body := owner.post(in.URL+"/records/payments", url.Values{"amount": {"12.00"}, "currency": {"USD"},
		"status": {"succeeded"}, "paid_at": {nowIn(t, "America/New_York")}, "refunded_amount": {"0"}, "fee": {"0"}})
	require.Equal(t, http.StatusSeeOther, status, body)
	waitRevenue(ctx, t, values, 1200)

	var m map[string]float64
	require.Eventually(t, func() bool {
		m = scrape(t, "http://"+metricsAddr+"/metrics")
		return m[`wedsync_river_jobs_finished_total{kind="recompute_metrics",outcome="completed"}`] >= 2
	}, 5*time.Second, 20*time.Millisecond, "River's events for the first snapshot and the payment's recompute")
	require.Equal(t, 1.0, m[`wedsync_http_requests_total{method="POST",route="/signup",status="303"}`])
	require.Equal(t, 1.0, m[`wedsync_http_requests_total{method="POST",route="/records/payments",status="303"}`])
	require.Equal(t, 1.0, m[`wedsync_http_requests_total{method="GET",route="/dashboard/stream",status="200"}`])
	require.Equal(t, 1.0, m[`wedsync_live_streams`])
	require.GreaterOrEqual(t, m[`wedsync_live_fanout_seconds_count`], 1.0, "the payment's frame was fanned out")
	require.GreaterOrEqual(t, m[`wedsync_river_job_run_seconds_count{kind="recompute_metrics"}`], 2.0)
	require.Equal(t, 1.0, m[`wedsync_river_jobs_query_up`])
	require.Greater(t, m[`go_goroutines`], 0.0)
}

// TestWebOnlyAndWorkerOnlyRoles: a worker-only instance answers health checks and nothing else;
// a payment recorded on a web-only instance (which runs no workers) is recomputed by the
// worker-only one and reaches the web-only instance's stream.
func TestWebOnlyAndWorkerOnlyRoles(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	key := secret.Generate("t1")
	web := startInstance(t, env, key, "http", nil, nil, "--role", "web")
	worker := startInstance(t, env, key, "http", nil, []string{"WEDSYNC_ROLE=worker"})
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/login": 404, "/signup": 404, "/static/app.css": 404} {
		resp, err := http.Get(worker.URL + path)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equalf(t, want, resp.StatusCode, "worker-only GET %s", path)
	}

	owner := signup(t, web, "Split Roles Bakery")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	owner.get(web.URL + "/dashboard") // the first visit asks for the first snapshot
	values := streamRevenue(ctx, t, owner, web.URL+"/dashboard/stream")
	waitRevenue(ctx, t, values, 0)
	owner.get(web.URL + "/records/payments/new")
	status, body := owner.post(web.URL+"/records/payments", url.Values{"amount": {"7.00"}, "currency": {"USD"},
		"status": {"succeeded"}, "paid_at": {nowIn(t, "America/New_York")}, "refunded_amount": {"0"}, "fee": {"0"}})
	require.Equal(t, http.StatusSeeOther, status, body)
	waitRevenue(ctx, t, values, 700)
}

// selfSigned writes a certificate and key for 127.0.0.1 and returns their paths and a pool
// that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "wedsync test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kb, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600))
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestTLSServesStreamsOverHTTP2: with WEDSYNC_TLS_CERT and WEDSYNC_TLS_KEY, serve speaks HTTPS
// and HTTP/2, the session cookie is Secure, and a dashboard stream (which cannot be hijacked on
// HTTP/2) shows its first state and then a new payment.
func TestTLSServesStreamsOverHTTP2(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	certFile, keyFile, pool := selfSigned(t)
	transport := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	t.Cleanup(transport.CloseIdleConnections)
	in := startInstance(t, env, secret.Generate("t1"), "https", &http.Client{Transport: transport},
		[]string{"WEDSYNC_TLS_CERT=" + certFile, "WEDSYNC_TLS_KEY=" + keyFile})

	owner := newBrowserClient(t)
	owner.http.Transport = transport
	resp, err := owner.http.Get(in.URL + "/login")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 2, resp.ProtoMajor, "browsers get HTTP/2")
	owner.get(in.URL + "/signup")
	v := url.Values{"org_name": {"Secure Suits"}, "timezone": {"America/New_York"}, "currency": {"USD"}, "name": {"Owner"},
		"email": {"tls-owner@example.test"}, "password": {"correct-horse"}, "_csrf": {owner.csrf}}
	resp, err = owner.http.PostForm(in.URL+"/signup", v)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "wedsync_session" {
			session = c
		}
	}
	require.NotNil(t, session)
	require.True(t, session.Secure, "the session cookie is Secure over TLS")
	require.True(t, session.HttpOnly)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	owner.get(in.URL + "/dashboard") // the first visit asks for the first snapshot
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, in.URL+"/dashboard/stream", nil)
	require.NoError(t, err)
	client := *owner.http
	client.Timeout = 0
	stream, err := client.Do(req)
	require.NoError(t, err)
	defer stream.Body.Close()
	require.Equal(t, http.StatusOK, stream.StatusCode)
	require.Equal(t, 2, stream.ProtoMajor, "the stream is served over HTTP/2")
	values := make(chan int64, 100)
	go func() {
		sc := bufio.NewScanner(stream.Body)
		sc.Buffer(make([]byte, 1<<20), 4<<20)
		for sc.Scan() {
			if v, ok := revenueFrom(sc.Text()); ok {
				values <- v
			}
		}
	}()
	waitRevenue(ctx, t, values, 0)
	owner.get(in.URL + "/records/payments/new")
	status, body := owner.post(in.URL+"/records/payments", url.Values{"amount": {"3.50"}, "currency": {"USD"},
		"status": {"succeeded"}, "paid_at": {nowIn(t, "America/New_York")}, "refunded_amount": {"0"}, "fee": {"0"}})
	require.Equal(t, http.StatusSeeOther, status, body)
	waitRevenue(ctx, t, values, 350)
}

// nowIn is the current minute as a datetime-local form value in a timezone.
func nowIn(t *testing.T, tz string) string {
	return time.Now().In(mustLoc(t, tz)).Format("2006-01-02T15:04")
}

// waitRevenue waits until a stream shows revenue_mtd equal to want (minor units).
func waitRevenue(ctx context.Context, t *testing.T, values <-chan int64, want int64) {
	t.Helper()
	var last int64 = -1
	for {
		select {
		case v := <-values:
			if v == want {
				return
			}
			last = v
		case <-ctx.Done():
			t.Fatalf("the stream never showed revenue %d (last %d)", want, last)
		}
	}
}
