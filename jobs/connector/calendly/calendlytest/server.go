// Package calendlytest is an in-process fake of the parts of Calendly's API v2 the connector
// uses, in Calendly's wire format: GET /users/me, GET /scheduled_events (user, min_start_time,
// count ≤ 100, page_token, pagination.next_page_token null at the end, active and canceled),
// GET /scheduled_events/{uuid}, bearer tokens, Calendly's error bodies and 429 with
// X-RateLimit-Limit/Remaining/Reset. It reproduces the unpleasant parts too: empty pages that
// still carry a next token and an event repeated across pages. Helpers build signed invitee
// webhooks, a reschedule included.
//
// A Server is an http.Handler: mount it, or Start it on a loopback port.
package calendlytest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// UserID is the uuid of the fake's only user.
const UserID = "AAAAAAAAAAAAAAAA"

// Server is the fake Calendly API. The zero value is not usable: call New.
type Server struct {
	mu     sync.Mutex
	tokens map[string]bool
	base   string // the origin URIs are built on; the request's own when empty

	events []*Event
	byID   map[string]*Event
	nextID int

	faults     []Fault
	duplicates bool
	emptyEvery int
	lists      int
	requests   int
	queries    []string
}

// Fault is an error answer the fake gives instead of the next requests.
type Fault struct {
	// Status is the HTTP status (401, 403, 429, 500...).
	Status int
	// Reset is X-RateLimit-Reset (seconds until the window resets) on a 429.
	Reset int
	// Times is how many requests get this fault (default 1).
	Times int
}

// New makes a fake that accepts the given bearer tokens (personal or OAuth access tokens).
func New(tokens ...string) *Server {
	s := &Server{tokens: map[string]bool{}, byID: map[string]*Event{}}
	for _, t := range tokens {
		s.tokens[t] = true
	}
	return s
}

// Start serves the fake on a loopback port until stop is called; url has no trailing slash.
func (s *Server) Start() (url string, stop func()) {
	srv := httptest.NewServer(s)
	s.mu.Lock()
	s.base = srv.URL
	s.mu.Unlock()
	return srv.URL, srv.Close
}

// FailNext queues a fault for the next request(s); faults are served in order.
func (s *Server) FailNext(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times <= 0 {
		f.Times = 1
	}
	s.faults = append(s.faults, f)
}

// SetDuplicates makes every page after the first repeat the last event of the page before.
func (s *Server) SetDuplicates(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.duplicates = on
}

// SetEmptyPageEvery makes every nth list request (n ≥ 2) that has more data answer an empty
// collection with a next_page_token to the same place. Zero turns it off.
func (s *Server) SetEmptyPageEvery(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n == 1 {
		n = 2
	}
	s.emptyEvery = n
}

// Requests is the number of requests answered so far (faults included).
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// ListQueries lists the query strings of the /scheduled_events requests answered, in order.
func (s *Server) ListQueries() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.queries...)
}

// ServeHTTP answers the Calendly API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	if len(s.faults) > 0 {
		f := s.faults[0]
		if s.faults[0].Times--; s.faults[0].Times <= 0 {
			s.faults = s.faults[1:]
		}
		s.mu.Unlock()
		writeFault(w, f)
		return
	}
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	known := s.tokens[tok]
	base := s.base
	s.mu.Unlock()
	if base == "" {
		base = "http://" + r.Host
	}
	w.Header().Set("X-RateLimit-Limit", "500")
	w.Header().Set("X-RateLimit-Remaining", "499")
	w.Header().Set("X-RateLimit-Reset", "60")
	if !known {
		writeError(w, http.StatusUnauthorized, "Unauthenticated", "The access token is invalid")
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/users/me":
		writeJSON(w, http.StatusOK, map[string]any{"resource": map[string]any{
			"uri": base + "/users/" + UserID, "name": "Ada Lovelace Photography", "slug": "ada-photo",
			"email": "ada@example.com", "timezone": "Europe/London", "current_organization": base + "/organizations/BBBBBBBBBBBBBBBB",
			"created_at": "2024-01-02T03:04:05.678901Z", "updated_at": "2026-01-02T03:04:05.678901Z"}})
	case r.Method == http.MethodGet && r.URL.Path == "/scheduled_events":
		s.list(w, r, base)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/scheduled_events/"):
		s.getEvent(w, strings.TrimPrefix(r.URL.Path, "/scheduled_events/"), base)
	default:
		writeError(w, http.StatusNotFound, "Resource Not Found", "The server could not find the requested resource.")
	}
}

func writeFault(w http.ResponseWriter, f Fault) {
	switch {
	case f.Status == http.StatusTooManyRequests:
		w.Header().Set("X-RateLimit-Limit", "500")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", itoa(f.Reset))
		writeError(w, f.Status, "Too Many Requests", "You have exceeded the rate limit. Please try again later.")
	case f.Status == http.StatusUnauthorized:
		writeError(w, f.Status, "Unauthenticated", "The access token expired")
	case f.Status == http.StatusForbidden:
		writeError(w, f.Status, "Permission Denied", "You do not have permission to access this resource.")
	case f.Status >= 500:
		writeError(w, f.Status, "Internal Server Error", "The server encountered an unexpected condition.")
	default:
		writeError(w, f.Status, http.StatusText(f.Status), http.StatusText(f.Status))
	}
}

func writeError(w http.ResponseWriter, status int, title, msg string) {
	writeJSON(w, status, map[string]any{"title": title, "message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// microLayout is Calendly's timestamp: UTC with microseconds.
const microLayout = "2006-01-02T15:04:05.000000Z"

func stamp(t time.Time) string { return t.UTC().Format(microLayout) }
