package stripetest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server is the fake Stripe API. The zero value is not usable: call New.
type Server struct {
	mu      sync.Mutex
	keys    map[string]bool
	charges []*Charge
	byID    map[string]*Charge
	pos     map[string]int
	dirty   bool
	seq     int
	now     func() time.Time

	faults     []Fault
	pageDelay  time.Duration
	duplicates bool
	emptyEvery int
	lists      int
	requests   int
}

// Fault is an error answer the fake gives instead of the next requests.
type Fault struct {
	// Status is the HTTP status (401, 403, 429, 500, 503...).
	Status int
	// RetryAfter is sent as the Retry-After header when not empty (seconds or an HTTP date).
	RetryAfter string
	// Times is how many requests get this fault (default 1).
	Times int
}

// New makes a fake that accepts the given secret keys (at least one).
func New(keys ...string) *Server {
	s := &Server{keys: map[string]bool{}, byID: map[string]*Charge{}, now: time.Now}
	for _, k := range keys {
		s.keys[k] = true
	}
	return s
}

// Start serves the fake on a loopback port until stop is called; url has no trailing slash.
func (s *Server) Start() (url string, stop func()) {
	srv := httptest.NewServer(s)
	return srv.URL, srv.Close
}

// SetClock replaces the clock used for default creation times.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// AddKey accepts one more secret key (a rotated key).
func (s *Server) AddKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[key] = true
}

// RevokeKey stops accepting a key: requests with it get 401.
func (s *Server) RevokeKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.keys, key)
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

// SetPageDelay makes every list answer wait d (to land a crash in the middle of a sync).
func (s *Server) SetPageDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageDelay = d
}

// SetDuplicates makes every page after the first repeat the charge it starts after, as
// providers do when data shifts between requests.
func (s *Server) SetDuplicates(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.duplicates = on
}

// SetEmptyPageEvery makes every nth list request (n ≥ 2) that has more data answer an empty page
// with has_more true; asking again with the same cursor gets the data. Zero turns it off.
func (s *Server) SetEmptyPageEvery(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n == 1 {
		n = 2
	}
	s.emptyEvery = n
}

// Requests is the number of API requests answered so far (faults included).
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// ServeHTTP answers the Stripe API.
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
	key, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	known := s.keys[key]
	s.mu.Unlock()
	if !known {
		writeError(w, http.StatusUnauthorized, "invalid_request_error", "", "Invalid API Key provided: "+redact(key))
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/charges":
		s.listCharges(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/charges/"):
		s.getCharge(w, r, strings.TrimPrefix(r.URL.Path, "/v1/charges/"))
	default:
		writeError(w, http.StatusNotFound, "invalid_request_error", "", "Unrecognized request URL ("+r.Method+": "+r.URL.Path+").")
	}
}

func (s *Server) listCharges(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 10
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeError(w, http.StatusBadRequest, "invalid_request_error", "parameter_invalid_integer",
				"Invalid integer: "+v+". Limit must be between 1 and 100.")
			return
		}
		limit = n
	}
	expandFee := false
	for k, vs := range q {
		if strings.HasPrefix(k, "expand") {
			for _, v := range vs {
				expandFee = expandFee || v == "data.balance_transaction"
			}
		}
	}
	inRange, err := createdFilter(q)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "parameter_invalid_integer", err.Error())
		return
	}

	s.mu.Lock()
	delay := s.pageDelay
	all := s.sortedLocked()
	start := 0
	after := q.Get("starting_after")
	if after != "" {
		i, ok := s.pos[after]
		if !ok {
			s.mu.Unlock()
			writeError(w, http.StatusBadRequest, "invalid_request_error", "resource_missing", "No such charge: '"+after+"'")
			return
		}
		start = i + 1
	}
	var page [][]byte
	if after != "" && s.duplicates && inRange(all[start-1]) {
		page = append(page, all[start-1].listEntry(expandFee))
	}
	n, hasMore := 0, false
	for i := start; i < len(all); i++ {
		if !inRange(all[i]) {
			continue
		}
		if n == limit {
			hasMore = true
			break
		}
		page = append(page, all[i].listEntry(expandFee))
		n++
	}
	s.lists++
	if hasMore && s.emptyEvery > 0 && s.lists%s.emptyEvery == 0 {
		page = nil
	}
	s.mu.Unlock()

	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	writeList(w, page, hasMore)
}

// writeList answers a list of pre-encoded charges with the bytes writeJSON would write for
// {"object": "list", "data": [...], "has_more": ..., "url": "/v1/charges"} (keys in order).
func writeList(w http.ResponseWriter, entries [][]byte, hasMore bool) {
	size := 64
	for _, e := range entries {
		size += len(e) + 1
	}
	b := make([]byte, 0, size)
	b = append(b, `{"data":[`...)
	for i, e := range entries {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, e...)
	}
	b = append(b, `],"has_more":`...)
	b = strconv.AppendBool(b, hasMore)
	b = append(b, `,"object":"list","url":"/v1/charges"}`+"\n"...)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Request-Id", "req_fake"+strconv.FormatInt(time.Now().UnixNano(), 36))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

func (s *Server) getCharge(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	c, ok := s.byID[id]
	var body *chargeWire
	if ok {
		expand := false
		for k, vs := range r.URL.Query() {
			for _, v := range vs {
				expand = expand || (strings.HasPrefix(k, "expand") && v == "balance_transaction")
			}
		}
		body = chargeJSON(c, expand)
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "invalid_request_error", "resource_missing", "No such charge: '"+id+"'")
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// createdFilter reads created[gte|gt|lte|lt] (or an exact created=).
func createdFilter(q map[string][]string) (func(*Charge) bool, error) {
	type bound struct {
		op string
		v  int64
	}
	var bounds []bound
	for _, op := range []string{"gte", "gt", "lte", "lt", ""} {
		key := "created"
		if op != "" {
			key = "created[" + op + "]"
		}
		vs := q[key]
		if len(vs) == 0 {
			continue
		}
		v, err := strconv.ParseInt(vs[0], 10, 64)
		if err != nil {
			return nil, &paramError{"Invalid integer: " + vs[0]}
		}
		bounds = append(bounds, bound{op, v})
	}
	return func(c *Charge) bool {
		t := c.Created.Unix()
		for _, b := range bounds {
			ok := map[string]bool{"gte": t >= b.v, "gt": t > b.v, "lte": t <= b.v, "lt": t < b.v, "": t == b.v}[b.op]
			if !ok {
				return false
			}
		}
		return true
	}, nil
}

type paramError struct{ msg string }

func (e *paramError) Error() string { return e.msg }

func writeFault(w http.ResponseWriter, f Fault) {
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	switch {
	case f.Status == http.StatusUnauthorized:
		writeError(w, f.Status, "invalid_request_error", "", "Invalid API Key provided: sk_test_****")
	case f.Status == http.StatusForbidden:
		writeError(w, f.Status, "invalid_request_error", "", "The provided key 'rk_test_****' does not have the required permissions for this endpoint.")
	case f.Status == http.StatusTooManyRequests:
		w.Header().Set("Stripe-Should-Retry", "true")
		writeError(w, f.Status, "invalid_request_error", "rate_limit", "Too many requests hit the API too quickly.")
	case f.Status >= 500:
		w.Header().Set("Stripe-Should-Retry", "true")
		writeError(w, f.Status, "api_error", "", "Sorry, something went wrong on Stripe's end.")
	default:
		writeError(w, f.Status, "invalid_request_error", "", http.StatusText(f.Status))
	}
}

func writeError(w http.ResponseWriter, status int, typ, code, msg string) {
	e := map[string]any{"type": typ, "message": msg}
	if code != "" {
		e["code"] = code
	}
	writeJSON(w, status, map[string]any{"error": e})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Request-Id", "req_fake"+strconv.FormatInt(time.Now().UnixNano(), 36))
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func redact(key string) string {
	if len(key) <= 8 {
		return "****"
	}
	return key[:8] + "****" + key[len(key)-4:]
}
