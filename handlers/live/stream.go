package live

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"
)

// StreamOptions tunes one SSE stream.
type StreamOptions struct {
	// Heartbeat is the interval of comment lines that keep proxies and the badge honest.
	Heartbeat time.Duration
	// WriteTimeout drops a client that does not take a write within this time.
	WriteTimeout time.Duration
}

// Serve writes the stream: a retry hint with jitter, the full current state, then each newer
// frame and heartbeats, until the client leaves, stops reading, or the hub closes the stream.
// It never blocks the hub: frames wait in the subscriber's one-slot mailbox.
func Serve(w http.ResponseWriter, r *http.Request, sub *Subscriber, first *Frame, opts StreamOptions) error {
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = 30 * time.Second
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 5 * time.Second
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache, no-transform")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	write := func(b []byte) error {
		if err := rc.SetWriteDeadline(time.Now().Add(opts.WriteTimeout)); err != nil && err != http.ErrNotSupported {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		return rc.Flush()
	}
	// Reconnect after 1-4 s, spread so a restart does not bring every client back at once.
	retry := 1000 + rand.IntN(3000)
	if err := write(fmt.Appendf(nil, "retry: %d\n\n", retry)); err != nil {
		return err
	}
	if first != nil {
		if err := write(first.Bytes); err != nil {
			return err
		}
	} else if err := write([]byte(": waiting for the first snapshot\n\n")); err != nil {
		return err
	}
	beat := time.NewTicker(opts.Heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-sub.Closed():
			_ = write([]byte("event: revoked\ndata: revoked\n\n"))
			return nil
		case f := <-sub.Frames():
			if err := write(f.Bytes); err != nil {
				return err
			}
		case ev := <-sub.Events():
			if err := write(ev); err != nil {
				return err
			}
		case <-beat.C:
			if err := write([]byte(": heartbeat\n\n")); err != nil {
				return err
			}
		}
	}
}
