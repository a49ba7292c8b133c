// Package squaretest is an in-process HTTP fake of the Square API parts WedSync uses: list payments
// (cursor paging, begin_time/end_time on created_at, sort_order, limit ≤ 100), get a payment, list
// refunds, with Square's JSON shapes and error bodies. Knobs inject 429/401/500 answers, empty
// pages that still carry a cursor, and records repeated across pages; requests are counted.
package squaretest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server is the fake. The zero value is not usable; call New.
type Server struct {
	// AccessToken, when set, is the only bearer token accepted (others get 401 UNAUTHORIZED).
	AccessToken string
	// Now is the fake's clock (time.Now when nil): the default of end_time and updated_at stamps.
	Now func() time.Time

	mu          sync.Mutex
	payments    []Payment // sorted by created_at, then id
	refunds     []Refund  // sorted by created_at, then id
	faults      []fault
	empty       int
	repeat      bool
	requests    map[string]int
	lastVersion string
}

type fault struct {
	status     int
	retryAfter string
}

// New returns an empty fake.
func New() *Server { return &Server{requests: map[string]int{}} }

// Start serves the fake on a local httptest server; the caller closes it.
func (s *Server) Start() *httptest.Server { return httptest.NewServer(s) }

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// AddPayment adds payments, replacing any with the same id.
func (s *Server) AddPayment(ps ...Payment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range ps {
		s.payments = slices.DeleteFunc(s.payments, func(q Payment) bool { return q.ID == p.ID })
		s.payments = append(s.payments, p)
	}
	slices.SortStableFunc(s.payments, func(a, b Payment) int {
		return cmpTimes(a.CreatedAt, a.ID, b.CreatedAt, b.ID)
	})
}

// Payment returns the payment with id as the fake currently holds it.
func (s *Server) Payment(id string) (Payment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.payments {
		if p.ID == id {
			return p, true
		}
	}
	return Payment{}, false
}

// Refund records a COMPLETED refund of amount on payment paymentID at created, adding to its
// refunded_money and refund_ids as Square does, and returns it.
func (s *Server) Refund(paymentID, refundID string, amount int64, created time.Time) (Refund, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.payments, func(p Payment) bool { return p.ID == paymentID })
	if i < 0 {
		return Refund{}, fmt.Errorf("squaretest: no payment %q", paymentID)
	}
	p := &s.payments[i]
	at := created.UTC().Format(TimeLayout)
	r := Refund{ID: refundID, Status: "COMPLETED", AmountMoney: Money{Amount: amount, Currency: p.TotalMoney.Currency},
		PaymentID: paymentID, OrderID: p.OrderID, LocationID: p.LocationID, CreatedAt: at, UpdatedAt: at}
	if p.RefundedMoney == nil {
		p.RefundedMoney = &Money{Currency: p.TotalMoney.Currency}
	}
	p.RefundedMoney.Amount += amount
	p.RefundIDs = append(p.RefundIDs, refundID)
	p.UpdatedAt = s.now().UTC().Format(TimeLayout)
	s.refunds = append(s.refunds, r)
	slices.SortStableFunc(s.refunds, func(a, b Refund) int { return cmpTimes(a.CreatedAt, a.ID, b.CreatedAt, b.ID) })
	return r, nil
}

// FailNext makes the next n requests answer status (429, 401, 403, 500, 503, ...) with Square's
// error body, and Retry-After: retryAfter when it is not empty.
func (s *Server) FailNext(n, status int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault{status, retryAfter})
	}
}

// EmptyPages makes the next n list answers that have more to give return no items and a cursor
// to the same position (Square may answer a page with nothing but a cursor).
func (s *Server) EmptyPages(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.empty = n
}

// RepeatAcrossPages makes every page after the first begin with the last item of the page before,
// so the same record arrives twice.
func (s *Server) RepeatAcrossPages(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repeat = on
}

// Requests counts the requests made to path (e.g. "/v2/payments"; a single payment counts as
// "/v2/payments/{id}"), faults included. "" counts all.
func (s *Server) Requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if path == "" {
		n := 0
		for _, v := range s.requests {
			n += v
		}
		return n
	}
	return s.requests[path]
}

// LastVersion is the Square-Version header of the last request.
func (s *Server) LastVersion() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastVersion
}

// ServeHTTP implements the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := r.URL.Path
	if strings.HasPrefix(key, "/v2/payments/") {
		key = "/v2/payments/{id}"
	}
	s.requests[key]++
	s.lastVersion = r.Header.Get("Square-Version")
	if len(s.faults) > 0 {
		f := s.faults[0]
		s.faults = s.faults[1:]
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		writeError(w, f.status)
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" || (s.AccessToken != "" && tok != s.AccessToken) {
		writeError(w, http.StatusUnauthorized)
		return
	}
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, ErrorBody{[]Error{{"INVALID_REQUEST_ERROR", "METHOD_NOT_ALLOWED", "", ""}}})
		return
	}
	switch {
	case r.URL.Path == "/v2/payments":
		s.list(w, r, len(s.payments), func(i int) (string, any) { return s.payments[i].CreatedAt, s.payments[i] }, "payments")
	case r.URL.Path == "/v2/refunds":
		s.list(w, r, len(s.refunds), func(i int) (string, any) { return s.refunds[i].CreatedAt, s.refunds[i] }, "refunds")
	case key == "/v2/payments/{id}":
		id := strings.TrimPrefix(r.URL.Path, "/v2/payments/")
		for _, p := range s.payments {
			if p.ID == id {
				writeJSON(w, http.StatusOK, map[string]any{"payment": p})
				return
			}
		}
		writeJSON(w, http.StatusNotFound, ErrorBody{[]Error{{"INVALID_REQUEST_ERROR", "NOT_FOUND", "Could not find payment with id: " + id, ""}}})
	default:
		writeJSON(w, http.StatusNotFound, ErrorBody{[]Error{{"INVALID_REQUEST_ERROR", "NOT_FOUND", "Resource not found.", ""}}})
	}
}

// list answers a list call over n items (item(i) gives created_at and the object), named field.
func (s *Server) list(w http.ResponseWriter, r *http.Request, n int, item func(int) (string, any), field string) {
	q := r.URL.Query()
	now := s.now().UTC()
	begin, end := now.AddDate(-1, 0, 0), now
	for name, t := range map[string]*time.Time{"begin_time": &begin, "end_time": &end} {
		if v := q.Get(name); v != "" {
			parsed, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				writeJSON(w, http.StatusBadRequest, ErrorBody{[]Error{{"INVALID_REQUEST_ERROR", "INVALID_TIME", "Invalid " + name, name}}})
				return
			}
			*t = parsed
		}
	}
	limit := 100
	if v := q.Get("limit"); v != "" {
		l, err := strconv.Atoi(v)
		if err != nil || l < 1 {
			writeJSON(w, http.StatusBadRequest, ErrorBody{[]Error{{"INVALID_REQUEST_ERROR", "INVALID_VALUE", "Invalid limit", "limit"}}})
			return
		}
		limit = min(l, 100)
	}
	var matched []any
	for i := range n {
		at, obj := item(i)
		t, err := time.Parse(time.RFC3339Nano, at)
		if err == nil && !t.Before(begin) && !t.After(end) {
			matched = append(matched, obj)
		}
	}
	if q.Get("sort_order") != "ASC" {
		slices.Reverse(matched)
	}
	offset := 0
	if c := q.Get("cursor"); c != "" {
		var err error
		if offset, err = decodeCursor(c); err != nil || offset > len(matched) {
			writeJSON(w, http.StatusBadRequest, ErrorBody{[]Error{{"INVALID_REQUEST_ERROR", "INVALID_CURSOR", "Invalid cursor", "cursor"}}})
			return
		}
		if s.repeat && offset > 0 {
			offset--
		}
	}
	out := map[string]any{}
	if s.empty > 0 && offset < len(matched) {
		s.empty--
		out["cursor"] = encodeCursor(offset, s.repeat)
		writeJSON(w, http.StatusOK, out)
		return
	}
	stop := min(offset+limit, len(matched))
	if stop > offset {
		out[field] = matched[offset:stop]
	}
	if stop < len(matched) {
		out["cursor"] = encodeCursor(stop, false)
	}
	writeJSON(w, http.StatusOK, out)
}

// encodeCursor makes an opaque cursor for offset; again marks a cursor that re-serves a position
// (an empty page), so that RepeatAcrossPages does not step back twice.
func encodeCursor(offset int, again bool) string {
	if again {
		offset++
	}
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "o:%d:%d", offset, time.Now().UnixNano()))
}

func decodeCursor(c string) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, err
	}
	var off, nonce int
	if _, err := fmt.Sscanf(string(b), "o:%d:%d", &off, &nonce); err != nil || off < 0 {
		return 0, fmt.Errorf("bad cursor")
	}
	return off, nil
}

func writeError(w http.ResponseWriter, status int) {
	e := Error{"INVALID_REQUEST_ERROR", "BAD_REQUEST", "Bad request.", ""}
	switch status {
	case http.StatusTooManyRequests:
		e = Error{"RATE_LIMIT_ERROR", "RATE_LIMITED", "Rate limit exceeded.", ""}
	case http.StatusUnauthorized:
		e = Error{"AUTHENTICATION_ERROR", "UNAUTHORIZED", "This request could not be authorized.", ""}
	case http.StatusForbidden:
		e = Error{"AUTHENTICATION_ERROR", "INSUFFICIENT_SCOPES", "The merchant has not given your application sufficient permissions to do that.", ""}
	case http.StatusServiceUnavailable:
		e = Error{"API_ERROR", "SERVICE_UNAVAILABLE", "Service unavailable.", ""}
	default:
		if status >= 500 {
			e = Error{"API_ERROR", "INTERNAL_SERVER_ERROR", "An internal error has occurred.", ""}
		}
	}
	writeJSON(w, status, ErrorBody{[]Error{e}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func cmpTimes(at, aid, bt, bid string) int {
	ta, _ := time.Parse(time.RFC3339Nano, at)
	tb, _ := time.Parse(time.RFC3339Nano, bt)
	if c := ta.Compare(tb); c != 0 {
		return c
	}
	return strings.Compare(aid, bid)
}
