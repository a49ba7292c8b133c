// Package outlooktest is an in-process fake of the parts of Microsoft Graph the Outlook
// connector uses, in Graph's wire format: calendarView delta queries (startDateTime/endDateTime,
// @odata.nextLink pages sized by Prefer: odata.maxpagesize, @odata.deltaLink, @removed items,
// Prefer: outlook.timezone), 410 Gone with a Location header for expired delta state, 429 with
// Retry-After, bearer tokens (401 otherwise), change-notification subscriptions (created with a
// validation handshake against the notificationUrl, renewed with PATCH) and notifications. It
// reproduces the unpleasant parts too: an item repeated across pages and empty pages that still
// carry a nextLink.
//
// A Server is an http.Handler: mount it, or Start it on a loopback port.
package outlooktest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Server is the fake Graph API. The zero value is not usable: call New.
type Server struct {
	mu     sync.Mutex
	tokens map[string]bool
	now    func() time.Time

	events  map[string]*Event
	changed map[string]int64 // event id → change sequence of its last change
	removed map[string]int64 // deleted event id → change sequence of the deletion
	seq     int64
	nextID  int

	pages        map[string]*pass // $skiptoken → the pass it continues
	deltas       map[string]deltaState
	expired      map[string]*window // expired token → its window (for the 410 Location)
	tokenSeq     int
	goneLocation bool

	faults     []Fault
	duplicates bool
	emptyEvery int
	lists      int
	requests   int
	prefer     []string
	deltaURLs  []string

	subs          map[string]*Subscription
	validate      *http.Client
	subscriptions int
}

// Fault is an error answer the fake gives instead of the next requests.
type Fault struct {
	// Status is the HTTP status (401, 403, 429, 500, 503...).
	Status int
	// RetryAfter is sent as the Retry-After header when not empty.
	RetryAfter string
	// Times is how many requests get this fault (default 1).
	Times int
}

// New makes a fake that accepts the given bearer tokens.
func New(tokens ...string) *Server {
	s := &Server{tokens: map[string]bool{}, now: time.Now, events: map[string]*Event{}, changed: map[string]int64{},
		removed: map[string]int64{}, pages: map[string]*pass{}, deltas: map[string]deltaState{}, expired: map[string]*window{}, subs: map[string]*Subscription{}}
	for _, t := range tokens {
		s.tokens[t] = true
	}
	return s
}

// Start serves the fake on a loopback port until stop is called; url has no trailing slash.
func (s *Server) Start() (url string, stop func()) {
	srv := httptest.NewServer(s)
	return srv.URL, srv.Close
}

// SetClock replaces the fake's clock (subscription expiry checks).
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
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

// SetDuplicates makes every page after the first repeat the last item of the page before.
func (s *Server) SetDuplicates(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.duplicates = on
}

// SetEmptyPageEvery makes every nth delta request (n ≥ 2) that has more data answer an empty
// page with a nextLink to the same place. Zero turns it off.
func (s *Server) SetEmptyPageEvery(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n == 1 {
		n = 2
	}
	s.emptyEvery = n
}

// ExpireDeltaTokens forgets every delta and skip token issued so far, as Graph does after a
// while: using one answers 410 Gone with error code syncStateNotFound, and, when withLocation,
// a Location header with a fresh URL that starts a full pass over the same window.
func (s *Server) ExpireDeltaTokens(withLocation bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok, d := range s.deltas {
		s.expired[tok] = &d.window
	}
	for tok, p := range s.pages {
		s.expired[tok] = &p.window
	}
	s.deltas = map[string]deltaState{}
	s.pages = map[string]*pass{}
	s.goneLocation = withLocation
}

// Requests is the number of requests answered so far (faults included).
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Prefer is the Prefer header values of the last delta request.
func (s *Server) Prefer() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.prefer...)
}

// DeltaRequests lists the path and query of every delta request answered, in order.
func (s *Server) DeltaRequests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.deltaURLs...)
}

// ServeHTTP answers the Graph API.
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
	s.mu.Unlock()
	if !known {
		writeError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
		return
	}
	path := r.URL.Path
	switch {
	case r.Method == http.MethodGet && path == "/v1.0/me/calendar":
		writeJSON(w, http.StatusOK, map[string]any{"id": "AAMkAGprimary", "name": "Calendar"})
	case r.Method == http.MethodGet && path == "/v1.0/me/calendarView/delta":
		s.delta(w, r, "")
	case r.Method == http.MethodGet && strings.HasPrefix(path, "/v1.0/me/calendars/") && strings.HasSuffix(path, "/calendarView/delta"):
		cal := strings.TrimSuffix(strings.TrimPrefix(path, "/v1.0/me/calendars/"), "/calendarView/delta")
		s.delta(w, r, cal)
	case r.Method == http.MethodPost && path == "/v1.0/subscriptions":
		s.createSubscription(w, r)
	case r.Method == http.MethodPatch && strings.HasPrefix(path, "/v1.0/subscriptions/"):
		s.renewSubscription(w, r, strings.TrimPrefix(path, "/v1.0/subscriptions/"))
	default:
		writeError(w, http.StatusNotFound, "ResourceNotFound", "Resource not found for the segment '"+path+"'.")
	}
}

func writeFault(w http.ResponseWriter, f Fault) {
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	switch {
	case f.Status == http.StatusUnauthorized:
		writeError(w, f.Status, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
	case f.Status == http.StatusForbidden:
		writeError(w, f.Status, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
	case f.Status == http.StatusTooManyRequests:
		writeError(w, f.Status, "TooManyRequests", "Application is over its MailboxConcurrency limit.")
	case f.Status >= 500:
		writeError(w, f.Status, "ServiceNotAvailable", "The service is temporarily unavailable.")
	default:
		writeError(w, f.Status, "BadRequest", http.StatusText(f.Status))
	}
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": msg,
		"innerError": map[string]any{"date": time.Now().UTC().Format(time.RFC3339), "request-id": "fake"}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
