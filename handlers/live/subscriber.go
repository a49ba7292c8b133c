package live

import (
	"fmt"
	"math/rand/v2"
	"sync"
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

// Subscriber is one open stream. Its mailbox is a one-slot frame channel (a newer frame replaces
// an undelivered one, so a slow reader only ever misses intermediate versions) and a small
// channel of ephemeral events. A stream served by its own goroutine (Serve) reads the channels;
// a hijacked stream is drained by the hub's writer pool.
type Subscriber struct {
	OrgID       int64
	Variant     Variant
	ShareLinkID int64 // 0 for members
	frames      chan *Frame
	events      chan []byte
	closed      chan struct{}
	closeOnce   sync.Once
	reason      closeReason // written before closed is closed

	// Guarded by Hub.mu.
	offered int64       // newest version offered, so a late older broadcast never overtakes it
	conn    *streamConn // set once the stream is handed to the writer pool
}

func newSubscriber(orgID int64, v Variant, shareLinkID int64) *Subscriber {
	return &Subscriber{OrgID: orgID, Variant: v, ShareLinkID: shareLinkID,
		frames: make(chan *Frame, 1), events: make(chan []byte, 16), closed: make(chan struct{})}
}

// Frames delivers newer frames; a slow reader only ever misses intermediate versions.
func (s *Subscriber) Frames() <-chan *Frame { return s.frames }

// Events delivers ephemeral org events, already framed; when a reader falls behind by more
// than the buffer, further events are dropped for it (the next snapshot frame still arrives).
func (s *Subscriber) Events() <-chan []byte { return s.events }

// Closed is closed when the hub ends the stream (a revoked share link, server shutdown).
func (s *Subscriber) Closed() <-chan struct{} { return s.closed }

func (s *Subscriber) close() { s.closeWith(reasonGone) }

func (s *Subscriber) closeWith(r closeReason) {
	s.closeOnce.Do(func() {
		s.reason = r
		close(s.closed)
	})
}

// ended reports whether the hub ended the stream, and why.
func (s *Subscriber) ended() (bool, closeReason) {
	select {
	case <-s.closed:
		return true, s.reason
	default:
		return false, reasonGone
	}
}

// offer hands f to the subscriber without ever blocking: a stale undelivered frame is replaced.
// It reports whether a frame was replaced (dropped before delivery).
func (s *Subscriber) offer(f *Frame) (replaced bool) {
	for {
		select {
		case s.frames <- f:
			return replaced
		default:
		}
		select {
		case <-s.frames:
			replaced = true
		default:
		}
	}
}

// offerEvent queues an ephemeral event; false when the buffer is full and the event is dropped.
func (s *Subscriber) offerEvent(b []byte) bool {
	select {
	case s.events <- b:
		return true
	default:
		return false
	}
}

// take appends everything waiting in the mailbox to bufs: events first, then the newest frame,
// as the delta from *shown when possible; *shown becomes the frame's version.
func (s *Subscriber) take(bufs [][]byte, shown *int64) [][]byte {
	// len is read without the channel's lock: an event queued after it is seen by the flush its
	// offer schedules. Most flushes carry a frame and no event, so this saves a lock per stream.
	for len(s.events) > 0 {
		select {
		case ev := <-s.events:
			bufs = append(bufs, ev)
			continue
		default:
		}
		break
	}
	if len(s.frames) == 0 {
		return bufs
	}
	select {
	case f := <-s.frames:
		bufs = append(bufs, f.bytesFor(*shown))
		*shown = f.Version
	default:
	}
	return bufs
}
