package zapier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/csvimport"
	"github.com/wedsync/wedsync/store"
)

// The event types a Zap forwards (the "event" member of the body).
const (
	EventLeadCreated     = "lead.created"     // a new lead or project
	EventStatusUpdated   = "status.updated"   // the project moved to another stage
	EventContractSigned  = "contract.signed"  // the project is booked
	EventPaymentReceived = "payment.received" // money came in for a project
)

// Event is the JSON body a Zap sends. Project fields are those of the CSV import; amounts are
// decimal strings or JSON numbers, read exactly. Each event carries the project's current
// fields (the Zapier triggers of HoneyBook and Dubsado provide them): what it leaves out is
// cleared on the stored inquiry, as a re-import would.
type Event struct {
	ID          string  `json:"id"`
	Event       string  `json:"event"`
	ProjectID   flexStr `json:"project_id"`
	ClientName  flexStr `json:"client_name"`
	Email       flexStr `json:"email"`
	Status      flexStr `json:"status"`
	Source      flexStr `json:"source"`
	InquiryDate flexStr `json:"inquiry_date"`
	WeddingDate flexStr `json:"wedding_date"`
	Amount      flexStr `json:"amount"`
	Currency    flexStr `json:"currency"`
	PaidAmount  flexStr `json:"paid_amount"`
	// PaymentID, PaymentAmount and PaidAt describe the payment of a payment.received event.
	PaymentID     flexStr `json:"payment_id"`
	PaymentAmount flexStr `json:"payment_amount"`
	PaidAt        flexStr `json:"paid_at"`
}

// flexStr reads a JSON string, or a number as its exact text (never through a float).
type flexStr string

// UnmarshalJSON accepts a string, a number, a boolean or null.
func (f *flexStr) UnmarshalJSON(b []byte) error {
	s := strings.TrimSpace(string(b))
	switch {
	case s == "null":
		*f = ""
	case strings.HasPrefix(s, `"`):
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*f = flexStr(strings.TrimSpace(strings.ReplaceAll(v, "\x00", ""))) // PostgreSQL text cannot hold NUL
	case s == "true" || s == "false" || json.Valid(b) && !strings.ContainsAny(s[:1], "{["):
		*f = flexStr(s)
	default:
		return fmt.Errorf("expected text or a number, got %.20s", s)
	}
	return nil
}

// mapEvent turns an event into records; a project that cannot be read becomes one problem
// record (the event is acknowledged and the reason logged).
func mapEvent(provider, currency string, now time.Time, se connector.StoredEvent) connector.EventResult {
	bad := func(msg string) connector.EventResult {
		return connector.EventResult{Records: []connector.Record{{Kind: connector.KindInquiry, ExternalID: se.ID,
			Problem: fmt.Sprintf("%s event %s (%s): %s", provider, se.ID, se.Type, msg)}}}
	}
	var ev Event
	if err := json.Unmarshal(se.Payload, &ev); err != nil {
		return bad("the body does not match the documented event: " + err.Error())
	}
	if c := strings.ToUpper(string(ev.Currency)); c != "" {
		currency = c
	}
	opt := csvimport.Options{Provider: provider, Currency: currency}
	switch se.Type {
	case EventPaymentReceived:
		rec, err := paymentRecord(ev, se.ID, opt, now)
		if err != nil {
			return bad(err.Error())
		}
		return connector.EventResult{Records: []connector.Record{rec}}
	case EventLeadCreated, EventStatusUpdated, EventContractSigned:
	default:
		return connector.EventResult{} // acknowledged, nothing to do
	}
	if se.Type == EventContractSigned {
		if _, booked := csvimport.StatusOf(string(ev.Status)); !booked {
			ev.Status = "Booked"
		}
	}
	if se.Type == EventLeadCreated && ev.InquiryDate == "" {
		ev.InquiryDate = flexStr(now.UTC().Format(time.DateOnly))
	}
	cells := []string{string(ev.ClientName), string(ev.Email), string(ev.ProjectID), string(ev.Status), string(ev.Source),
		string(ev.InquiryDate), string(ev.WeddingDate), string(ev.Amount), string(ev.Currency), string(ev.PaidAmount)}
	m := csvimport.Mapping{}
	for i, f := range []csvimport.Field{csvimport.ClientName, csvimport.Email, csvimport.ProjectID, csvimport.Status, csvimport.Source,
		csvimport.InquiryDate, csvimport.WeddingDate, csvimport.Amount, csvimport.Currency, csvimport.PaidAmount} {
		m[f] = i
	}
	if ev.ProjectID == "" {
		return bad("no project_id")
	}
	it, err := csvimport.MapRow(csvimport.Row{Line: 1, Cells: cells}, m, opt)
	var re *csvimport.RowError
	if errors.As(err, &re) {
		return bad(re.Msg)
	}
	if err != nil {
		return bad(err.Error())
	}
	return connector.EventResult{Records: it.Records}
}

// paymentRecord is the payment of a payment.received event, linked to the project's booking
// (or, failing that, a booking of the client's email).
func paymentRecord(ev Event, eventID string, opt csvimport.Options, now time.Time) (connector.Record, error) {
	amountText := string(ev.PaymentAmount)
	if amountText == "" {
		amountText = string(ev.Amount)
	}
	if !store.ValidCurrency(opt.Currency) {
		return connector.Record{}, fmt.Errorf("currency %q is not an ISO code like USD", opt.Currency)
	}
	amount, err := store.ParseMoney(strings.TrimLeft(amountText, "$£€¥ "), opt.Currency)
	if err != nil {
		return connector.Record{}, fmt.Errorf("payment_amount %q: %v", amountText, err)
	}
	paidAt := now.UTC()
	if v := string(ev.PaidAt); v != "" {
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			paidAt = t.UTC()
		} else if d, err := csvimport.ParseDate(v); err == nil {
			paidAt = d
		} else {
			return connector.Record{}, fmt.Errorf("paid_at %q is not a time like 2026-06-01T10:00:00Z", v)
		}
	}
	id := string(ev.PaymentID)
	if id == "" {
		id = "evt:" + eventID
	}
	rec := connector.Record{Kind: connector.KindPayment, ExternalID: id, ClientEmail: strings.ToLower(string(ev.Email)),
		Row: store.PaymentRow{ExternalID: id, Provider: opt.Provider, Amount: amount, Currency: opt.Currency, Status: "succeeded",
			PaidAt: paidAt, Note: "Payment received, forwarded by Zapier"}}
	if ev.ProjectID != "" {
		rec.Links = map[connector.Kind]string{connector.KindBooking: string(ev.ProjectID)}
	}
	return rec, nil
}

// Conn is the connector of a HoneyBook or Dubsado integration: there is nothing to fetch (no
// API), and forwarded events map to records.
type Conn struct {
	provider, currency string
	hasSecret          bool
	now                func() time.Time
}

// Test has no API to call; it checks that the integration has its signing secret, without
// which no forwarded event is accepted.
func (c *Conn) Test(context.Context) error {
	if !c.hasSecret {
		return &connector.Error{Class: connector.ClassCredentials,
			Err: errors.New("no Zapier signing secret: generate one on the import page")}
	}
	return nil
}

// Fetch returns an empty, finished page: records arrive by CSV import and webhooks.
func (c *Conn) Fetch(context.Context, json.RawMessage) (connector.Page, error) {
	return connector.Page{Done: true, Cursor: json.RawMessage(`{}`)}, nil
}

// MapEvent maps a forwarded event.
func (c *Conn) MapEvent(_ context.Context, ev connector.StoredEvent) (connector.EventResult, error) {
	return mapEvent(c.provider, c.currency, c.now(), ev), nil
}

var (
	_ connector.Connector   = (*Conn)(nil)
	_ connector.EventMapper = (*Conn)(nil)
)

// CurrencyField is the optional config field naming the currency of amounts that come without
// one (empty: the organization's currency for imports, USD for webhooks).
const CurrencyField = "currency"

// NewProvider describes a CRM without an API (HoneyBook, Dubsado) for the registry.
func NewProvider(name, label string) connector.Provider {
	return connector.Provider{
		Name: name, Label: label, Category: "CRM",
		Fields: []connector.Field{{Name: CurrencyField, Label: "Currency", Optional: true,
			Hint: "ISO code of amounts without a currency column or field, like USD. Empty: your organization's currency (USD for webhooks)."}},
		Validate: func(v map[string]string) map[string]string {
			if c := strings.ToUpper(strings.TrimSpace(v[CurrencyField])); c != "" && !store.ValidCurrency(c) {
				return map[string]string{CurrencyField: "Enter an ISO currency code like USD."}
			}
			return nil
		},
		New: func(p connector.Params) (connector.Connector, error) {
			cur := strings.ToUpper(strings.TrimSpace(p.Config[CurrencyField]))
			if cur == "" {
				cur = "USD"
			}
			return &Conn{provider: name, currency: cur, hasSecret: strings.TrimSpace(p.Credentials[SecretField]) != "", now: p.Clock}, nil
		},
		Webhook: connector.WebhookVerifierFunc(Verify),
		WebhookHelp: label + " has no API: upload its CSV export on this page, or forward its Zapier triggers (new lead or project, " +
			"status updated, contract signed, payment received) to this URL as JSON signed with the integration's signing secret " +
			"(header " + SignatureHeader + ": t=<unix seconds>,v1=<hex HMAC-SHA256 of \"t.body\">; see the README, \"Zapier webhooks\").",
	}
}
