// Package googletest is a fake Google Calendar v3 API speaking its real wire format (see
// ../../../../../shared/PROVIDERS.md): events.list with pageToken/nextPageToken and
// syncToken/nextSyncToken (only on the last page), deleted events returned as cancelled by an
// incremental list, 410 fullSyncRequired for an expired sync token, 403 rateLimitExceeded and
// 429 on demand, duplicates across pages, all-day and timed events, and push channels
// (events.watch) to which it POSTs notifications with Google's X-Goog-* headers. Bearer tokens
// are checked against an oauthtest authorization server.
package googletest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/wedsync/wedsync/jobs/connector/oauthtest"
)

// Server is the fake Calendar API. Create it with New.
type Server struct {
	mu            sync.Mutex
	auth          *oauthtest.Server
	timeZone      string
	cals          map[string]*calendarData
	seq           int64
	expiredBefore int64
	pageSize      int
	duplicates    bool
	faults        []Fault
	listings      map[string]*listing
	lists         []url.Values
	channels      []*Channel
	sent          []Notification
	push          *http.Client
	url           string
}

// Fault is an error answer instead of the next requests (all API calls).
type Fault struct {
	// Status is 403 (with Reason rateLimitExceeded), 429, 500, 503...
	Status int
	// Reason is Google's error reason ("rateLimitExceeded", "userRateLimitExceeded", "backendError").
	Reason string
	// RetryAfter, when set, is sent as the Retry-After header.
	RetryAfter string
	// Times is how many requests get it (default 1).
	Times int
}

type calendarData struct {
	events []*Event
	byID   map[string]*Event
}

// New makes a fake whose API accepts the access tokens auth issued. Calendars exist once an
// event is added to them; "primary" always exists.
func New(auth *oauthtest.Server) *Server {
	return &Server{auth: auth, timeZone: "UTC", cals: map[string]*calendarData{"primary": newCalendar()}, pageSize: 250,
		listings: map[string]*listing{}, push: &http.Client{Timeout: 10 * time.Second}}
}

func newCalendar() *calendarData { return &calendarData{byID: map[string]*Event{}} }

// Start serves the fake on a loopback port until stop is called; url has no trailing slash and
// the API is under url + "/calendar/v3/".
func (s *Server) Start() (url string, stop func()) {
	srv := httptest.NewServer(s)
	s.mu.Lock()
	s.url = srv.URL
	s.mu.Unlock()
	return srv.URL, srv.Close
}

// SetTimeZone sets the calendars' zone (events.list "timeZone"), in which all-day events fall.
func (s *Server) SetTimeZone(tz string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.timeZone = tz
}

// SetPageSize caps the events per page (Google sends at most maxResults, often fewer).
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = n
}

// SetDuplicates repeats the last event of each page at the start of the next one.
func (s *Server) SetDuplicates(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.duplicates = on
}

// ExpireSyncTokens makes every sync token issued so far answer 410 fullSyncRequired.
func (s *Server) ExpireSyncTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expiredBefore = s.seq + 1
}

// Fail queues faults for the next API requests.
func (s *Server) Fail(f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f...)
}

// ListRequests are the query parameters of every events.list request, in order.
func (s *Server) ListRequests() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.lists...)
}

// ServeHTTP routes the Calendar API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/calendar/v3/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	if !s.auth.Bearer(r) {
		apiError(w, http.StatusUnauthorized, "authError", "Invalid Credentials")
		return
	}
	if s.fault(w) {
		return
	}
	parts := strings.Split(rest, "/")
	for i, p := range parts {
		if u, err := url.PathUnescape(p); err == nil {
			parts[i] = u
		}
	}
	switch {
	case r.Method == http.MethodGet && len(parts) == 3 && parts[0] == "calendars" && parts[2] == "events":
		s.list(w, r, parts[1])
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "calendars":
		s.getCalendar(w, parts[1])
	case r.Method == http.MethodPost && len(parts) == 4 && parts[0] == "calendars" && parts[3] == "watch":
		s.watch(w, r, parts[1])
	case r.Method == http.MethodPost && rest == "channels/stop":
		s.stop(w, r)
	default:
		apiError(w, http.StatusNotFound, "notFound", "Not Found")
	}
}

// fault answers the next queued fault, if any.
func (s *Server) fault(w http.ResponseWriter) bool {
	s.mu.Lock()
	if len(s.faults) == 0 {
		s.mu.Unlock()
		return false
	}
	f := s.faults[0]
	if f.Times <= 1 {
		s.faults = s.faults[1:]
	} else {
		s.faults[0].Times--
	}
	s.mu.Unlock()
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	reason := f.Reason
	if reason == "" {
		reason = map[int]string{429: "rateLimitExceeded", 403: "forbidden"}[f.Status]
		if reason == "" {
			reason = "backendError"
		}
	}
	apiError(w, f.Status, reason, http.StatusText(f.Status))
	return true
}

func (s *Server) getCalendar(w http.ResponseWriter, id string) {
	s.mu.Lock()
	_, ok := s.cals[id]
	tz := s.timeZone
	s.mu.Unlock()
	if !ok {
		apiError(w, http.StatusNotFound, "notFound", "Not Found")
		return
	}
	writeJSON(w, map[string]any{"kind": "calendar#calendar", "etag": `"c1"`, "id": id, "summary": id, "timeZone": tz})
}

// apiError writes Google's error envelope.
func apiError(w http.ResponseWriter, status int, reason, message string) {
	domain := "global"
	if strings.Contains(reason, "RateLimit") || strings.Contains(reason, "rateLimit") {
		domain = "usageLimits"
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"errors": []map[string]string{{"domain": domain, "reason": reason, "message": message}},
		"code":   status, "message": message,
	}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}
