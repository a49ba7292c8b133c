// Package paypaltest is an in-process HTTP fake of the PayPal API parts WedSync uses: the OAuth2
// client-credentials token (/v1/oauth2/token), transaction search (/v1/reporting/transactions:
// start_date/end_date of at most 31 days, page/page_size ≤ 500/total_pages, transaction_id and
// transaction_type filters), webhook verification (/v1/notifications/verify-webhook-signature) and
// GET /v2/payments/captures/{id}, with PayPal's JSON shapes and errors. Transactions may repeat an
// id and may land late; knobs inject 429/401/500 answers and expire tokens; requests are counted.
package paypaltest

import (
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"math/big"
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
	// ClientID and Secret, when set, are the only client credentials the token endpoint accepts.
	ClientID, Secret string
	// TokenTTL is the tokens' expires_in (nine hours when zero, as PayPal).
	TokenTTL time.Duration
	// Now is the fake's clock (time.Now when nil): token expiry, late landing, last_refreshed.
	Now func() time.Time

	mu            sync.Mutex
	txns          []entry
	tokens        map[string]time.Time
	tokenRequests int
	faults        []fault
	requests      map[string]int
	searches      []Search
}

type entry struct {
	d       TransactionDetail
	at      time.Time
	visible time.Time
}

type fault struct {
	status     int
	retryAfter string
}

// Search is one transaction search request as the fake received it.
type Search struct {
	Start, End                     time.Time
	Page, PageSize                 int
	TransactionID, TransactionType string
}

// New returns an empty fake.
func New() *Server { return &Server{tokens: map[string]time.Time{}, requests: map[string]int{}} }

// Start serves the fake on a local httptest server; the caller closes it.
func (s *Server) Start() *httptest.Server { return httptest.NewServer(s) }

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Add adds transactions. An id may be added more than once: search then lists it twice, as PayPal
// does.
func (s *Server) Add(ds ...TransactionDetail) {
	for _, d := range ds {
		s.AddLate(d, time.Time{})
	}
}

// AddLate adds a transaction that search lists only from visibleAt on (data lands up to 3 h late).
func (s *Server) AddLate(d TransactionDetail, visibleAt time.Time) {
	at, err := time.Parse(DateLayout, d.TransactionInfo.TransactionInitiationDate)
	if err != nil {
		panic(fmt.Sprintf("paypaltest: transaction_initiation_date %q: %v", d.TransactionInfo.TransactionInitiationDate, err))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.txns = append(s.txns, entry{d, at, visibleAt})
	slices.SortStableFunc(s.txns, func(a, b entry) int { return a.at.Compare(b.at) })
}

// FailNext makes the next n requests (any endpoint, the token one included) answer status (429,
// 401, 403, 500, 503, ...) with PayPal's error body, and Retry-After: retryAfter when not empty.
func (s *Server) FailNext(n, status int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault{status, retryAfter})
	}
}

// ExpireTokens invalidates every token issued so far (the next call with one gets 401).
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// TokenRequests counts successful token grants.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenRequests
}

// Requests counts requests to path ("/v1/reporting/transactions", "/v2/payments/captures/{id}",
// ...), faults and refusals included; "" counts all.
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

// Searches lists the accepted transaction searches in order.
func (s *Server) Searches() []Search {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.searches)
}

// ServeHTTP implements the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := r.URL.Path
	if strings.HasPrefix(key, "/v2/payments/captures/") {
		key = "/v2/payments/captures/{id}"
	}
	s.requests[key]++
	if len(s.faults) > 0 {
		f := s.faults[0]
		s.faults = s.faults[1:]
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		writeFault(w, f.status)
		return
	}
	if key == "/v1/oauth2/token" && r.Method == http.MethodPost {
		s.token(w, r)
		return
	}
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if exp, ok := s.tokens[tok]; !ok || !s.now().Before(exp) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": "Access Token not found in cache"})
		return
	}
	switch {
	case key == "/v1/reporting/transactions" && r.Method == http.MethodGet:
		s.search(w, r)
	case key == "/v1/notifications/verify-webhook-signature" && r.Method == http.MethodPost:
		s.verify(w, r)
	case key == "/v2/payments/captures/{id}" && r.Method == http.MethodGet:
		s.capture(w, strings.TrimPrefix(r.URL.Path, "/v2/payments/captures/"))
	default:
		writeError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "The specified resource does not exist.", "", "")
	}
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok || (s.ClientID != "" && (id != s.ClientID || secret != s.Secret)) {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "Client Authentication failed"})
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type", "error_description": "Grant Type is NULL"})
		return
	}
	ttl := s.TokenTTL
	if ttl <= 0 {
		ttl = 9 * time.Hour
	}
	s.tokenRequests++
	tok := fmt.Sprintf("A21AAFake%06d", s.tokenRequests)
	s.tokens[tok] = s.now().Add(ttl)
	writeJSON(w, http.StatusOK, map[string]any{"scope": "https://uri.paypal.com/services/reporting/search/read",
		"access_token": tok, "token_type": "Bearer", "app_id": "APP-80W284485P519543T", "expires_in": int(ttl.Seconds()), "nonce": tok})
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var sr Search
	for name, t := range map[string]*time.Time{"start_date": &sr.Start, "end_date": &sr.End} {
		v, err := time.Parse(time.RFC3339Nano, q.Get(name))
		if err != nil {
			writeError(w, http.StatusBadRequest, "INVALID_REQUEST", "Request is not well-formed, syntactically incorrect, or violates schema.", name, "INVALID_PARAMETER_SYNTAX")
			return
		}
		*t = v
	}
	if sr.End.Before(sr.Start) || sr.End.Sub(sr.Start) > 31*24*time.Hour {
		writeError(w, http.StatusBadRequest, "INVALID_REQUEST", "Request is not well-formed, syntactically incorrect, or violates schema.", "end_date", "INVALID_DATE_RANGE")
		return
	}
	sr.Page, sr.PageSize = 1, 100
	for name, v := range map[string]*int{"page": &sr.Page, "page_size": &sr.PageSize} {
		if raw := q.Get(name); raw != "" {
			n, err := strconv.Atoi(raw)
			if err != nil || n < 1 || (name == "page_size" && n > 500) {
				writeError(w, http.StatusBadRequest, "INVALID_REQUEST", "Request is not well-formed, syntactically incorrect, or violates schema.", name, "INVALID_PARAMETER_VALUE")
				return
			}
			*v = n
		}
	}
	sr.TransactionID, sr.TransactionType = q.Get("transaction_id"), q.Get("transaction_type")
	s.searches = append(s.searches, sr)
	now := s.now()
	details := []TransactionDetail{}
	for _, e := range s.txns {
		ti := e.d.TransactionInfo
		if e.at.Before(sr.Start) || e.at.After(sr.End) || (!e.visible.IsZero() && now.Before(e.visible)) ||
			(sr.TransactionID != "" && ti.TransactionID != sr.TransactionID) ||
			(sr.TransactionType != "" && ti.TransactionEventCode != sr.TransactionType) {
			continue
		}
		d := e.d
		if f := q.Get("fields"); f != "all" && !strings.Contains(f, "payer_info") {
			d.PayerInfo = nil
		}
		details = append(details, d)
	}
	total := len(details)
	from, to := min((sr.Page-1)*sr.PageSize, total), min(sr.Page*sr.PageSize, total)
	writeJSON(w, http.StatusOK, map[string]any{"transaction_details": details[from:to], "account_number": "4RRE2BMUT5KLN",
		"start_date": sr.Start.UTC().Format(DateLayout), "end_date": sr.End.UTC().Format(DateLayout),
		"last_refreshed_datetime": now.UTC().Format(DateLayout), "page": sr.Page, "total_items": total,
		"total_pages": (total + sr.PageSize - 1) / sr.PageSize,
		"links":       []Link{{Href: "https://api-m.paypal.com/v1/reporting/transactions?" + q.Encode(), Rel: "self", Method: "GET"}}})
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AuthAlgo         string          `json:"auth_algo"`
		CertURL          string          `json:"cert_url"`
		TransmissionID   string          `json:"transmission_id"`
		TransmissionSig  string          `json:"transmission_sig"`
		TransmissionTime string          `json:"transmission_time"`
		WebhookID        string          `json:"webhook_id"`
		WebhookEvent     json.RawMessage `json:"webhook_event"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.AuthAlgo == "" || req.CertURL == "" || req.TransmissionID == "" ||
		req.TransmissionSig == "" || req.TransmissionTime == "" || req.WebhookID == "" || len(req.WebhookEvent) == 0 {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "Invalid request - see details", "webhook_event", "MISSING_REQUIRED_FIELD")
		return
	}
	status := "FAILURE"
	want := signature(req.TransmissionID, req.TransmissionTime, req.WebhookID, req.WebhookEvent)
	if hmac.Equal([]byte(want), []byte(req.TransmissionSig)) {
		status = "SUCCESS"
	}
	writeJSON(w, http.StatusOK, map[string]string{"verification_status": status})
}

// capture derives the v2 capture of a payment transaction, with its refunds.
func (s *Server) capture(w http.ResponseWriter, id string) {
	var pay *TransactionInfo
	refunded := new(big.Rat)
	for i := range s.txns {
		ti := &s.txns[i].d.TransactionInfo
		switch {
		case ti.TransactionID == id && strings.HasPrefix(ti.TransactionEventCode, "T00"):
			pay = ti
		case ti.PaypalReferenceID == id && strings.HasPrefix(ti.TransactionAmount.Value, "-"):
			v, _ := new(big.Rat).SetString(strings.TrimPrefix(ti.TransactionAmount.Value, "-"))
			if v != nil {
				refunded.Add(refunded, v)
			}
		}
	}
	if pay == nil {
		writeError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "The specified resource does not exist.", "", "INVALID_RESOURCE_ID")
		return
	}
	amount, _ := new(big.Rat).SetString(pay.TransactionAmount.Value)
	status := map[string]string{"S": "COMPLETED", "P": "PENDING", "D": "DECLINED", "V": "REFUNDED"}[pay.TransactionStatus]
	if status == "COMPLETED" && amount != nil && refunded.Sign() > 0 {
		status = "PARTIALLY_REFUNDED"
		if refunded.Cmp(amount) >= 0 {
			status = "REFUNDED"
		}
	}
	at, _ := time.Parse(DateLayout, pay.TransactionInitiationDate)
	upd, _ := time.Parse(DateLayout, pay.TransactionUpdatedDate)
	c := Capture{ID: id, Status: status, Amount: pay.TransactionAmount, FinalCapture: true, InvoiceID: pay.InvoiceID,
		CustomID: pay.CustomField, CreateTime: at.UTC().Format(time.RFC3339), UpdateTime: upd.UTC().Format(time.RFC3339),
		SellerReceivableBreakdown: &Breakdown{GrossAmount: pay.TransactionAmount},
		Links:                     []Link{{Href: "https://api-m.paypal.com/v2/payments/captures/" + id, Rel: "self", Method: "GET"}}}
	if pay.FeeAmount != nil {
		c.SellerReceivableBreakdown.PaypalFee = &Money{pay.FeeAmount.CurrencyCode, strings.TrimPrefix(pay.FeeAmount.Value, "-")}
	}
	writeJSON(w, http.StatusOK, c)
}

func writeFault(w http.ResponseWriter, status int) {
	switch {
	case status == http.StatusTooManyRequests:
		writeError(w, status, "RATE_LIMIT_REACHED", "Too many requests. Blocked due to rate limiting.", "", "")
	case status == http.StatusUnauthorized:
		writeJSON(w, status, map[string]string{"error": "invalid_token", "error_description": "Token signature verification failed"})
	case status == http.StatusForbidden:
		writeError(w, status, "NOT_AUTHORIZED", "Authorization failed due to insufficient permissions.", "", "PERMISSION_DENIED")
	case status == http.StatusServiceUnavailable:
		writeError(w, status, "SERVICE_UNAVAILABLE", "Service Unavailable.", "", "")
	case status >= 500:
		writeError(w, status, "INTERNAL_SERVER_ERROR", "An internal server error occurred.", "", "")
	default:
		writeError(w, status, "INVALID_REQUEST", "Request is not well-formed, syntactically incorrect, or violates schema.", "", "")
	}
}

func writeError(w http.ResponseWriter, status int, name, message, field, issue string) {
	body := map[string]any{"name": name, "message": message, "debug_id": "f1a2b3c4d5e6f"}
	if issue != "" {
		body["details"] = []map[string]string{{"field": field, "issue": issue}}
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
