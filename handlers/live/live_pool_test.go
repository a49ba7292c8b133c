package live_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers/live"
)

// poolServer serves hub.Stream (the hijacking path) for the fixture's organization; a request
// with ?link=N subscribes as share link N.
func poolServer(t *testing.T, f *fixture, opts live.StreamOptions) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var link int64
		fmt.Sscan(r.URL.Query().Get("link"), &link)
		sub, first, err := f.hub.Subscribe(r.Context(), f.orgID, live.Variant{}, link)
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		_ = f.hub.Stream(w, r, sub, first, opts)
	}))
	t.Cleanup(srv.Close)
	// httptest's Close does not know hijacked connections: the hub closes them, as on shutdown.
	t.Cleanup(f.hub.Close)
	return srv
}

// sseLines opens a stream and sends each line it reads; the channel closes at EOF.
func sseLines(t *testing.T, ctx context.Context, url string) (<-chan string, *http.Response) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	lines := make(chan string, 1000)
	go func() {
		defer close(lines)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // a test that stopped listening must not block the reader
			}
		}
	}()
	return lines, resp
}

func waitLine(t *testing.T, lines <-chan string, prefix string, within time.Duration) string {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case l, ok := <-lines:
			require.True(t, ok, "stream ended before a line starting with %q", prefix)
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case <-deadline:
			t.Fatalf("no line starting with %q within %s", prefix, within)
		}
	}
}

func waitEOF(t *testing.T, lines <-chan string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case _, ok := <-lines:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatalf("stream still open after %s", within)
		}
	}
}

// TestHijackedStreamsHoldNoGoroutine opens many streams through Stream and checks they are
// served by the writer pool: no goroutine per stream, and each still gets every new version.
func TestHijackedStreamsHoldNoGoroutine(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.pay(t, 100)
	srv := poolServer(t, f, live.StreamOptions{Heartbeat: time.Hour})
	const n = 200
	conns := make([]net.Conn, n)
	readers := make([]*bufio.Reader, n)
	for i := range conns {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		require.NoError(t, err)
		defer c.Close()
		_, err = fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		require.NoError(t, err)
		conns[i], readers[i] = c, bufio.NewReader(c)
	}
	require.Eventually(t, func() bool { return f.hub.Streams() == n }, 5*time.Second, 10*time.Millisecond)
	// Raw connections with no reading goroutine on the client side either: the count of
	// goroutines must not scale with the streams.
	before := runtime.NumGoroutine()
	require.Less(t, before, n/2, "streams must not hold goroutines (server side)")

	head, err := readers[0].ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "HTTP/1.1 200 OK\r\n", head)
	v := f.pay(t, 250)
	f.hub.Notify(ctx, f.orgID, false)
	for i, rd := range readers {
		require.NoError(t, conns[i].SetReadDeadline(time.Now().Add(5*time.Second)))
		for {
			l, err := rd.ReadString('\n')
			require.NoError(t, err, "stream %d", i)
			require.NotContains(t, l, "Transfer-Encoding: chunked")
			if l == fmt.Sprintf("id: %d\n", v) {
				break
			}
		}
	}
}

// TestHijackedStuckClientNeverDelaysOthers is TestStuckClientNeverDelaysOthers for the writer
// pool: one client never reads, the others get every large frame promptly, and the stuck one is
// dropped after the write timeout.
func TestHijackedStuckClientNeverDelaysOthers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.padding = 256 << 10
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.pay(t, 1)
	srv := poolServer(t, f, live.StreamOptions{Heartbeat: time.Hour, WriteTimeout: 300 * time.Millisecond})

	raw, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	defer raw.Close()
	require.NoError(t, raw.(*net.TCPConn).SetReadBuffer(4096))
	_, err = fmt.Fprintf(raw, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return f.hub.Streams() == 1 }, 2*time.Second, 5*time.Millisecond)

	var readers []<-chan string
	for range 5 {
		lines, _ := sseLines(t, ctx, srv.URL)
		readers = append(readers, lines)
	}
	require.Eventually(t, func() bool { return f.hub.Streams() == 6 }, 2*time.Second, 10*time.Millisecond)

	var worst time.Duration
	for range 15 {
		v := f.pay(t, 1)
		sent := time.Now()
		f.hub.Notify(ctx, f.orgID, false)
		for _, lines := range readers {
			waitLine(t, lines, fmt.Sprintf("id: %d", v), time.Second)
		}
		worst = max(worst, time.Since(sent))
	}
	t.Logf("RESULT hijacked_stuck_client_worst_delivery_ms %d ms", worst.Milliseconds())
	require.Eventually(t, func() bool { return f.hub.Streams() == 5 }, 3*time.Second, 10*time.Millisecond,
		"the stuck client is dropped")
	require.EqualValues(t, 1, metricValue(t, f.hub, "wedsync_live_slow_clients_dropped_total"), "counted as a slow client")
	require.EqualValues(t, 5, metricValue(t, f.hub, "wedsync_live_streams_hijacked"))
}

// metricValue gathers the hub's collectors and returns one counter or gauge.
func metricValue(t *testing.T, hub *live.Hub, name string) float64 {
	reg := prometheus.NewRegistry()
	reg.MustRegister(hub.Collectors()...)
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			m := mf.GetMetric()[0]
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// TestHijackedStreamRevokeHeartbeatAndShutdown checks the pool's other duties: heartbeats from
// the timer wheel, `event: revoked` then close on revocation, noticing a client that left, and
// closing everything on shutdown.
func TestHijackedStreamRevokeHeartbeatAndShutdown(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.pay(t, 100)
	srv := poolServer(t, f, live.StreamOptions{Heartbeat: 100 * time.Millisecond})

	shared, _ := sseLines(t, ctx, srv.URL+"?link=7")
	member, _ := sseLines(t, ctx, srv.URL)
	waitLine(t, shared, "event: snapshot", time.Second)
	waitLine(t, member, ": heartbeat", time.Second)

	revoked := time.Now()
	require.Equal(t, 1, f.hub.CloseShareLink(7))
	waitLine(t, shared, "event: revoked", time.Second)
	waitEOF(t, shared, time.Second)
	t.Logf("RESULT hijacked_revoke_to_close_ms %d ms", time.Since(revoked).Milliseconds())
	require.Eventually(t, func() bool { return f.hub.Streams() == 1 }, time.Second, 5*time.Millisecond)

	// A client that leaves is noticed by the wheel's non-blocking read, without any write.
	leaving, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	_, err = fmt.Fprintf(leaving, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return f.hub.Streams() == 2 }, time.Second, 5*time.Millisecond)
	_, _ = io.ReadAtLeast(leaving, make([]byte, 64), 1)
	require.NoError(t, leaving.Close())
	require.Eventually(t, func() bool { return f.hub.Streams() == 1 }, time.Second, 5*time.Millisecond)

	f.hub.Close()
	waitEOF(t, member, time.Second)
	require.Zero(t, f.hub.Streams())
	_, _, err = f.hub.Subscribe(ctx, f.orgID, live.Variant{}, 0)
	require.ErrorIs(t, err, live.ErrClosed)
}

// TestHijackedFramesKeepOrder broadcasts many versions quickly from concurrent notices; every
// stream sees versions only ever increase, and ends at the newest.
func TestHijackedFramesKeepOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.pay(t, 1)
	srv := poolServer(t, f, live.StreamOptions{Heartbeat: time.Hour})
	var streams []<-chan string
	for range 20 {
		lines, _ := sseLines(t, ctx, srv.URL)
		streams = append(streams, lines)
	}
	require.Eventually(t, func() bool { return f.hub.Streams() == 20 }, 2*time.Second, 10*time.Millisecond)
	var last int64
	for range 10 {
		last = f.pay(t, 1)
		var wg sync.WaitGroup
		for range 3 {
			wg.Add(1)
			go func() { defer wg.Done(); f.hub.Notify(ctx, f.orgID, false) }()
		}
		wg.Wait()
	}
	for i, lines := range streams {
		var prev int64
		for prev < last {
			var v int64
			l := waitLine(t, lines, "id: ", 2*time.Second)
			fmt.Sscanf(l, "id: %d", &v)
			require.GreaterOrEqual(t, v, prev, "stream %d went back in time", i)
			prev = v
		}
	}
}

// TestStreamsGetDeltasFromTheVersionTheyShow checks that after the full state on connect, a
// stream gets only the regions that changed, ending with the snapshot event, while a new stream
// still gets everything.
func TestStreamsGetDeltasFromTheVersionTheyShow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v1 := f.pay(t, 100)
	srv := poolServer(t, f, live.StreamOptions{Heartbeat: time.Hour})
	old, _ := sseLines(t, ctx, srv.URL)
	require.Equal(t, fmt.Sprintf("id: %d", v1), waitLine(t, old, "id: ", time.Second))
	require.Equal(t, "event: kpi-revenue", waitLine(t, old, "event: ", time.Second))
	require.Equal(t, "event: static", waitLine(t, old, "event: ", time.Second))
	require.Equal(t, "event: snapshot", waitLine(t, old, "event: ", time.Second), "the snapshot event closes the frame")

	v2 := f.pay(t, 250)
	f.hub.Notify(ctx, f.orgID, false)
	require.Equal(t, fmt.Sprintf("id: %d", v2), waitLine(t, old, "id: ", time.Second))
	require.Equal(t, "event: kpi-revenue", waitLine(t, old, "event: ", time.Second))
	require.Equal(t, "event: snapshot", waitLine(t, old, "event: ", time.Second), "the unchanged region is not sent again")

	fresh, _ := sseLines(t, ctx, srv.URL)
	waitLine(t, fresh, "event: static", time.Second)
	waitLine(t, fresh, "event: snapshot", time.Second)
}

// TestHTTP2StreamsFallBackToAGoroutine serves Stream over TLS with HTTP/2, where a connection
// cannot be hijacked: the stream keeps its goroutine and works the same.
func TestHTTP2StreamsFallBackToAGoroutine(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.pay(t, 100)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sub, first, err := f.hub.Subscribe(r.Context(), f.orgID, live.Variant{}, 0)
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		_ = f.hub.Stream(w, r, sub, first, live.StreamOptions{Heartbeat: time.Hour})
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 2, resp.ProtoMajor)
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitLine(t, lines, "event: snapshot", time.Second)
	v := f.pay(t, 5)
	f.hub.Notify(ctx, f.orgID, false)
	waitLine(t, lines, fmt.Sprintf("id: %d", v), time.Second)
	require.Zero(t, metricValue(t, f.hub, "wedsync_live_streams_hijacked"))
	cancel()
	require.Eventually(t, func() bool { return f.hub.Streams() == 0 }, time.Second, 5*time.Millisecond,
		"the stream ends with its request")
}
