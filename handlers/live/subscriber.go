package live

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// closeReason says why the hub ended a stream.
type closeReason uint8

const (
	reasonGone     closeReason = iota // the client left or was dropped
	reasonRevoked                     // the share link was revoked: send `event: revoked` first
	reasonShutdown                    // the server is stopping: the client reconnects elsewhere
)

// revokedEvent tells the page its share link is gone (static/app.js reloads into the 410 page).
var revokedEvent = []byte("event: revoked\ndata: revoked\n\n")

// shutdownNotice tells the page the server is going away: an `event: reconnect` whose `retry:`
// field (0.5-3 s, jittered so a deploy does not bring every page back at once) the browser's
// EventSource honours when the stream ends right after, reconnecting by itself with Last-Event-ID
// (the htmx SSE extension steps in only if the EventSource gives up).
func shutdownNotice() []byte {
	return fmt.Appendf(nil, "event: reconnect\nretry: %d\ndata: restarting\n\n", 500+rand.IntN(2500))
}

// heartbeatComment keeps proxies from timing the stream out.
var heartbeatComment = []byte(": heartbeat\n\n")

// Subscriber is one open stream. Its mailbox is the newest undelivered frame (a newer frame
// replaces an undelivered one, so a slow reader only ever misses intermediate versions) and a
// short queue of ephemeral events, both kept in the subscriber itself rather than in channels:
// a fan-out to 10,000 streams then touches one object per stream, not three more channels. A
// stream served by its own goroutine (Serve) waits on Ready; a hijacked stream is drained by the
// hub's writer pool.
type Subscriber struct {
	OrgID       int64
	Variant     Variant
	ShareLinkID int64 // 0 for members

	frame atomic.Pointer[Frame] // the newest undelivered frame
	nev   atomic.Int32          // len(evs), read without the lock
	done  atomic.Bool           // set (after reason) when the hub ends the stream
	evMu  sync.Mutex
	evs   [][]byte // undelivered events, at most maxEvents

	ready     chan struct{} // one token: something waits in the mailbox (streams with no conn)
	closed    chan struct{}
	closeOnce sync.Once
	reason    closeReason // written before done is set and closed is closed

	// Guarded by Hub.mu.
	offered int64       // newest version offered, so a late older broadcast never overtakes it
	conn    *streamConn // set once the stream is handed to the writer pool
}

// maxEvents is how many ephemeral events wait for a stream; more are dropped for it (the next
// snapshot frame still arrives).
const maxEvents = 16

func newSubscriber(orgID int64, v Variant, shareLinkID int64) *Subscriber {
	return &Subscriber{OrgID: orgID, Variant: v, ShareLinkID: shareLinkID,
		ready: make(chan struct{}, 1), closed: make(chan struct{})}
}

// Ready receives when a frame or an event waits in the mailbox (take it with take). Only streams
// not handed to the writer pool are signalled.
func (s *Subscriber) Ready() <-chan struct{} { return s.ready }

// Closed is closed when the hub ends the stream (a revoked share link, server shutdown).
func (s *Subscriber) Closed() <-chan struct{} { return s.closed }

func (s *Subscriber) close() { s.closeWith(reasonGone) }

func (s *Subscriber) closeWith(r closeReason) {
	s.closeOnce.Do(func() {
		s.reason = r
		s.done.Store(true)
		close(s.closed)
	})
}

// ended reports whether the hub ended the stream, and why.
func (s *Subscriber) ended() (bool, closeReason) {
	if !s.done.Load() {
		return false, reasonGone
	}
	return true, s.reason
}

// signal wakes a stream served by its own goroutine. The caller holds Hub.mu (for conn).
func (s *Subscriber) signal() {
	if s.conn != nil {
		return
	}
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// offer hands f to the subscriber without ever blocking: a stale undelivered frame is replaced.
// It reports whether a frame was replaced (dropped before delivery). The caller holds Hub.mu.
func (s *Subscriber) offer(f *Frame) (replaced bool) {
	replaced = s.frame.Swap(f) != nil
	s.signal()
	return replaced
}

// offerEvent queues an ephemeral event; false when the queue is full and the event is dropped.
// The caller holds Hub.mu.
func (s *Subscriber) offerEvent(b []byte) bool {
	s.evMu.Lock()
	ok := len(s.evs) < maxEvents
	if ok {
		s.evs = append(s.evs, b)
		s.nev.Store(int32(len(s.evs)))
	}
	s.evMu.Unlock()
	if ok {
		s.signal()
	}
	return ok
}

// take appends everything waiting in the mailbox to bufs: events first, then the newest frame,
// as the delta from *shown when possible; *shown becomes the frame's version.
func (s *Subscriber) take(bufs [][]byte, shown *int64) [][]byte {
	// The event count is read without the lock: an event queued after it is seen by the flush
	// its offer schedules. Most flushes carry a frame and no event, so this saves a lock per stream.
	if s.nev.Load() > 0 {
		s.evMu.Lock()
		bufs = append(bufs, s.evs...)
		clear(s.evs)
		s.evs = s.evs[:0]
		s.nev.Store(0)
		s.evMu.Unlock()
	}
	if s.frame.Load() == nil {
		return bufs
	}
	if f := s.frame.Swap(nil); f != nil {
		bufs = append(bufs, f.bytesFor(*shown))
		*shown = f.Version
	}
	return bufs
}
