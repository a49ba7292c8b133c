package live

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/storetest"
)

// page is what a browser shows of the live regions: htmx's sse-swap replaces a region's inner
// HTML with the data of the event of its name.
type page map[string]string

// sseEvent is one parsed event of a stream.
type sseEvent struct{ id, name, data string }

// parseEvents splits framed bytes into events the way EventSource does: data lines are joined
// with newlines, a blank line ends an event, comment lines are ignored.
func parseEvents(t *testing.T, b []byte) []sseEvent {
	t.Helper()
	var out []sseEvent
	var ev sseEvent
	var data []string
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case line == "":
			if ev.name != "" || len(data) > 0 {
				ev.data = strings.Join(data, "\n")
				out = append(out, ev)
			}
			ev, data = sseEvent{}, nil
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "id: "):
			ev.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			ev.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = append(data, strings.TrimPrefix(line, "data: "))
		default:
			t.Fatalf("unexpected line %q", line)
		}
	}
	require.Empty(t, data, "the bytes end in the middle of an event")
	return out
}

// apply swaps the regions of b into p and returns the names it swapped, in order. The snapshot
// event must close b.
func (p page) apply(t *testing.T, b []byte) []string {
	t.Helper()
	evs := parseEvents(t, b)
	require.NotEmpty(t, evs)
	require.Equal(t, "snapshot", evs[len(evs)-1].name, "the snapshot event closes every frame")
	var names []string
	for _, ev := range evs[:len(evs)-1] {
		require.Equal(t, evs[len(evs)-1].id, ev.id, "every event of a frame carries its version")
		p[ev.name] = ev.data
		names = append(names, ev.name)
	}
	return names
}

// convergeRender makes live regions that change at different rates: on every payment
// (revenue), now and then (band), back and forth with the version (parity, which returns to
// older bytes), never (static), and one spanning several lines.
func convergeRender(_ context.Context, snap *store.Snapshot, v Variant) ([]Fragment, error) {
	rev := snap.KPIs.RevenueMTD
	money := fmt.Sprint(rev)
	if v.HideMoney {
		money = "hidden"
	}
	parity := "even"
	if snap.Version%3 == 0 {
		parity = "third"
	}
	return []Fragment{
		{Name: "kpi-revenue", HTML: []byte(`<p data-kpi="revenue_mtd">` + money + `</p>`)},
		{Name: "band", HTML: []byte(fmt.Sprintf("<p>band %d</p>", rev/1000))},
		{Name: "parity", HTML: []byte("<p>" + parity + "</p>")},
		{Name: "static", HTML: []byte("<p>unchanged</p>")},
		{Name: "lines", HTML: []byte(fmt.Sprintf("<ul>\n<li>%d</li>\n<li>%d</li>\n</ul>", rev/500, rev%7))},
	}, nil
}

type convergeEnv struct {
	env   *storetest.Env
	hub   *Hub
	orgID int64
}

func newConvergeEnv(t *testing.T) *convergeEnv {
	e := &convergeEnv{env: storetest.New(t)}
	e.orgID, _ = e.env.NewOrg(t, "Converge", "Europe/London", "GBP")
	e.hub = NewHub(e.env.DB, convergeRender, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(e.hub.Close)
	return e
}

// pay records a payment and recomputes the snapshot; the hub hears of it only through Notify.
func (e *convergeEnv) pay(t *testing.T, amount int64) {
	ctx := context.Background()
	require.NoError(t, e.env.DB.WriteOrg(ctx, e.orgID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `insert into payments (org_id, amount, currency, paid_at) values ($1, $2, 'GBP', now())`, e.orgID, amount); err != nil {
			return err
		}
		_, err := store.MarkChanged(ctx, tx, e.orgID)
		return err
	}))
	_, err := e.env.DB.Recompute(ctx, e.orgID, time.Now())
	require.NoError(t, err)
}

// current is the page a fresh load of the latest snapshot shows, rendered directly.
func (e *convergeEnv) current(t *testing.T) (page, int64) {
	snap, err := e.env.DB.LatestSnapshot(context.Background(), e.orgID)
	require.NoError(t, err)
	frags, err := convergeRender(context.Background(), snap, Variant{})
	require.NoError(t, err)
	p := page{}
	for _, f := range frags {
		p[f.Name] = string(f.HTML)
	}
	return p, snap.Version
}

// viewer is one open page: its regions, and the version its stream has shown.
type viewer struct {
	sub   *Subscriber
	page  page
	shown int64
}

func (e *convergeEnv) open(t *testing.T, p page) *viewer {
	sub, first, err := e.hub.Subscribe(context.Background(), e.orgID, Variant{}, 0)
	require.NoError(t, err)
	require.NotNil(t, first)
	if p == nil {
		p = page{}
	}
	names := p.apply(t, first.Bytes)
	require.Len(t, names, 5, "a new stream gets every region")
	return &viewer{sub: sub, page: p, shown: first.Version}
}

// TestEveryPageConvergesAfterAnySequenceOfUpdates drives a hub through a random sequence of
// payments, notices (some payments are never noticed on their own), streams that read at once,
// streams that fall behind (their mailbox skips versions, past the delta depth too) and streams
// that reconnect keeping their page. Each frame a stream takes is exactly what the writer pool
// writes (Subscriber.take): a delta holds exactly the regions that differ on that page, and after
// every frame the page equals the full state of the frame's version; at the end every page equals
// a fresh rendering of the latest snapshot.
func TestEveryPageConvergesAfterAnySequenceOfUpdates(t *testing.T) {
	t.Parallel()
	e := newConvergeEnv(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 7))
	e.pay(t, 100)
	viewers := []*viewer{e.open(t, nil), e.open(t, nil), e.open(t, nil), e.open(t, nil)}
	deltas, fulls := 0, 0

	take := func(v *viewer) {
		f := e.hub.frameFor(v.sub.Variant, e.orgID)
		before := maps.Clone(v.page)
		shownBefore := v.shown
		bufs := v.sub.take(nil, &v.shown)
		if len(bufs) == 0 {
			return
		}
		require.Len(t, bufs, 1)
		b := bufs[0]
		names := v.page.apply(t, b)
		full := page{}
		full.apply(t, f.Bytes)
		require.Equal(t, full, v.page, "the page shows version %d after a frame from %d", f.Version, shownBefore)
		if bytes.Equal(b, f.Bytes) {
			fulls++
			return
		}
		deltas++
		var changed []string
		for name, html := range full {
			if before[name] != html {
				changed = append(changed, name)
			}
		}
		slices.Sort(changed)
		slices.Sort(names)
		require.Equal(t, changed, names, "a delta from %d to %d holds exactly the changed regions", shownBefore, f.Version)
	}

	for step := range 80 {
		amount := []int64{1, 250, 999, 1000, 4321}[rng.IntN(5)]
		e.pay(t, amount)
		if rng.IntN(4) > 0 { // else this version is never rendered: the next notice skips it
			e.hub.Notify(ctx, e.orgID, false)
		}
		for i, v := range viewers {
			switch r := rng.IntN(20); {
			case r == 0: // reconnect: the browser keeps its page and gets the full state again
				e.hub.Unsubscribe(v.sub)
				viewers[i] = e.open(t, v.page)
			case r < 8 || (i == 0 && step%9 != 8): // viewer 0 reads nearly every frame
				take(v)
			}
		}
	}
	e.hub.Notify(ctx, e.orgID, false)
	want, version := e.current(t)
	for _, v := range viewers {
		take(v)
		require.Equal(t, version, v.shown)
		require.Equal(t, want, v.page, "every page ends equal to a fresh rendering of the latest snapshot")
	}
	require.Positive(t, deltas)
	require.Positive(t, fulls, "streams that fell behind past the delta depth got the full state")
}

// TestStreamFarBehindGetsTheFullStateAndOneVersionBehindOnlyTheChange checks both ends of the
// delta depth directly: a stream whose mailbox skipped more versions than the hub keeps deltas
// for gets every region; one version behind, only the regions that changed.
func TestStreamFarBehindGetsTheFullStateAndOneVersionBehindOnlyTheChange(t *testing.T) {
	t.Parallel()
	e := newConvergeEnv(t)
	ctx := context.Background()
	e.pay(t, 100)
	behind, current := e.open(t, nil), e.open(t, nil)
	for range deltaDepth + 1 {
		e.pay(t, 1)
		e.hub.Notify(ctx, e.orgID, false)
		bufs := current.sub.take(nil, &current.shown)
		require.Len(t, bufs, 1)
		names := current.page.apply(t, bufs[0])
		require.Contains(t, names, "kpi-revenue")
		require.Contains(t, names, "lines")
		require.NotContains(t, names, "static")
		require.NotContains(t, names, "band")
	}
	bufs := behind.sub.take(nil, &behind.shown)
	require.Len(t, bufs, 1)
	names := behind.page.apply(t, bufs[0])
	require.Len(t, names, 5, "a stream more than %d versions behind gets every region", deltaDepth)
	want, _ := e.current(t)
	require.Equal(t, want, behind.page)
	require.Equal(t, want, current.page)
}

// frameFor is the hub's current frame of a variant (tests only).
func (h *Hub) frameFor(v Variant, orgID int64) *Frame {
	h.mu.Lock()
	defer h.mu.Unlock()
	if os := h.orgs[orgID]; os != nil {
		return os.frames[v]
	}
	return nil
}
