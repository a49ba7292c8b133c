// Package live is the SSE side of the spine: one PostgreSQL LISTEN connection per instance feeds a
// Hub, which renders each organization's dashboard fragments once per snapshot version and hands
// the same bytes to every open stream of that organization.
package live

import (
	"bytes"
	"context"
	"log/slog"
	"strconv"
	"sync"
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

// Frame is the rendered state of one organization at one version, already framed as SSE events.
type Frame struct {
	Version    int64
	ComputedAt time.Time
	Bytes      []byte
}

// Hub fans snapshot changes out to the streams of each organization.
type Hub struct {
	snaps  Snapshots
	render Renderer
	log    *slog.Logger

	mu   sync.Mutex
	orgs map[int64]*orgStreams
}

type orgStreams struct {
	subs   map[*Subscriber]struct{}
	frames map[Variant]*Frame
	sent   map[Variant]int64 // newest version broadcast per variant
	// loading serializes renders of one organization so each version is rendered once.
	loading sync.Mutex
}

// Subscriber is one open stream.
type Subscriber struct {
	OrgID       int64
	Variant     Variant
	ShareLinkID int64 // 0 for members
	frames      chan *Frame
	events      chan []byte
	closed      chan struct{}
	closeOnce   sync.Once
}

// NewHub makes a hub.
func NewHub(snaps Snapshots, render Renderer, log *slog.Logger) *Hub {
	return &Hub{snaps: snaps, render: render, log: log, orgs: map[int64]*orgStreams{}}
}

// Subscribe registers a stream and returns it with the organization's current frame (nil when
// there is no snapshot yet).
func (h *Hub) Subscribe(ctx context.Context, orgID int64, v Variant, shareLinkID int64) (*Subscriber, *Frame, error) {
	s := &Subscriber{OrgID: orgID, Variant: v, ShareLinkID: shareLinkID,
		frames: make(chan *Frame, 1), events: make(chan []byte, 16), closed: make(chan struct{})}
	h.mu.Lock()
	os := h.orgs[orgID]
	if os == nil {
		os = &orgStreams{subs: map[*Subscriber]struct{}{}, frames: map[Variant]*Frame{}, sent: map[Variant]int64{}}
		h.orgs[orgID] = os
	}
	os.subs[s] = struct{}{}
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
		delete(os.subs, s)
		if len(os.subs) == 0 {
			delete(h.orgs, s.OrgID)
		}
	}
	s.close()
}

// Frames delivers newer frames; a slow reader only ever misses intermediate versions.
func (s *Subscriber) Frames() <-chan *Frame { return s.frames }

// Events delivers ephemeral org events, already framed; when a reader falls behind by more
// than the buffer, further events are dropped for it (the next snapshot frame still arrives).
func (s *Subscriber) Events() <-chan []byte { return s.events }

// Closed is closed when the hub ends the stream (a revoked share link).
func (s *Subscriber) Closed() <-chan struct{} { return s.closed }

func (s *Subscriber) close() { s.closeOnce.Do(func() { close(s.closed) }) }

// offer hands f to the subscriber without ever blocking: a stale undelivered frame is replaced.
func (s *Subscriber) offer(f *Frame) {
	for {
		select {
		case s.frames <- f:
			return
		default:
		}
		select {
		case <-s.frames:
		default:
		}
	}
}

// Notify is called for every change notice: the organization has a new snapshot. It renders
// once per variant in use and offers the frame to every subscriber of the organization. With
// force, the current frame is sent even if it was sent before (after a lost LISTEN connection).
func (h *Hub) Notify(ctx context.Context, orgID int64, force bool) {
	h.mu.Lock()
	os := h.orgs[orgID]
	variants := map[Variant]bool{}
	if os != nil {
		for s := range os.subs {
			variants[s.Variant] = true
		}
	}
	h.mu.Unlock()
	if os == nil {
		return
	}
	for v := range variants {
		f, err := h.frame(ctx, orgID, os, v, true)
		if err != nil {
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

func (h *Hub) broadcast(orgID int64, v Variant, f *Frame) {
	h.mu.Lock()
	defer h.mu.Unlock()
	os := h.orgs[orgID]
	if os == nil {
		return
	}
	for s := range os.subs {
		if s.Variant == v {
			s.offer(f)
		}
	}
}

// CloseShareLink ends every stream opened through a share link (revoked or expired).
func (h *Hub) CloseShareLink(linkID int64) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, os := range h.orgs {
		for s := range os.subs {
			if s.ShareLinkID == linkID {
				s.close()
				n++
			}
		}
	}
	return n
}

// Streams is the number of open streams (for metrics and tests).
func (h *Hub) Streams() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, os := range h.orgs {
		n += len(os.subs)
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
	f := &Frame{Version: snap.Version, ComputedAt: snap.ComputedAt, Bytes: encodeFrame(snap, frags)}
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
	h.mu.Lock()
	defer h.mu.Unlock()
	os := h.orgs[ev.OrgID]
	if os == nil {
		return
	}
	var newest int64
	for _, v := range os.sent {
		newest = max(newest, v)
	}
	var b bytes.Buffer
	writeEvent(&b, strconv.FormatInt(newest, 10), ev.Name, []byte(ev.HTML))
	framed := b.Bytes()
	for s := range os.subs {
		select {
		case s.events <- framed:
		default:
		}
	}
}
