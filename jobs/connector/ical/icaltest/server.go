// Package icaltest is an in-process HTTP fake of a calendar's secret iCalendar feed (Google's
// "secret address in iCal format", a published Outlook or Apple calendar): it serves one feed as
// text/calendar at a secret path with a strong ETag and a Last-Modified date, answers
// If-None-Match and If-Modified-Since with 304 Not Modified as such servers do, lets a test
// change the feed, and injects 5xx and 429 answers (with Retry-After).
package icaltest

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Server is the fake feed server. The zero value is not usable; call New.
type Server struct {
	// Path is the secret path of the feed ("/calendar/ical/<id>/private-<token>/basic.ics");
	// other paths get 404, as a revoked secret address does.
	Path string
	// Now is the fake's clock (time.Now when nil), used for Last-Modified.
	Now func() time.Time

	mu       sync.Mutex
	body     string
	etag     string
	modified time.Time
	faults   []fault
	requests int
	notMod   int
	served   int
}

type fault struct {
	status     int
	retryAfter string
}

// New returns a fake serving an empty calendar at a secret-looking path.
func New() *Server {
	s := &Server{Path: "/calendar/ical/studio.example/private-5f1c0ffee/basic.ics"}
	s.SetFeed(Calendar())
	return s
}

// Start serves the fake on a local httptest server; the caller closes it.
func (s *Server) Start() *httptest.Server { return httptest.NewServer(s) }

// URL is the feed's address on a started server.
func (s *Server) URL(srv *httptest.Server) string { return srv.URL + s.Path }

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// SetFeed replaces the feed; the ETag and Last-Modified change only when the body does.
func (s *Server) SetFeed(body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if body == s.body && s.etag != "" {
		return
	}
	sum := sha256.Sum256([]byte(body))
	s.body, s.etag = body, `"`+hex.EncodeToString(sum[:10])+`"`
	s.modified = s.now().UTC().Truncate(time.Second)
}

// FailNext makes the next n requests answer status (500, 503, 429, 401, 404...), with
// Retry-After: retryAfter when it is not empty.
func (s *Server) FailNext(n, status int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault{status, retryAfter})
	}
}

// Stats are the fake's counters: every request, the 304 answers and the full feeds served.
type Stats struct{ Requests, NotModified, Served int }

// Stats returns the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Requests: s.requests, NotModified: s.notMod, Served: s.served}
}

// ServeHTTP answers GET and HEAD of the feed.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if len(s.faults) > 0 {
		f := s.faults[0]
		s.faults = s.faults[1:]
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		http.Error(w, http.StatusText(f.status), f.status)
		return
	}
	if r.URL.Path != s.Path {
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("ETag", s.etag)
	w.Header().Set("Last-Modified", s.modified.Format(http.TimeFormat))
	w.Header().Set("Cache-Control", "private, max-age=0")
	if s.notModified(r) {
		s.notMod++
		w.WriteHeader(http.StatusNotModified)
		return
	}
	s.served++
	w.Header().Set("Content-Type", "text/calendar; charset=UTF-8")
	if r.Method == http.MethodGet {
		_, _ = w.Write([]byte(s.body))
	}
}

// notModified applies RFC 9110: If-None-Match (weak comparison) wins over If-Modified-Since.
func (s *Server) notModified(r *http.Request) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, tag := range strings.Split(inm, ",") {
			tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
			if tag == "*" || tag == s.etag {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		if t, err := http.ParseTime(ims); err == nil && !s.modified.After(t) {
			return true
		}
	}
	return false
}
