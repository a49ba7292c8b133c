package tave

// THE SEAM. Tave (VSCO Workspace) publishes no API reference we could verify (see
// ../shared/PROVIDERS.md: "unverified"). Everything this connector assumes about the wire format
// lives in this one file: the header carrying the key, the resource paths and their order, the
// paging parameters and envelope, the JSON field names and their meaning, and how each record
// becomes our rows. When the real format is known, change this file (and the fake in tavetest,
// which speaks the same assumptions); client.go only pages through whatever resources are
// listed here.

import (
	"fmt"
	"strings"
	"time"

	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/store"
)

// DefaultBaseURL is the assumed API origin.
const DefaultBaseURL = "https://api.tave.io"

// KeyHeader carries the studio's API key on every request.
const KeyHeader = "X-Api-Key"

// PageSize is the pageSize asked for on every list request.
const PageSize = 100

// Query parameters of a list request.
const (
	pageParam     = "page"
	pageSizeParam = "pageSize"
)

// resources are listed in this order, so a record's links (a job's contact, a payment's order)
// were stored by an earlier page of the same sync.
var resources = []string{"contacts", "jobs", "orders", "payments"}

// resourcePath is the list endpoint of a resource.
func resourcePath(r string) string { return "/v2/" + r }

// listEnvelope is every list answer: the items and the paging metadata.
type listEnvelope[T any] struct {
	Data []T `json:"data"`
	Meta struct {
		Page       int `json:"page"`
		PageSize   int `json:"pageSize"`
		TotalPages int `json:"totalPages"`
		TotalCount int `json:"totalCount"`
	} `json:"meta"`
}

// lastPage reports whether the envelope's page is the last of its resource: meta.totalPages
// says so (an empty page before the last is read past), or, without it, a short page.
func (e listEnvelope[T]) lastPage(asked int) bool {
	if e.Meta.TotalPages > 0 {
		return asked >= e.Meta.TotalPages
	}
	return len(e.Data) < PageSize
}

// contact is a person or couple in the studio's address book.
type contact struct {
	ID               string `json:"id"`
	FirstName        string `json:"firstName"`
	LastName         string `json:"lastName"`
	PartnerFirstName string `json:"partnerFirstName"`
	PartnerLastName  string `json:"partnerLastName"`
	Email            string `json:"email"`
	Phone            string `json:"phone"`
}

// job is a lead or a booked job. Money is a decimal string in the job's currency.
type job struct {
	ID             string `json:"id"`
	ContactID      string `json:"contactId"`
	Title          string `json:"title"`
	Status         string `json:"status"`     // lead | booked | completed | cancelled | lost
	LeadStatus     string `json:"leadStatus"` // new | contacted | proposal_sent (leads only)
	Source         string `json:"source"`
	EventDate      string `json:"eventDate"` // YYYY-MM-DD
	InquiredAt     string `json:"inquiredAt"`
	BookedAt       string `json:"bookedAt"`
	EstimatedValue string `json:"estimatedValue"`
	ContractAmount string `json:"contractAmount"`
	Currency       string `json:"currency"`
}

// order is what the client is billed for a job.
type order struct {
	ID         string `json:"id"`
	JobID      string `json:"jobId"`
	Number     string `json:"number"`
	DueDate    string `json:"dueDate"` // YYYY-MM-DD
	Total      string `json:"total"`
	AmountPaid string `json:"amountPaid"`
	Currency   string `json:"currency"`
	Status     string `json:"status"` // open | paid | void
}

// payment is money received against an order of a job.
type payment struct {
	ID       string `json:"id"`
	OrderID  string `json:"orderId"`
	JobID    string `json:"jobId"`
	Amount   string `json:"amount"`
	Refunded string `json:"refundedAmount"`
	Currency string `json:"currency"`
	Status   string `json:"status"` // completed | pending | failed | refunded
	PaidAt   string `json:"paidAt"` // RFC 3339
	Method   string `json:"method"`
	Memo     string `json:"memo"`
}

// mapPage decodes one page of resource and maps its items.
func mapPage(resource string, body []byte, asked int) (recs []connector.Record, last bool, err error) {
	switch resource {
	case "contacts":
		return decodeMap(body, asked, mapContact)
	case "jobs":
		return decodeMap(body, asked, mapJob)
	case "orders":
		return decodeMap(body, asked, mapOrder)
	case "payments":
		return decodeMap(body, asked, mapPayment)
	}
	return nil, false, fmt.Errorf("tave: unknown resource %q", resource)
}

func mapContact(c contact) []connector.Record {
	name := strings.TrimSpace(c.FirstName + " " + c.LastName)
	if partner := strings.TrimSpace(c.PartnerFirstName + " " + c.PartnerLastName); partner != "" {
		name += " & " + partner
	}
	return []connector.Record{{Kind: connector.KindClient, ExternalID: c.ID,
		Row: store.ClientRow{ExternalID: c.ID, Name: name, Email: strings.TrimSpace(c.Email), Phone: strings.TrimSpace(c.Phone)}}}
}

// mapJob makes every job an inquiry (leads keep their lead status; booked jobs count as booked,
// lost ones as lost) and a booked, completed or cancelled job also a booking.
func mapJob(j job) []connector.Record {
	cur := currencyOf(j.Currency)
	links := map[connector.Kind]string{connector.KindClient: j.ContactID}
	inq := store.InquiryRow{ExternalID: j.ID, Source: j.Source, Status: inquiryStatus(j), Currency: cur}
	var err error
	if inq.ReceivedAt, err = parseTime(j.InquiredAt); err != nil {
		return problem(connector.KindInquiry, j.ID, "inquiredAt", err)
	}
	if j.EventDate != "" {
		d, err := time.Parse(time.DateOnly, j.EventDate)
		if err != nil {
			return problem(connector.KindInquiry, j.ID, "eventDate", err)
		}
		inq.WeddingDate = &d
	}
	if v := firstNonEmpty(j.EstimatedValue, j.ContractAmount); v != "" {
		amount, err := store.ParseMoney(v, cur)
		if err != nil {
			return problem(connector.KindInquiry, j.ID, "estimatedValue", err)
		}
		inq.EstimatedValue = &amount
	}
	out := []connector.Record{{Kind: connector.KindInquiry, ExternalID: j.ID, Row: inq, Links: links}}
	status, booked := bookingStatus(j.Status)
	if !booked {
		return out
	}
	b := store.BookingRow{ExternalID: j.ID, Title: j.Title, Status: status, Currency: cur}
	if inq.WeddingDate == nil {
		return append(out, problem(connector.KindBooking, j.ID, "eventDate", fmt.Errorf("a booked job needs an event date"))...)
	}
	b.WeddingDate = *inq.WeddingDate
	if b.BookedAt, err = parseTime(firstNonEmpty(j.BookedAt, j.InquiredAt)); err != nil {
		return append(out, problem(connector.KindBooking, j.ID, "bookedAt", err)...)
	}
	if b.ContractAmount, err = store.ParseMoney(firstNonEmpty(j.ContractAmount, "0"), cur); err != nil {
		return append(out, problem(connector.KindBooking, j.ID, "contractAmount", err)...)
	}
	return append(out, connector.Record{Kind: connector.KindBooking, ExternalID: j.ID, Row: b,
		Links: map[connector.Kind]string{connector.KindClient: j.ContactID, connector.KindInquiry: j.ID}})
}

func mapOrder(o order) []connector.Record {
	cur := currencyOf(o.Currency)
	row := store.InvoiceRow{ExternalID: o.ID, Number: o.Number, Status: o.Status}
	var err error
	if row.DueDate, err = time.Parse(time.DateOnly, o.DueDate); err != nil {
		return problem(connector.KindInvoice, o.ID, "dueDate", err)
	}
	if row.Amount, err = store.ParseMoney(o.Total, cur); err != nil {
		return problem(connector.KindInvoice, o.ID, "total", err)
	}
	if row.AmountPaid, err = store.ParseMoney(firstNonEmpty(o.AmountPaid, "0"), cur); err != nil {
		return problem(connector.KindInvoice, o.ID, "amountPaid", err)
	}
	return []connector.Record{{Kind: connector.KindInvoice, ExternalID: o.ID, Row: row,
		Links: map[connector.Kind]string{connector.KindBooking: o.JobID}}}
}

func mapPayment(p payment) []connector.Record {
	cur := currencyOf(p.Currency)
	row := store.PaymentRow{ExternalID: p.ID, Provider: Name, Currency: cur, Note: strings.TrimSpace(p.Method + " " + p.Memo)}
	var err error
	if row.Amount, err = store.ParseMoney(p.Amount, cur); err != nil {
		return problem(connector.KindPayment, p.ID, "amount", err)
	}
	if row.RefundedAmount, err = store.ParseMoney(firstNonEmpty(p.Refunded, "0"), cur); err != nil {
		return problem(connector.KindPayment, p.ID, "refundedAmount", err)
	}
	row.RefundedAmount = min(row.RefundedAmount, row.Amount)
	if row.PaidAt, err = parseTime(p.PaidAt); err != nil {
		return problem(connector.KindPayment, p.ID, "paidAt", err)
	}
	row.Status = paymentStatus(p.Status, row.Amount, row.RefundedAmount)
	return []connector.Record{{Kind: connector.KindPayment, ExternalID: p.ID, Row: row,
		Links: map[connector.Kind]string{connector.KindInvoice: p.OrderID, connector.KindBooking: p.JobID}}}
}

func inquiryStatus(j job) string {
	switch strings.ToLower(j.Status) {
	case "booked", "completed", "cancelled":
		return "booked"
	case "lost":
		return "lost"
	}
	switch strings.ToLower(j.LeadStatus) {
	case "contacted":
		return "contacted"
	case "proposal_sent":
		return "proposal"
	}
	return "new"
}

func bookingStatus(s string) (string, bool) {
	switch strings.ToLower(s) {
	case "booked":
		return "confirmed", true
	case "completed":
		return "completed", true
	case "cancelled":
		return "cancelled", true
	}
	return "", false
}

func paymentStatus(s string, amount, refunded int64) string {
	switch strings.ToLower(s) {
	case "pending":
		return "pending"
	case "failed":
		return "failed"
	}
	switch {
	case refunded > 0 && refunded >= amount:
		return "refunded"
	case refunded > 0:
		return "partially_refunded"
	}
	return "succeeded"
}

// currencyOf upper-cases the record's currency; records without one are in US dollars (Tave's
// home market; unverified).
func currencyOf(c string) string {
	if c = strings.ToUpper(strings.TrimSpace(c)); c != "" {
		return c
	}
	return "USD"
}

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time", s)
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// problem is a record the framework skips and reports.
func problem(kind connector.Kind, id, field string, err error) []connector.Record {
	return []connector.Record{{Kind: kind, ExternalID: id, Problem: fmt.Sprintf("tave %s %s: %s: %v", kind, id, field, err)}}
}
