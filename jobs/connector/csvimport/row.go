package csvimport

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/store"
)

// Options are what a row's mapping needs besides the row.
type Options struct {
	// Provider names the payments' provider ("honeybook") and is the default source.
	Provider string
	// Currency is the organization's, for rows without a currency column.
	Currency string
}

// Item is one row mapped to records.
type Item struct {
	Line int
	// ExternalID identifies the project: the export's id, or "h:" and a hash of the key columns.
	ExternalID string
	// Hash covers every mapped value: a row whose hash is unchanged since the last import changes
	// nothing and is not written.
	Hash    string
	Records []connector.Record
}

// RowError says why a row cannot be imported.
type RowError struct {
	Line int
	Msg  string
}

func (e *RowError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// project is a row's values, read and checked.
type project struct {
	name, email, status, source, currency string
	inquired                              time.Time
	wedding                               *time.Time
	amount, paid                          *int64
}

// MapRow maps one row: a client (by email when there is one, so one couple's projects share a
// client), an inquiry, a booking when the status says booked, and a payment of the paid amount.
func MapRow(row Row, m Mapping, opt Options) (Item, error) {
	fail := func(format string, args ...any) (Item, error) {
		return Item{}, &RowError{Line: row.Line, Msg: fmt.Sprintf(format, args...)}
	}
	cell := func(f Field) string { return row.Cell(m.Column(f)) }
	p := project{name: cell(ClientName), email: strings.ToLower(cell(Email)), source: cell(Source)}
	if p.name == "" && p.email == "" {
		return fail("no client name or email")
	}
	if p.email != "" {
		if a, err := mail.ParseAddress(p.email); err != nil || a.Address != p.email {
			return fail("email %q is not an address like name@example.com", clipText(p.email))
		}
	}
	p.currency = strings.ToUpper(cell(Currency))
	if p.currency == "" {
		p.currency = opt.Currency
	}
	if !store.ValidCurrency(p.currency) {
		return fail("currency %q is not an ISO code like USD", clipText(p.currency))
	}
	if v := cell(WeddingDate); v != "" {
		d, err := ParseDate(v)
		if err != nil {
			return fail("wedding date: %v", err)
		}
		p.wedding = &d
	}
	switch v := cell(InquiryDate); {
	case v != "":
		d, err := ParseDate(v)
		if err != nil {
			return fail("inquiry date: %v", err)
		}
		p.inquired = d
	case p.wedding != nil:
		p.inquired = *p.wedding
	default:
		return fail("no inquiry date and no wedding date")
	}
	var err error
	if p.amount, err = moneyCell(cell(Amount), p.currency); err != nil {
		return fail("amount: %v", err)
	}
	if p.paid, err = moneyCell(cell(PaidAmount), p.currency); err != nil {
		return fail("paid amount: %v", err)
	}
	var booked bool
	p.status, booked = StatusOf(cell(Status))
	if booked && p.wedding == nil {
		return fail("a booked project needs a wedding date")
	}
	ext := cell(ProjectID)
	if ext == "" {
		ext = "h:" + digest(p.name, p.email, cell(InquiryDate), cell(WeddingDate))[:24]
	}
	if len(ext) > 200 {
		return fail("project id is longer than 200 characters")
	}
	hash := digest(ext, p.name, p.email, p.status, p.source, p.currency, p.inquired.Format(time.DateOnly), dateText(p.wedding),
		amountText(p.amount), amountText(p.paid), fmt.Sprint(booked))
	return Item{Line: row.Line, ExternalID: ext, Hash: hash, Records: p.records(ext, booked, opt)}, nil
}

func (p project) records(ext string, booked bool, opt Options) []connector.Record {
	clientID := "p:" + ext
	if p.email != "" {
		clientID = "e:" + p.email
	}
	source := p.source
	if source == "" {
		source = opt.Provider
	}
	client := connector.KindClient
	out := []connector.Record{
		{Kind: client, ExternalID: clientID, Row: store.ClientRow{ExternalID: clientID, Name: p.name, Email: p.email}},
		{Kind: connector.KindInquiry, ExternalID: ext, Links: map[connector.Kind]string{client: clientID},
			Row: store.InquiryRow{ExternalID: ext, Source: source, ReceivedAt: p.inquired, WeddingDate: p.wedding,
				Status: p.status, EstimatedValue: p.amount, Currency: p.currency}},
	}
	if booked {
		b := store.BookingRow{ExternalID: ext, WeddingDate: *p.wedding, BookedAt: p.inquired, Status: "confirmed", Currency: p.currency}
		if p.amount != nil {
			b.ContractAmount = *p.amount
		}
		out = append(out, connector.Record{Kind: connector.KindBooking, ExternalID: ext, Row: b,
			Links: map[connector.Kind]string{client: clientID, connector.KindInquiry: ext}})
	}
	if p.paid != nil && *p.paid > 0 {
		pay := connector.Record{Kind: connector.KindPayment, ExternalID: ext + ":paid", ClientEmail: p.email,
			Row: store.PaymentRow{ExternalID: ext + ":paid", Provider: opt.Provider, Amount: *p.paid, Currency: p.currency,
				Status: "succeeded", PaidAt: p.inquired, Note: "Paid to date, from " + opt.Provider}}
		if booked {
			pay.Links = map[connector.Kind]string{connector.KindBooking: ext}
		}
		out = append(out, pay)
	}
	return out
}

// StatusOf maps a CRM's lead or project stage to our inquiry status, and whether the project is
// booked. Unknown stages count as new leads.
func StatusOf(s string) (status string, booked bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(s, w) {
				return true
			}
		}
		return false
	}
	switch {
	case has("lost", "archiv", "declin", "cancel", "dead", "not interested", "closed"):
		return "lost", false
	case has("sent", "quote", "pending") && !has("signed", "book"):
		return "proposal", false
	case has("book", "job", "won", "signed", "retainer", "contract", "planning", "complete", "confirmed"):
		return "booked", true
	case has("proposal"):
		return "proposal", false
	case has("follow", "contacted", "responded", "replied", "meeting", "call", "consult"):
		return "contacted", false
	}
	return "new", false
}

// moneyCell parses a money cell exactly: an optional currency symbol or code around a decimal
// amount with optional thousands separators ("$4,500.00", "4500 USD"). Empty is nil.
func moneyCell(v, currency string) (*int64, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	s := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(v, currency), currency))
	s = strings.TrimLeft(s, "$£€¥₹ ")
	n, err := store.ParseMoney(s, currency)
	if err != nil {
		return nil, fmt.Errorf("%q: %v", clipText(v), err)
	}
	return &n, nil
}

func digest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func dateText(d *time.Time) string {
	if d == nil {
		return ""
	}
	return d.Format(time.DateOnly)
}

func amountText(a *int64) string {
	if a == nil {
		return ""
	}
	return fmt.Sprint(*a)
}

func clipText(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
