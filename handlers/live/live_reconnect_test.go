package live_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers/live"
)

// frameEvents reads one frame's event names from lines, up to and including its snapshot event,
// and the frame's id.
func frameEvents(t *testing.T, lines <-chan string) (id string, names []string) {
	t.Helper()
	for {
		l := waitLine(t, lines, "", 2*time.Second)
		switch {
		case len(l) > 4 && l[:4] == "id: ":
			id = l[4:]
		case len(l) > 7 && l[:7] == "event: ":
			names = append(names, l[7:])
			if l == "event: snapshot" {
				return id, names
			}
		}
	}
}

// TestReconnectingBrowserGetsTheFullStateWhateverItsLastEventID: an up-to-date hijacked stream
// gets only the changed region; a browser that reconnects (EventSource sends the last id it saw,
// here one version old) gets every region again, so its page converges whatever it missed.
func TestReconnectingBrowserGetsTheFullStateWhateverItsLastEventID(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v1 := f.pay(t, 100)
	srv := poolServer(t, f, live.StreamOptions{Heartbeat: time.Hour})
	lines, _ := sseLines(t, ctx, srv.URL)
	id, names := frameEvents(t, lines)
	require.Equal(t, fmt.Sprint(v1), id)
	require.Equal(t, []string{"kpi-revenue", "static", "snapshot"}, names, "the full state on connect")

	v2 := f.pay(t, 250)
	f.hub.Notify(ctx, f.orgID, false)
	id, names = frameEvents(t, lines)
	require.Equal(t, fmt.Sprint(v2), id)
	require.Equal(t, []string{"kpi-revenue", "snapshot"}, names, "an up-to-date stream gets only the change")

	v3 := f.pay(t, 5)
	f.hub.Notify(ctx, f.orgID, false)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	req.Header.Set("Last-Event-ID", fmt.Sprint(v1))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	again := make(chan string, 100)
	go func() {
		defer close(again)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			again <- sc.Text()
		}
	}()
	id, names = frameEvents(t, again)
	require.Equal(t, fmt.Sprint(v3), id, "the reconnected stream starts at the newest version")
	require.Equal(t, []string{"kpi-revenue", "static", "snapshot"}, names, "every region again after a reconnect")
}
