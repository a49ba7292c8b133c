package live_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers/live"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

type fixture struct {
	env     *storetest.Env
	hub     *live.Hub
	orgID   int64
	renders atomic.Int64
	padding int
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{env: storetest.New(t)}
	f.orgID, _ = f.env.NewOrg(t, "Live Test", "America/New_York", "USD")
	f.hub = live.NewHub(f.env.DB, func(ctx context.Context, snap *store.Snapshot, v live.Variant) ([]live.Fragment, error) {
		f.renders.Add(1)
		money := fmt.Sprint(snap.KPIs.RevenueMTD)
		if v.HideMoney {
			money = "hidden"
		}
		html := "<p data-kpi=\"revenue_mtd\">" + money + "</p>\n<p>v" + fmt.Sprint(snap.Version) + "</p>" + strings.Repeat("x", f.padding)
		return []live.Fragment{{Name: "kpi-revenue", HTML: []byte(html)}, {Name: "static", HTML: []byte("<p>unchanged</p>")}}, nil
	}, quiet)
	return f
}

func (f *fixture) pay(t *testing.T, amount int64) int64 {
	ctx := context.Background()
	require.NoError(t, f.env.DB.WriteOrg(ctx, f.orgID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `insert into payments (org_id, amount, currency, paid_at) values ($1, $2, 'USD', now())`, f.orgID, amount); err != nil {
			return err
		}
		_, err := store.MarkChanged(ctx, tx, f.orgID)
		return err
	}))
	res, err := f.env.DB.Recompute(ctx, f.orgID, time.Now())
	require.NoError(t, err)
	return res.Snapshot.Version
}

func TestHubRendersOncePerVersionForAllSubscribers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	f.pay(t, 1000)
	var subs []*live.Subscriber
	for i := 0; i < 50; i++ {
		s, first, err := f.hub.Subscribe(ctx, f.orgID, live.Variant{Shared: i%10 == 0, HideMoney: i%10 == 0}, 0)
		require.NoError(t, err)
		require.NotNil(t, first, "the full current state on connect")
		subs = append(subs, s)
	}
	require.EqualValues(t, 2, f.renders.Load(), "one render per variant, not per subscriber")

	v := f.pay(t, 2500)
	f.hub.Notify(ctx, f.orgID, false)
	require.EqualValues(t, 4, f.renders.Load())
	var first *live.Frame
	for i, s := range subs {
		fr := live.NextFrame(s, time.Second)
		require.NotNil(t, fr, "subscriber %d got no frame", i)
		require.Equal(t, v, fr.Version)
		if i%10 == 0 {
			require.Contains(t, string(fr.Bytes), ">hidden<")
			require.NotContains(t, string(fr.Bytes), "3500")
		} else {
			if first == nil {
				first = fr
			}
			require.Same(t, first, fr, "the same bytes for every subscriber")
			require.Contains(t, string(fr.Bytes), "id: "+fmt.Sprint(v)+"\nevent: kpi-revenue\ndata: <p data-kpi=\"revenue_mtd\">3500</p>\ndata: <p>v")
		}
	}
	// A notice for a version already sent renders nothing new and sends nothing.
	f.hub.Notify(ctx, f.orgID, false)
	require.EqualValues(t, 4, f.renders.Load())
	for _, s := range subs {
		f.hub.Unsubscribe(s)
	}
	require.Zero(t, f.hub.Streams())
}

func TestListenerComesBackAndResyncsAfterItsBackendIsTerminated(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.pay(t, 1000)
	connects := make(chan time.Time, 10)
	l := live.NewListener(f.env.DB.Pool.Config().ConnConfig, f.hub, quiet)
	l.OnConnect = func() { connects <- time.Now() }
	go l.Run(ctx)
	<-connects
	sub, _, err := f.hub.Subscribe(ctx, f.orgID, live.Variant{}, 0)
	require.NoError(t, err)

	// A recompute's NOTIFY reaches the stream through the listener.
	v := f.pay(t, 2000)
	fr := live.NextFrame(sub, 2*time.Second)
	require.NotNil(t, fr, "no frame after NOTIFY")
	require.Equal(t, v, fr.Version)

	pid, err := l.BackendPID(ctx)
	require.NoError(t, err)
	killed := time.Now()
	_, err = f.env.Admin.Exec(ctx, "select pg_terminate_backend($1)", pid)
	require.NoError(t, err)
	select {
	case at := <-connects:
		t.Logf("RESULT listener_reconnect_ms %d ms", at.Sub(killed).Milliseconds())
		require.Less(t, at.Sub(killed), 2*time.Second)
	case <-time.After(3 * time.Second):
		t.Fatal("listener did not come back within 2 s")
	}
	fr = live.NextFrame(sub, 2*time.Second)
	require.NotNil(t, fr, "no resync after reconnect")
	require.Equal(t, v, fr.Version, "the full current state is sent again after the reconnect")
}

// TestStuckClientNeverDelaysOthers opens one stream that never reads and several that do, pushes
// large frames, and checks the readers get every version promptly while the stuck one is dropped.
func TestStuckClientNeverDelaysOthers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.padding = 256 << 10
	ctx := context.Background()
	f.pay(t, 1)
	dropped := make(chan error, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sub, first, err := f.hub.Subscribe(r.Context(), f.orgID, live.Variant{}, 0)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer f.hub.Unsubscribe(sub)
		err = live.Serve(w, r, sub, first, live.StreamOptions{Heartbeat: time.Hour, WriteTimeout: 300 * time.Millisecond})
		if r.Header.Get("X-Stuck") != "" {
			dropped <- err
		}
	}))
	defer srv.Close()

	// The stuck client: a raw connection with a tiny receive buffer that never reads.
	raw, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	defer raw.Close()
	require.NoError(t, raw.(*net.TCPConn).SetReadBuffer(4096))
	_, err = fmt.Fprintf(raw, "GET / HTTP/1.1\r\nHost: x\r\nX-Stuck: 1\r\n\r\n")
	require.NoError(t, err)

	type reader struct{ versions chan int64 }
	var readers []reader
	var wg sync.WaitGroup
	readCtx, cancelRead := context.WithCancel(ctx)
	defer cancelRead()
	for i := 0; i < 5; i++ {
		rd := reader{versions: make(chan int64, 100)}
		readers = append(readers, rd)
		req, _ := http.NewRequestWithContext(readCtx, http.MethodGet, srv.URL, nil)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				var v int64
				if _, err := fmt.Sscanf(sc.Text(), "id: %d", &v); err == nil {
					select {
					case rd.versions <- v:
					default:
					}
				}
			}
		}()
	}
	require.Eventually(t, func() bool { return f.hub.Streams() == 6 }, 2*time.Second, 10*time.Millisecond)

	var worst time.Duration
	for round := 0; round < 15; round++ {
		v := f.pay(t, 1)
		sent := time.Now()
		f.hub.Notify(ctx, f.orgID, false)
		for i, rd := range readers {
			deadline := time.After(time.Second)
		wait:
			for {
				select {
				case got := <-rd.versions:
					if got >= v {
						break wait
					}
				case <-deadline:
					t.Fatalf("reader %d did not get version %d within 1 s", i, v)
				}
			}
		}
		worst = max(worst, time.Since(sent))
	}
	t.Logf("RESULT stuck_client_worst_delivery_ms %d ms", worst.Milliseconds())
	select {
	case err := <-dropped:
		require.Error(t, err, "the stuck client is dropped with a write error")
	case <-time.After(3 * time.Second):
		t.Fatal("the stuck client was never dropped")
	}
	cancelRead()
	wg.Wait()
}
