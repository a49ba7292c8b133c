// Package live is the SSE side of the spine: one PostgreSQL LISTEN connection per instance feeds a
// Hub, which renders each organization's dashboard fragments once per snapshot version and hands
// the same bytes to every open stream of that organization.
//
// Streams over plain HTTP/1.x are hijacked after their first frame and written by a small pool of
// writer goroutines (pool.go): an idle stream costs a socket and a few hundred bytes, not a
// goroutine with its stack and net/http's buffers. Streams the server cannot hijack (HTTP/2,
// TLS) keep one goroutine each (Serve).
package live

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wedsync/wedsync/store"
)

// Fragment is the inner HTML of one live region, named like its sse-swap attribute.
type Fragment struct {
	Name string
	HTML []byte
}

// Variant is what changes a stream's bytes: a share-link view (no links into the app), hidden
// money figures, and the period shown by the revenue and pipeline groups. Every stream of one
// variant of one organization gets identical bytes.
type Variant struct {
	Shared    bool
	HideMoney bool
	Period    string
}

// Renderer renders every live fragment of a snapshot for one variant.
type Renderer func(ctx context.Context, snap *store.Snapshot, v Variant) ([]Fragment, error)

// Snapshots is what the hub reads from the store.
type Snapshots interface {
	LatestSnapshot(ctx context.Context, orgID int64) (*store.Snapshot, error)
}

// Frame is the rendered state of one organization at one version, already framed as SSE events:
// Bytes is the full state, and deltas hold only the regions that changed since a few older
// versions, for streams that show one of those already. All end with the "snapshot" event.
type Frame struct {
	Version    int64
	ComputedAt time.Time
	Bytes      []byte
	deltas     []delta
}

// ErrClosed is returned by Subscribe after Close (the server is shutting down).
var ErrClosed = errors.New("live: hub closed")

// Hub fans snapshot changes out to the streams of each organization.
type Hub struct {
	snaps  Snapshots
	render Renderer
	log    *slog.Logger
	m      *hubMetrics

	poolOnce sync.Once
	pool     atomic.Pointer[writerPool]

	mu     sync.Mutex
	orgs   map[int64]*orgStreams
	closed bool
}

type orgStreams struct {
	subs    subscriberSet
	nvar    map[Variant]int // subscribers per variant, so a notice need not visit every stream
	frames  map[Variant]*Frame
	history map[Variant][]rendition // the last deltaDepth renditions, for deltas; guarded by loading
	sent    map[Variant]int64       // newest version broadcast per variant
	// loading serializes renders of one organization so each version is rendered once.
	loading sync.Mutex
}

// NewHub makes a hub.
func NewHub(snaps Snapshots, render Renderer, log *slog.Logger) *Hub {
	return &Hub{snaps: snaps, render: render, log: log, orgs: map[int64]*orgStreams{}, m: newHubMetrics()}
}

// Subscribe registers a stream and returns it with the organization's current frame (nil when
// there is no snapshot yet).
func (h *Hub) Subscribe(ctx context.Context, orgID int64, v Variant, shareLinkID int64) (*Subscriber, *Frame, error) {
	s := newSubscriber(orgID, v, shareLinkID)
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, nil, ErrClosed
	}
	os := h.orgs[orgID]
	if os == nil {
		os = &orgStreams{subs: newSubscriberSet(), nvar: map[Variant]int{}, frames: map[Variant]*Frame{},
			history: map[Variant][]rendition{}, sent: map[Variant]int64{}}
		h.orgs[orgID] = os
	}
	os.subs.add(s)
	os.nvar[v]++
	h.mu.Unlock()
	f, err := h.frame(ctx, orgID, os, v, false)
	if err != nil {
		h.Unsubscribe(s)
		return nil, nil, err
	}
	return s, f, nil
}

// Unsubscribe removes a stream.
func (h *Hub) Unsubscribe(s *Subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if os := h.orgs[s.OrgID]; os != nil {
		if os.subs.remove(s) {
			if os.nvar[s.Variant]--; os.nvar[s.Variant] <= 0 {
				delete(os.nvar, s.Variant)
			}
		}
		if os.subs.len() == 0 {
			delete(h.orgs, s.OrgID)
		}
	}
	s.close()
}

// Notify is called for every change notice: the organization has a new snapshot. It renders
// once per variant in use and offers the frame to every subscriber of the organization. With
// force, the current frame is sent even if it was sent before (after a lost LISTEN connection).
func (h *Hub) Notify(ctx context.Context, orgID int64, force bool) {
	h.mu.Lock()
	os := h.orgs[orgID]
	var variants []Variant
	if os != nil {
		for v := range os.nvar {
			variants = append(variants, v)
		}
	}
	h.mu.Unlock()
	if os == nil {
		return
	}
	for _, v := range variants {
		f, err := h.frame(ctx, orgID, os, v, true)
		if err != nil {
			if ctx.Err() != nil {
				return // shutting down
			}
			h.log.Error("live: render", "org", orgID, "err", err)
			continue
		}
		if f == nil {
			continue
		}
		h.mu.Lock()
		fresh := force || f.Version > os.sent[v]
		if f.Version > os.sent[v] {
			os.sent[v] = f.Version
		}
		h.mu.Unlock()
		if fresh {
			h.broadcast(orgID, v, f)
		}
	}
}

// ResyncAll re-reads every watched organization and sends its full current state to every stream
// (after the LISTEN connection was lost, notices may have been missed).
func (h *Hub) ResyncAll(ctx context.Context) {
	for _, id := range h.WatchedOrgs() {
		h.Notify(ctx, id, true)
	}
}

// broadcast offers f to every subscriber of the variant and wakes the writer pool for the
// hijacked ones. The hub lock is held only to fill the mailboxes, never while writing.
func (h *Hub) broadcast(orgID int64, v Variant, f *Frame) {
	start := time.Now()
	var conns []*streamConn
	replaced := 0
	h.mu.Lock()
	if os := h.orgs[orgID]; os != nil {
		for _, s := range os.subs.list {
			if s.Variant != v || f.Version < s.offered {
				continue
			}
			s.offered = f.Version
			if s.offer(f) {
				replaced++
			}
			if s.conn != nil {
				conns = append(conns, s.conn)
			}
		}
	}
	h.mu.Unlock()
	h.m.framesDropped.Add(float64(replaced))
	if len(conns) == 0 {
		h.m.fanout.Observe(time.Since(start).Seconds())
		return
	}
	h.writers().schedule(conns, jobFlush, func() { h.m.fanout.Observe(time.Since(start).Seconds()) })
}

// CloseShareLink ends every stream opened through a share link (revoked or expired): each is
// sent `event: revoked` and closed.
func (h *Hub) CloseShareLink(linkID int64) int {
	var conns []*streamConn
	h.mu.Lock()
	n := 0
	for _, os := range h.orgs {
		for _, s := range os.subs.list {
			if s.ShareLinkID == linkID {
				s.closeWith(reasonRevoked)
				if s.conn != nil {
					conns = append(conns, s.conn)
				}
				n++
			}
		}
	}
	h.mu.Unlock()
	if len(conns) > 0 {
		h.writers().revoke(conns)
	}
	return n
}

// Shutdown tells every open stream to reconnect (shutdownNotice) and ends it, and refuses new
// streams. It waits until every stream is closed or ctx ends, then closes what is left (Close):
// a client too stuck to take the notice does not hold the process.
func (h *Hub) Shutdown(ctx context.Context) {
	var conns []*streamConn
	h.mu.Lock()
	h.closed = true
	for _, os := range h.orgs {
		for _, s := range os.subs.list {
			s.closeWith(reasonShutdown)
			if s.conn != nil {
				conns = append(conns, s.conn)
			}
		}
	}
	h.mu.Unlock()
	if len(conns) > 0 {
		h.writers().schedule(conns, jobFlush, nil)
	}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for h.Streams() > 0 {
		select {
		case <-ctx.Done():
			h.Close()
			return
		case <-tick.C:
		}
	}
	h.Close()
}

// Close ends every stream (server shutdown) and refuses new ones. Hijacked connections are closed
// at once, since http.Server.Shutdown does not know them; streams served by their own goroutine
// return, so Shutdown does not wait for them.
func (h *Hub) Close() {
	var conns []*streamConn
	h.mu.Lock()
	h.closed = true
	for _, os := range h.orgs {
		for _, s := range os.subs.list {
			s.closeWith(reasonShutdown)
			if s.conn != nil {
				conns = append(conns, s.conn)
			}
		}
	}
	h.mu.Unlock()
	for _, c := range conns {
		c.kill(nil)
	}
	if p := h.pool.Load(); p != nil {
		p.stop()
	}
}

// writersWith returns the writer pool, started with opts by its first caller.
func (h *Hub) writersWith(opts StreamOptions) *writerPool {
	h.poolOnce.Do(func() { h.pool.Store(newWriterPool(h, opts)) })
	return h.pool.Load()
}

// writers returns the writer pool (it exists once a stream was hijacked).
func (h *Hub) writers() *writerPool { return h.writersWith(StreamOptions{}) }

// Streams is the number of open streams (for metrics and tests).
func (h *Hub) Streams() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, os := range h.orgs {
		n += os.subs.len()
	}
	return n
}

// WatchedOrgs lists the organizations with at least one open stream.
func (h *Hub) WatchedOrgs() []int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	ids := make([]int64, 0, len(h.orgs))
	for id := range h.orgs {
		ids = append(ids, id)
	}
	return ids
}

// frame returns the organization's current frame for a variant, rendering it if the stored
// snapshot is newer than the cached frame (or always when refresh is false and none is cached).
func (h *Hub) frame(ctx context.Context, orgID int64, os *orgStreams, v Variant, refresh bool) (*Frame, error) {
	os.loading.Lock()
	defer os.loading.Unlock()
	h.mu.Lock()
	cached := os.frames[v]
	h.mu.Unlock()
	if cached != nil && !refresh {
		return cached, nil
	}
	snap, err := h.snaps.LatestSnapshot(ctx, orgID)
	if err != nil {
		if isNotFound(err) {
			return cached, nil
		}
		return nil, err
	}
	if cached != nil && cached.Version >= snap.Version {
		return cached, nil
	}
	frags, err := h.render(ctx, snap, v)
	if err != nil {
		return nil, err
	}
	hist := os.history[v]
	f, r := newFrame(snap, frags, hist)
	os.history[v] = append(hist[max(0, len(hist)-deltaDepth+1):len(hist):len(hist)], r)
	h.mu.Lock()
	os.frames[v] = f
	h.mu.Unlock()
	return f, nil
}

// KeepWatched calls mark for every organization with open streams, every interval, so the
// periodic refresh knows which snapshots someone is looking at.
func (h *Hub) KeepWatched(ctx context.Context, interval time.Duration, mark func(ctx context.Context, orgID int64) error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, id := range h.WatchedOrgs() {
				if err := mark(ctx, id); err != nil {
					h.log.Warn("live: mark watched", "org", id, "err", err)
				}
			}
		}
	}
}

// Publish frames an ephemeral event once and offers it to every stream of the organization.
// The event carries the organization's current snapshot version as its id, so a reconnecting
// browser's Last-Event-ID stays meaningful.
func (h *Hub) Publish(ev store.OrgEvent) {
	var conns []*streamConn
	dropped := 0
	h.mu.Lock()
	os := h.orgs[ev.OrgID]
	if os == nil {
		h.mu.Unlock()
		return
	}
	var newest int64
	for _, v := range os.sent {
		newest = max(newest, v)
	}
	var b bytes.Buffer
	writeEvent(&b, strconv.FormatInt(newest, 10), ev.Name, []byte(ev.HTML))
	framed := b.Bytes()
	for _, s := range os.subs.list {
		if !s.offerEvent(framed) {
			dropped++
		}
		if s.conn != nil {
			conns = append(conns, s.conn)
		}
	}
	h.mu.Unlock()
	h.m.eventsDropped.Add(float64(dropped))
	if len(conns) > 0 {
		h.writers().schedule(conns, jobFlush, nil)
	}
}
