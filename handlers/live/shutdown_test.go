package live_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers/live"
)

// TestShutdownTellsEveryStreamToReconnect: on shutdown a hijacked stream (HTTP/1.1) and a stream
// served by its own goroutine (HTTP/2 over TLS) each get `event: reconnect` with a retry hint of
// 0.5-3 s, which the browser's EventSource honours when the stream then ends, and are closed;
// Shutdown returns once both are gone and new streams are refused.
func TestShutdownTellsEveryStreamToReconnect(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.pay(t, 100)
	hijacked, _ := sseLines(t, ctx, poolServer(t, f, live.StreamOptions{Heartbeat: time.Hour}).URL)

	h2 := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sub, first, err := f.hub.Subscribe(r.Context(), f.orgID, live.Variant{}, 0)
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		_ = f.hub.Stream(w, r, sub, first, live.StreamOptions{Heartbeat: time.Hour})
	}))
	h2.EnableHTTP2 = true
	h2.StartTLS()
	defer h2.Close()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, h2.URL, nil)
	resp, err := h2.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 2, resp.ProtoMajor)
	own := make(chan string, 100)
	go func() {
		defer close(own)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			own <- sc.Text()
		}
	}()
	waitLine(t, hijacked, "event: snapshot", time.Second)
	waitLine(t, own, "event: snapshot", time.Second)
	require.Equal(t, 2, f.hub.Streams())

	start := time.Now()
	shutdownCtx, stop := context.WithTimeout(ctx, 2*time.Second)
	defer stop()
	f.hub.Shutdown(shutdownCtx)
	took := time.Since(start)
	require.Less(t, took, time.Second, "both streams take the notice at once")
	for name, lines := range map[string]<-chan string{"hijacked": hijacked, "own goroutine": own} {
		waitLine(t, lines, "event: reconnect", time.Second)
		retry := waitLine(t, lines, "retry: ", time.Second)
		ms, err := strconv.Atoi(strings.TrimPrefix(retry, "retry: "))
		require.NoError(t, err)
		require.True(t, ms >= 500 && ms <= 3000, "%s stream: retry %d ms", name, ms)
		waitEOF(t, lines, time.Second)
	}
	require.Zero(t, f.hub.Streams())
	_, _, err = f.hub.Subscribe(ctx, f.orgID, live.Variant{}, 0)
	require.ErrorIs(t, err, live.ErrClosed)
}
