package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs/connector"
)

// scriptedPages is a connector that answers Fetch from a script, page n for cursor {"n":n},
// and fails the test when a call does not continue from the page before or overlaps another.
type scriptedPages struct {
	t     *testing.T
	sizes []int // records per page; the last page is done
	fail  int   // page number that fails (-1: none)
	mu    sync.Mutex
	busy  bool
	calls int
}

func (s *scriptedPages) Test(context.Context) error { return nil }

func (s *scriptedPages) Fetch(ctx context.Context, cursor json.RawMessage) (connector.Page, error) {
	s.mu.Lock()
	require.False(s.t, s.busy, "a connector sees its calls one after another")
	s.busy = true
	n := s.calls
	s.calls++
	s.mu.Unlock()
	defer func() { s.mu.Lock(); s.busy = false; s.mu.Unlock() }()
	want := "null"
	if n > 0 {
		want = fmt.Sprintf(`{"n":%d}`, n)
	}
	require.JSONEq(s.t, want, string(orNull(cursor)), "each call continues from the page before")
	if n == s.fail {
		return connector.Page{}, &connector.Error{Class: connector.ClassProviderDown, Err: errors.New("HTTP 503")}
	}
	recs := make([]connector.Record, s.sizes[n])
	for i := range recs {
		recs[i] = connector.Record{Kind: connector.KindPayment, ExternalID: fmt.Sprintf("p%d_%d", n, i)}
	}
	return connector.Page{Records: recs, Cursor: json.RawMessage(fmt.Sprintf(`{"n":%d}`, n+1)), Done: n == len(s.sizes)-1}, nil
}

func (s *scriptedPages) callCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

func orNull(c json.RawMessage) json.RawMessage {
	if c == nil {
		return json.RawMessage("null")
	}
	return c
}

// waitFetched waits until the feed holds every page it will fetch (the script's pages, or up
// to the failing one), so a test sees the writer's side of a fast provider.
func waitFetched(t *testing.T, s *scriptedPages, n int) {
	t.Helper()
	require.Eventually(t, func() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.calls >= n && !s.busy },
		5*time.Second, time.Millisecond)
}

func recordCounts(pages []connector.Page) []int {
	var out []int
	for _, p := range pages {
		out = append(out, len(p.Records))
	}
	return out
}

// TestFeedWritesPagesFetchedAheadTogether: pages that arrived while the writer was busy come
// together, up to the record cap (a first page larger than the cap still comes alone), and the
// last page ends the feed.
func TestFeedWritesPagesFetchedAheadTogether(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := &scriptedPages{t: t, sizes: []int{100, 100, 100, 250, 100, 0, 40}, fail: -1}
	f := startFeed(ctx, s, nil)
	defer f.stop()
	waitFetched(t, s, len(s.sizes))
	var got [][]int
	for {
		pages, err := f.next(ctx, 300)
		require.NoError(t, err)
		got = append(got, recordCounts(pages))
		if pages[len(pages)-1].Done {
			require.JSONEq(t, `{"n":7}`, string(pages[len(pages)-1].Cursor))
			break
		}
	}
	require.Equal(t, [][]int{{100, 100, 100}, {250}, {100, 0, 40}}, got)
	require.Equal(t, len(s.sizes), s.callCount(), "nothing is fetched after the last page")
}

// TestFeedHandsOutPagesBeforeAnError: the pages fetched before a failed call are written first;
// the error comes alone after them, and nothing is fetched after it.
func TestFeedHandsOutPagesBeforeAnError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := &scriptedPages{t: t, sizes: []int{100, 100, 100, 100}, fail: 2}
	f := startFeed(ctx, s, nil)
	defer f.stop()
	waitFetched(t, s, 3)
	pages, err := f.next(ctx, 1000)
	require.NoError(t, err)
	require.Equal(t, []int{100, 100}, recordCounts(pages))
	_, err = f.next(ctx, 1000)
	require.Equal(t, connector.ClassProviderDown, connector.ClassOf(err))
	require.Equal(t, 3, s.callCount())
}

// TestFeedStopsWhileAhead: a writer that gives up (job budget, shutdown, a failed write) stops
// a feed that is waiting with a full buffer, and no fetch runs after stop returns.
func TestFeedStopsWhileAhead(t *testing.T) {
	t.Parallel()
	sizes := make([]int, 3*feedAhead)
	for i := range sizes {
		sizes[i] = 10
	}
	s := &scriptedPages{t: t, sizes: sizes, fail: -1}
	f := startFeed(context.Background(), s, nil)
	waitFetched(t, s, feedAhead+1) // the buffer is full and one more page waits to go in
	pages, err := f.next(context.Background(), 20)
	require.NoError(t, err)
	require.Len(t, pages, 2)
	f.stop()
	calls := s.callCount()
	time.Sleep(50 * time.Millisecond)
	require.Equal(t, calls, s.callCount())
	require.Less(t, calls, len(sizes))
}
