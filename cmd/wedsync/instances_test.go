package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store/secret"
	"github.com/wedsync/wedsync/store/storetest"
)

// TestMain runs the real main when a test starts this binary as a server process.
func TestMain(m *testing.M) {
	if os.Getenv("WEDSYNC_TEST_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(storetest.Main(m))
}

// startInstances starts n serve processes on one database, as separate processes would run in
// production, each ready when this returns.
func startInstances(t *testing.T, env *storetest.Env, n int) []*serveProcess {
	t.Helper()
	key := secret.Generate("t1")
	out := make([]*serveProcess, n)
	for i := range out {
		out[i] = startInstance(t, env, key, "http", nil, nil)
	}
	return out
}

// browserClient is a cookie-jar client that posts forms with the page's CSRF token.
type browserClient struct {
	t    *testing.T
	http *http.Client
	csrf string
}

func newBrowserClient(t *testing.T) *browserClient {
	jar, _ := cookiejar.New(nil)
	return &browserClient{t: t, http: &http.Client{Jar: jar, Timeout: 15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (c *browserClient) get(u string) (int, string) {
	resp, err := c.http.Get(u)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindSubmatch(b); m != nil {
		c.csrf = string(m[1])
	}
	return resp.StatusCode, string(b)
}

func (c *browserClient) post(u string, v url.Values) (int, string) {
	v.Set("_csrf", c.csrf)
	resp, err := c.http.PostForm(u, v)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// share the jar's cookies for instance a with instance b (one site behind a load balancer).
func (c *browserClient) shareCookies(a, b string) {
	ua, _ := url.Parse(a)
	ub, _ := url.Parse(b)
	c.http.Jar.SetCookies(ub, c.http.Jar.Cookies(ua))
}

var seq atomic.Int64

// signup creates an organization through instance in's form and returns its signed-in owner.
func signup(t *testing.T, in *serveProcess, org string) *browserClient {
	c := newBrowserClient(t)
	c.get(in.URL + "/signup")
	status, body := c.post(in.URL+"/signup", url.Values{"org_name": {org}, "timezone": {"America/New_York"},
		"currency": {"USD"}, "name": {"Owner"}, "email": {fmt.Sprintf("o%d-%d@two.test", os.Getpid(), seq.Add(1))},
		"password": {"correct-horse"}})
	require.Equal(t, http.StatusSeeOther, status, body)
	return c
}

var revenueValue = regexp.MustCompile(`data-kpi="revenue_mtd"[^>]*data-value="(-?\d*)"|data-value="(-?\d*)"[^>]*data-kpi="revenue_mtd"`)

// revenueFrom finds revenue_mtd's data-value in HTML or SSE data.
func revenueFrom(s string) (int64, bool) {
	m := revenueValue.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	v := m[1] + m[2]
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// streamRevenue reads an SSE stream and sends every revenue_mtd value it sees.
func streamRevenue(ctx context.Context, t *testing.T, c *browserClient, streamURL string) <-chan int64 {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, streamURL, nil)
	require.NoError(t, err)
	client := *c.http
	client.Timeout = 0
	resp, err := client.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	out := make(chan int64, 100)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 4<<20)
		for sc.Scan() {
			if v, ok := revenueFrom(sc.Text()); ok {
				out <- v
			}
		}
	}()
	return out
}

// TestPaymentOnInstanceAReachesStreamsOnInstanceB starts two serve processes on one database and
// records a payment through instance A's form; the dashboard stream on instance B shows it.
func TestPaymentOnInstanceAReachesStreamsOnInstanceB(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ins := startInstances(t, env, 2)
	a, b := ins[0], ins[1]
	owner := signup(t, a, "Two Instance Florals")
	owner.shareCookies(a.URL, b.URL)
	status, _ := owner.get(b.URL + "/dashboard")
	require.Equal(t, http.StatusOK, status, "the session made on A works on B")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	values := streamRevenue(ctx, t, owner, b.URL+"/dashboard/stream")
	var before int64
	select {
	case before = <-values:
	case <-ctx.Done():
		t.Fatal("no initial state on B's stream")
	}

	owner.get(a.URL + "/records/payments/new")
	paidAt := time.Now().In(mustLoc(t, "America/New_York")).Format("2006-01-02T15:04")
	sent := time.Now()
	status, body := owner.post(a.URL+"/records/payments", url.Values{"amount": {"1234.56"}, "currency": {"USD"},
		"status": {"succeeded"}, "paid_at": {paidAt}, "refunded_amount": {"0"}, "fee": {"0"}})
	require.Equal(t, http.StatusSeeOther, status, body)
	for {
		select {
		case v := <-values:
			if v == before+123456 {
				t.Logf("RESULT two_instance_payment_to_stream_ms %d ms", time.Since(sent).Milliseconds())
				return
			}
		case <-ctx.Done():
			t.Fatalf("B's stream never showed the payment (revenue stayed %d)", before)
		}
	}
}

func mustLoc(t *testing.T, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}
