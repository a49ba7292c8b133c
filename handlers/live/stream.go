package live

import (
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"syscall"
	"time"
)

// StreamOptions tunes SSE streams. Every hijacked stream of a hub shares the options of the
// first one (the server passes the same options to all).
type StreamOptions struct {
	// Heartbeat is the interval of comment lines that keep proxies and the badge honest.
	Heartbeat time.Duration
	// WriteTimeout drops a client that does not take a write within this time.
	WriteTimeout time.Duration
}

func (o StreamOptions) withDefaults() StreamOptions {
	if o.Heartbeat <= 0 {
		o.Heartbeat = 30 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 5 * time.Second
	}
	return o
}

// Stream serves sub on w and owns it from then on (it unsubscribes it when the stream ends).
// It writes the headers, a retry hint with jitter and the full current state. Then, on a plain
// HTTP/1.x connection, it hijacks the connection, hands it to the hub's writer pool and returns
// at once: the stream holds no goroutine while idle. Where hijacking is impossible (HTTP/2,
// TLS) it serves the stream on this goroutine like Serve.
//
// The session middleware writes its cookie when the header is written, which happens before the
// hijack; the hijack happens only after the response is committed.
func (h *Hub) Stream(w http.ResponseWriter, r *http.Request, sub *Subscriber, first *Frame, opts StreamOptions) error {
	opts = opts.withDefaults()
	hijack := canHijack && r.ProtoMajor == 1 && r.TLS == nil
	if hijack {
		// A body that ends when the connection closes, without chunked encoding (as the SSE
		// specification recommends): after the hijack, the pool writes each frame's bytes as is.
		w.Header().Set("Transfer-Encoding", "identity")
	}
	rc := http.NewResponseController(w)
	write := startStream(w, rc, opts)
	if err := writeOpening(write, first); err != nil {
		h.Unsubscribe(sub)
		return err
	}
	if hijack {
		nc, _, err := rc.Hijack() // the bufio.ReadWriter is dropped: nothing is read or buffered
		if err == nil {
			return h.adopt(nc, sub, first.version(), opts)
		}
	}
	defer h.Unsubscribe(sub)
	return loop(write, r.Context().Done(), sub, first.version(), opts)
}

// adopt gives a hijacked connection to the writer pool; a connection without a file descriptor
// (a wrapping listener) keeps a goroutine after all.
func (h *Hub) adopt(nc net.Conn, sub *Subscriber, shown int64, opts StreamOptions) error {
	if sc, ok := nc.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			fd := -1
			if err := raw.Control(func(f uintptr) { fd = int(f) }); err == nil && fd >= 0 {
				h.attach(nc, fd, sub, shown, opts)
				return nil
			}
		}
	}
	defer nc.Close()
	defer h.Unsubscribe(sub)
	return loop(func(b []byte) error {
		if err := nc.SetWriteDeadline(time.Now().Add(opts.WriteTimeout)); err != nil {
			return err
		}
		_, err := nc.Write(b)
		return err
	}, nil, sub, shown, opts)
}

// Serve writes the stream on the calling goroutine: a retry hint with jitter, the full current
// state, then each newer frame and heartbeats, until the client leaves, stops reading, or the hub
// closes the stream. It never blocks the hub: frames wait in the subscriber's one-slot mailbox.
// The caller unsubscribes sub afterwards.
func Serve(w http.ResponseWriter, r *http.Request, sub *Subscriber, first *Frame, opts StreamOptions) error {
	opts = opts.withDefaults()
	write := startStream(w, http.NewResponseController(w), opts)
	if err := writeOpening(write, first); err != nil {
		return err
	}
	return loop(write, r.Context().Done(), sub, first.version(), opts)
}

// version is the frame's version, 0 for none.
func (f *Frame) version() int64 {
	if f == nil {
		return 0
	}
	return f.Version
}

// startStream writes the event-stream headers and returns a writer that flushes each write
// within the write deadline.
func startStream(w http.ResponseWriter, rc *http.ResponseController, opts StreamOptions) func([]byte) error {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	return func(b []byte) error {
		if err := rc.SetWriteDeadline(time.Now().Add(opts.WriteTimeout)); err != nil && err != http.ErrNotSupported {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		return rc.Flush()
	}
}

// writeOpening writes the retry hint and the full current state.
func writeOpening(write func([]byte) error, first *Frame) error {
	// Reconnect after 1-4 s, spread so a restart does not bring every client back at once.
	retry := 1000 + rand.IntN(3000)
	if err := write(fmt.Appendf(nil, "retry: %d\n\n", retry)); err != nil {
		return err
	}
	if first != nil {
		return write(first.Bytes)
	}
	return write([]byte(": waiting for the first snapshot\n\n"))
}

// loop writes frames (as deltas from the version shown when possible), events and heartbeats
// until done, the hub closes the stream, or a write fails.
func loop(write func([]byte) error, done <-chan struct{}, sub *Subscriber, shown int64, opts StreamOptions) error {
	beat := time.NewTicker(opts.Heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-done:
			return nil
		case <-sub.Closed():
			switch sub.reason {
			case reasonRevoked:
				_ = write(revokedEvent)
			case reasonShutdown:
				_ = write(shutdownNotice())
			}
			return nil
		case <-sub.Ready():
			for _, b := range sub.take(nil, &shown) {
				if err := write(b); err != nil {
					return err
				}
			}
		case <-beat.C:
			if err := write(heartbeatComment); err != nil {
				return err
			}
		}
	}
}
