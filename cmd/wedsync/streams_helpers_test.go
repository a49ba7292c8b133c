package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// serveProcess is one `wedsync serve` started from this test binary against the given database,
// with stderr captured so a test can read what the process logged.
type serveProcess struct {
	URL, Addr string
	cmd       *exec.Cmd
	exited    chan struct{}
	logs      *lockedBuffer
}

// serveSpec says how to start a serve process. Instances of one database share Key.
type serveSpec struct {
	AdminURL, AppURL, Key string
	// Scheme is "http" (default) or "https" (with WEDSYNC_TLS_* in Env).
	Scheme string
	// Client reaches /readyz (default http.DefaultClient).
	Client *http.Client
	Env    []string
	Flags  []string
}

// launchServe starts one `wedsync serve` process from this test binary, stops it (SIGINT, then
// SIGKILL) when the test ends, logs its stderr tail if the test failed, and waits until its
// /readyz answers 200.
func launchServe(t *testing.T, s serveSpec) *serveProcess {
	t.Helper()
	addr := freeAddr(t)
	if s.Scheme == "" {
		s.Scheme = "http"
	}
	if s.Client == nil {
		s.Client = http.DefaultClient
	}
	p := &serveProcess{URL: s.Scheme + "://" + addr, Addr: addr, exited: make(chan struct{}), logs: &lockedBuffer{}}
	p.cmd = exec.Command(os.Args[0], append([]string{"serve", "--addr", addr, "--log-level", "warn"}, s.Flags...)...)
	p.cmd.Env = append(append(os.Environ(), "WEDSYNC_TEST_RUN_MAIN=1", "DATABASE_URL="+s.AdminURL,
		"WEDSYNC_APP_DATABASE_URL="+s.AppURL, "WEDSYNC_SECRET_KEY="+s.Key, "WEDSYNC_BASE_URL="+p.URL,
		"WEDSYNC_DATA_DIR="+t.TempDir()), s.Env...)
	p.cmd.Stdout, p.cmd.Stderr = io.Discard, p.logs
	require.NoError(t, p.cmd.Start())
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.exited:
		case <-time.After(15 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("serve %s logged:\n%s", p.Addr, p.logs.tail(6000))
		}
	})
	require.Eventually(t, func() bool {
		resp, err := s.Client.Get(p.URL + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 50*time.Millisecond, "serve %s ready", addr)
	return p
}

// startServe starts a plain-HTTP serve process on the databases of adminURL and appURL.
func startServe(t *testing.T, adminURL, appURL, keySpec string, extraEnv ...string) *serveProcess {
	t.Helper()
	return launchServe(t, serveSpec{AdminURL: adminURL, AppURL: appURL, Key: keySpec, Env: extraEnv})
}

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.b.String()
	return s[max(0, len(s)-n):]
}

// cookieHeader is the Cookie header c's jar sends to base.
func (c *browserClient) cookieHeader(base string) string {
	u, _ := url.Parse(base)
	var parts []string
	for _, ck := range c.http.Jar.Cookies(u) {
		parts = append(parts, ck.Name+"="+ck.Value)
	}
	return strings.Join(parts, "; ")
}

// sseClient is one dashboard stream read the way a browser's EventSource reads it, over a raw
// HTTP/1.1 connection (cheap enough for a thousand in one test): it tracks the newest snapshot
// version shown, counts reconnect notices and, when reconnect is on, comes back after the
// server's retry hint (with Last-Event-ID) whenever the stream ends, and with a backoff after an
// error answer, as the page's EventSource and htmx's SSE extension do.
type sseClient struct {
	addr, path, cookie string
	reconnect          bool

	version  atomic.Int64 // newest version whose snapshot event arrived
	notices  atomic.Int32 // `event: reconnect` notices received
	connects atomic.Int32 // successful (200) connections
	ends     atomic.Int32 // streams the server ended
	retryMS  atomic.Int64 // the last retry hint
	done     chan struct{}
}

// openStreams opens n streams of path on addr with cookie and waits until each showed its first
// snapshot.
func openStreams(ctx context.Context, t *testing.T, addr, path, cookie string, n int, reconnect bool) []*sseClient {
	t.Helper()
	out := make([]*sseClient, n)
	for i := range out {
		c := &sseClient{addr: addr, path: path, cookie: cookie, reconnect: reconnect, done: make(chan struct{})}
		c.retryMS.Store(1000)
		out[i] = c
		go c.run(ctx)
		if i%100 == 99 {
			time.Sleep(20 * time.Millisecond) // do not flood the accept queue
		}
	}
	require.Eventually(t, func() bool { return minVersion(out) > 0 }, 60*time.Second, 20*time.Millisecond,
		"every stream shows its first snapshot")
	return out
}

func (c *sseClient) run(ctx context.Context) {
	defer close(c.done)
	backoff := 500 * time.Millisecond
	for ctx.Err() == nil {
		status, _ := c.once(ctx)
		if !c.reconnect {
			return
		}
		wait := time.Duration(c.retryMS.Load()) * time.Millisecond
		if status != http.StatusOK {
			wait, backoff = backoff, min(backoff*2, 4*time.Second)
		} else {
			backoff = 500 * time.Millisecond
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
	}
}

// once runs one connection until it ends; status is the HTTP status (0: no answer).
func (c *sseClient) once(ctx context.Context) (int, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return 0, err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()
	req := "GET " + c.path + " HTTP/1.1\r\nHost: " + c.addr + "\r\nAccept: text/event-stream\r\nCookie: " + c.cookie + "\r\n"
	if v := c.version.Load(); v > 0 {
		req += "Last-Event-ID: " + strconv.FormatInt(v, 10) + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		return 0, err
	}
	br := bufio.NewReaderSize(conn, 4096)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, nil
	}
	c.connects.Add(1)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	var id, event string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			switch event {
			case "snapshot":
				if v, err := strconv.ParseInt(id, 10, 64); err == nil && v > c.version.Load() {
					c.version.Store(v)
				}
			case "reconnect":
				c.notices.Add(1)
			}
			event = ""
		case strings.HasPrefix(line, "id: "):
			id = line[4:]
		case strings.HasPrefix(line, "event: "):
			event = line[7:]
		case strings.HasPrefix(line, "retry: "):
			if ms, err := strconv.ParseInt(line[7:], 10, 64); err == nil {
				c.retryMS.Store(ms)
			}
		}
	}
	if ctx.Err() == nil {
		c.ends.Add(1)
	}
	return http.StatusOK, sc.Err()
}

// minVersion is the oldest version any of the streams shows.
func minVersion(cs []*sseClient) int64 {
	m := int64(-1)
	for _, c := range cs {
		if v := c.version.Load(); m < 0 || v < m {
			m = v
		}
	}
	return max(m, 0)
}

// statusLoop requests url with c every interval until ctx ends and tallies the answers by time.
type statusLoop struct {
	mu      sync.Mutex
	answers []answer
}

type answer struct {
	at         time.Time
	status     int // 0: no answer (connection error or timeout)
	retryAfter string
}

func runStatusLoop(ctx context.Context, c *browserClient, u string, interval time.Duration) *statusLoop {
	l := &statusLoop{}
	client := *c.http
	client.Timeout = 3 * time.Second
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			a := answer{at: time.Now()}
			if resp, err := client.Get(u); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				a.status, a.retryAfter = resp.StatusCode, resp.Header.Get("Retry-After")
			}
			l.mu.Lock()
			l.answers = append(l.answers, a)
			l.mu.Unlock()
		}
	}()
	return l
}

// between returns the answers in [from, to).
func (l *statusLoop) between(from, to time.Time) []answer {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []answer
	for _, a := range l.answers {
		if !a.at.Before(from) && a.at.Before(to) {
			out = append(out, a)
		}
	}
	return out
}

// tally counts answers by status ("none" for no answer).
func tally(as []answer) map[string]int {
	m := map[string]int{}
	for _, a := range as {
		k := "none"
		if a.status != 0 {
			k = strconv.Itoa(a.status)
		}
		m[k]++
	}
	return m
}

// count5xx counts 5xx answers, and how many of them are not a 503 with Retry-After.
func count5xx(as []answer) (all, unclean int) {
	for _, a := range as {
		if a.status >= 500 {
			all++
			if a.status != http.StatusServiceUnavailable || a.retryAfter == "" {
				unclean++
			}
		}
	}
	return all, unclean
}

func describe(as []answer) string { return fmt.Sprint(tally(as)) }
