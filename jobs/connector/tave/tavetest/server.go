// Package tavetest is an in-process HTTP fake of the Tave (VSCO Workspace) API as WedSync's
// connector assumes it (see ../mapping.go: the format is unverified): GET /v2/{contacts,jobs,
// orders,payments}?page=&pageSize= with the studio's key in X-Api-Key, answering
// {"data": [...], "meta": {page, pageSize, totalPages, totalCount}}. Knobs inject 429s with
// Retry-After (or any other status) and repeat the last item of a page at the start of the next.
package tavetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
)

// Contact, Job, Order and Payment are the fake's records, in the JSON shape it serves.
type Contact struct {
	ID               string `json:"id"`
	FirstName        string `json:"firstName"`
	LastName         string `json:"lastName"`
	PartnerFirstName string `json:"partnerFirstName,omitempty"`
	PartnerLastName  string `json:"partnerLastName,omitempty"`
	Email            string `json:"email,omitempty"`
	Phone            string `json:"phone,omitempty"`
}

// Job is a lead (Status "lead", LeadStatus new|contacted|proposal_sent) or a booked job.
type Job struct {
	ID             string `json:"id"`
	ContactID      string `json:"contactId"`
	Title          string `json:"title,omitempty"`
	Status         string `json:"status"`
	LeadStatus     string `json:"leadStatus,omitempty"`
	Source         string `json:"source,omitempty"`
	EventDate      string `json:"eventDate,omitempty"`
	InquiredAt     string `json:"inquiredAt"`
	BookedAt       string `json:"bookedAt,omitempty"`
	EstimatedValue string `json:"estimatedValue,omitempty"`
	ContractAmount string `json:"contractAmount,omitempty"`
	Currency       string `json:"currency"`
}

// Order is an invoice of a job.
type Order struct {
	ID         string `json:"id"`
	JobID      string `json:"jobId"`
	Number     string `json:"number"`
	DueDate    string `json:"dueDate"`
	Total      string `json:"total"`
	AmountPaid string `json:"amountPaid"`
	Currency   string `json:"currency"`
	Status     string `json:"status"`
}

// Payment is a payment against an order.
type Payment struct {
	ID             string `json:"id"`
	OrderID        string `json:"orderId"`
	JobID          string `json:"jobId"`
	Amount         string `json:"amount"`
	RefundedAmount string `json:"refundedAmount,omitempty"`
	Currency       string `json:"currency"`
	Status         string `json:"status"`
	PaidAt         string `json:"paidAt"`
	Method         string `json:"method,omitempty"`
}

// Server is the fake; make it with New.
type Server struct {
	key string

	mu       sync.Mutex
	data     map[string][]any // resource → items, in insertion order
	faults   []fault
	repeat   bool
	requests map[string]int
}

type fault struct {
	status     int
	retryAfter string
	// resource and page, when set, make the fault wait for that request.
	resource string
	page     int
}

// New returns an empty fake accepting only apiKey.
func New(apiKey string) *Server {
	return &Server{key: apiKey, data: map[string][]any{}, requests: map[string]int{}}
}

// Start serves the fake on loopback; the caller closes it.
func (s *Server) Start() *httptest.Server { return httptest.NewServer(s) }

func (s *Server) add(resource string, items ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data[resource] = append(s.data[resource], items...)
}

// AddContacts, AddJobs, AddOrders and AddPayments append records.
func (s *Server) AddContacts(cs ...Contact) {
	for _, c := range cs {
		s.add("contacts", c)
	}
}

// AddJobs appends jobs.
func (s *Server) AddJobs(js ...Job) {
	for _, j := range js {
		s.add("jobs", j)
	}
}

// AddOrders appends orders.
func (s *Server) AddOrders(os ...Order) {
	for _, o := range os {
		s.add("orders", o)
	}
}

// AddPayments appends payments.
func (s *Server) AddPayments(ps ...Payment) {
	for _, p := range ps {
		s.add("payments", p)
	}
}

// FailNext makes the next n requests answer status, with Retry-After: retryAfter when not empty.
func (s *Server) FailNext(n, status int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault{status: status, retryAfter: retryAfter})
	}
}

// FailOn makes the first request for page of resource answer status, with Retry-After:
// retryAfter when not empty (a 429 in the middle of a pass).
func (s *Server) FailOn(resource string, page, status int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fault{status: status, retryAfter: retryAfter, resource: resource, page: page})
}

// RepeatAcrossPages makes every page after the first begin with the last item of the page
// before, so the same record arrives twice.
func (s *Server) RepeatAcrossPages(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repeat = on
}

// Requests counts the requests to a resource ("jobs"), faults included; "" counts all.
func (s *Server) Requests(resource string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if resource == "" {
		n := 0
		for _, v := range s.requests {
			n += v
		}
		return n
	}
	return s.requests[resource]
}

// ServeHTTP answers the list endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	resource, ok := strings.CutPrefix(r.URL.Path, "/v2/")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[resource]++
	if f, hit := s.takeFault(resource, r.URL.Query().Get("page")); hit {
		if f.retryAfter != "" {
			w.Header().Set("Retry-After", f.retryAfter)
		}
		writeError(w, f.status, http.StatusText(f.status))
		return
	}
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	if r.Header.Get("X-Api-Key") != s.key {
		writeError(w, http.StatusUnauthorized, "invalid API key")
		return
	}
	items, known := s.data[resource]
	if !ok || (!known && !isResource(resource)) {
		writeError(w, http.StatusNotFound, "no such resource")
		return
	}
	page, err1 := strconv.Atoi(r.URL.Query().Get("page"))
	size, err2 := strconv.Atoi(r.URL.Query().Get("pageSize"))
	if err1 != nil || err2 != nil || page < 1 || size < 1 || size > 100 {
		writeError(w, http.StatusBadRequest, "page must be 1 or more and pageSize 1 to 100")
		return
	}
	total := (len(items) + size - 1) / size
	from, to := min((page-1)*size, len(items)), min(page*size, len(items))
	out := append([]any{}, items[from:to]...)
	if s.repeat && page > 1 && from > 0 && from <= len(items) {
		out = append([]any{items[from-1]}, out...)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"data": out, "meta": map[string]int{
		"page": page, "pageSize": size, "totalPages": total, "totalCount": len(items)}})
}

// takeFault removes and returns the first fault that applies to this request.
func (s *Server) takeFault(resource, page string) (fault, bool) {
	for i, f := range s.faults {
		if f.resource == "" || (f.resource == resource && strconv.Itoa(f.page) == page) {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
			return f, true
		}
	}
	return fault{}, false
}

func isResource(r string) bool {
	switch r {
	case "contacts", "jobs", "orders", "payments":
		return true
	}
	return false
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `{"error":{"status":%d,"message":%q}}`, status, msg)
}
