// Package webhooktest is a webhook receiver for tests and benchmarks: it verifies every request's
// signature the way the README tells integrators to, records what it accepted, and can answer
// with errors or drop connections like a receiver that is down.
package webhooktest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/wedsync/wedsync/jobs/channel/webhook"
)

// Delivery is one accepted (2xx) request.
type Delivery struct {
	ID, Event  string
	Body       []byte
	Header     http.Header
	ReceivedAt time.Time
}

// Decode unmarshals the body into v.
func (d Delivery) Decode(v any) error { return json.Unmarshal(d.Body, v) }

// Receiver is a running receiver.
type Receiver struct {
	*httptest.Server
	// Secret verifies signatures.
	Secret string

	mu       sync.Mutex
	accepted []Delivery
	seen     map[string]int
	requests int
	bad      int
	down     bool
	failNext []int
	notify   chan struct{}
}

// New starts a receiver that verifies with secret.
func New(secret string) *Receiver {
	r := &Receiver{Secret: secret, seen: map[string]int{}, notify: make(chan struct{}, 1)}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	return r
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.requests++
	if r.down {
		r.mu.Unlock()
		// A crashed backend: the connection closes without an answer.
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	if len(r.failNext) > 0 {
		status := r.failNext[0]
		r.failNext = r.failNext[1:]
		r.mu.Unlock()
		http.Error(w, "failing on purpose", status)
		return
	}
	if err := webhook.Verify(r.Secret, req.Header, body, time.Now(), webhook.DefaultTolerance); err != nil {
		r.bad++
		r.mu.Unlock()
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	d := Delivery{ID: req.Header.Get(webhook.HeaderDelivery), Event: req.Header.Get(webhook.HeaderEvent), Body: body,
		Header: req.Header.Clone(), ReceivedAt: time.Now()}
	r.accepted = append(r.accepted, d)
	r.seen[d.ID]++
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
	w.WriteHeader(http.StatusNoContent)
}

// SetDown makes the receiver drop every connection (true) or answer again (false).
func (r *Receiver) SetDown(down bool) {
	r.mu.Lock()
	r.down = down
	r.mu.Unlock()
}

// FailNext answers the next requests with these statuses, in order.
func (r *Receiver) FailNext(statuses ...int) {
	r.mu.Lock()
	r.failNext = append(r.failNext, statuses...)
	r.mu.Unlock()
}

// Accepted returns the accepted deliveries in arrival order.
func (r *Receiver) Accepted() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Delivery(nil), r.accepted...)
}

// Count is the number of accepted deliveries.
func (r *Receiver) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.accepted)
}

// Duplicates is the number of accepted requests that repeated a delivery id.
func (r *Receiver) Duplicates() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.seen {
		n += c - 1
	}
	return n
}

// Requests counts every request, failed ones included.
func (r *Receiver) Requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests
}

// BadSignatures counts requests refused for their signature.
func (r *Receiver) BadSignatures() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bad
}

// Wait blocks until at least n deliveries were accepted or timeout passes; it reports success.
func (r *Receiver) Wait(n int, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		if r.Count() >= n {
			return true
		}
		select {
		case <-r.notify:
		case <-deadline:
			return r.Count() >= n
		case <-time.After(50 * time.Millisecond):
		}
	}
}
