package paypal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/store"
)

// ErrInvalidSignature means PayPal did not vouch for a webhook (headers missing, verification
// status not SUCCESS, or the request refused as malformed): answer 400 and store nothing. It
// wraps connector.ErrBadSignature.
var ErrInvalidSignature = fmt.Errorf("paypal: %w", connector.ErrBadSignature)

// The transmission headers PayPal sends with every webhook delivery.
var transmissionHeaders = [][2]string{
	{"auth_algo", "PAYPAL-AUTH-ALGO"}, {"cert_url", "PAYPAL-CERT-URL"}, {"transmission_id", "PAYPAL-TRANSMISSION-ID"},
	{"transmission_sig", "PAYPAL-TRANSMISSION-SIG"}, {"transmission_time", "PAYPAL-TRANSMISSION-TIME"},
}

// VerifyWebhook asks PayPal (POST /v1/notifications/verify-webhook-signature on Config.BaseURL)
// whether body with headers was sent to the webhook webhookID. The raw body is embedded byte for
// byte as webhook_event. It returns nil for verification_status SUCCESS, an error wrapping
// ErrInvalidSignature for anything PayPal does not vouch for, and a classified *connector.Error
// when PayPal cannot be asked (down, rate limited, our credentials refused).
func (c *Client) VerifyWebhook(ctx context.Context, headers http.Header, body []byte, webhookID string) error {
	if strings.TrimSpace(webhookID) == "" {
		return fmt.Errorf("%w: no webhook id configured", ErrInvalidSignature)
	}
	req := map[string]string{"webhook_id": webhookID}
	for _, h := range transmissionHeaders {
		v := strings.TrimSpace(headers.Get(h[1]))
		if v == "" {
			return fmt.Errorf("%w: header %s missing", ErrInvalidSignature, h[1])
		}
		req[h[0]] = v
	}
	if !json.Valid(body) {
		return fmt.Errorf("%w: body is not JSON", ErrInvalidSignature)
	}
	head, err := json.Marshal(req)
	if err != nil {
		return &connector.Error{Class: connector.ClassBug, Err: err}
	}
	var buf bytes.Buffer
	buf.Write(head[:len(head)-1])
	buf.WriteString(`,"webhook_event":`)
	buf.Write(body)
	buf.WriteByte('}')
	var out struct {
		VerificationStatus string `json:"verification_status"`
	}
	err = c.call(ctx, http.MethodPost, "/v1/notifications/verify-webhook-signature", nil, buf.Bytes(), &out)
	var ce *connector.Error
	if errors.As(err, &ce) && (ce.Status == http.StatusBadRequest || ce.Status == http.StatusUnprocessableEntity) {
		return fmt.Errorf("%w: %v", ErrInvalidSignature, err)
	}
	if err != nil {
		return err
	}
	if out.VerificationStatus != "SUCCESS" {
		return fmt.Errorf("%w: verification_status %q", ErrInvalidSignature, out.VerificationStatus)
	}
	return nil
}

// event is PayPal's webhook event envelope.
type event struct {
	ID           string          `json:"id"`
	EventType    string          `json:"event_type"`
	ResourceType string          `json:"resource_type"`
	CreateTime   string          `json:"create_time"`
	Resource     json.RawMessage `json:"resource"`
}

type link struct {
	Href   string `json:"href"`
	Rel    string `json:"rel"`
	Method string `json:"method"`
}

// capture is the Payments v2 capture resource (PAYMENT.CAPTURE.* events, GET
// /v2/payments/captures/{id}). Its id is the transaction id of transaction search.
type capture struct {
	ID                        string `json:"id"`
	Status                    string `json:"status"`
	Amount                    *money `json:"amount"`
	InvoiceID                 string `json:"invoice_id"`
	CustomID                  string `json:"custom_id"`
	CreateTime                string `json:"create_time"`
	UpdateTime                string `json:"update_time"`
	SellerReceivableBreakdown *struct {
		GrossAmount *money `json:"gross_amount"`
		PaypalFee   *money `json:"paypal_fee"`
		NetAmount   *money `json:"net_amount"`
	} `json:"seller_receivable_breakdown"`
	Links []link `json:"links"`
}

// refundResource is the refund resource of PAYMENT.CAPTURE.REFUNDED / REVERSED events; its "up"
// link names the capture.
type refundResource struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Links  []link `json:"links"`
}

// captureID returns the id of the capture a refund belongs to (its "up" link).
func (r refundResource) captureID() string {
	for _, l := range r.Links {
		if l.Rel == "up" && strings.Contains(l.Href, "/captures/") {
			return l.Href[strings.LastIndex(l.Href, "/")+1:]
		}
	}
	return ""
}

// mapCapture maps a capture: COMPLETED succeeded, PENDING pending, DECLINED and FAILED failed,
// REFUNDED refunded in full. ok is false for PARTIALLY_REFUNDED: a capture does not say how much was
// refunded, so only a sync (which sees the refund transactions) can write it.
func mapCapture(cp capture) (rec connector.Record, ok bool, err error) {
	bad := func(format string, args ...any) (connector.Record, bool, error) {
		return connector.Record{}, false, &connector.Error{Class: connector.ClassBadData,
			Err: fmt.Errorf("paypal capture %q: "+format, append([]any{cp.ID}, args...)...)}
	}
	if cp.ID == "" || cp.Amount == nil {
		return bad("no id or amount")
	}
	cur := strings.ToUpper(cp.Amount.CurrencyCode)
	if !store.ValidCurrency(cur) {
		return bad("unknown currency %q", cp.Amount.CurrencyCode)
	}
	amount, err := ParseAmount(cp.Amount.Value, cur)
	if err != nil || amount < 0 {
		return bad("amount %q: %v", cp.Amount.Value, err)
	}
	row := store.PaymentRow{ExternalID: cp.ID, Provider: Name, Amount: amount, Currency: cur}
	if b := cp.SellerReceivableBreakdown; b != nil && b.PaypalFee != nil {
		fee, err := ParseAmount(b.PaypalFee.Value, cur)
		if err != nil {
			return bad("paypal_fee %q: %v", b.PaypalFee.Value, err)
		}
		row.Fee = abs(fee)
	}
	if row.PaidAt, err = ParseTime(cp.CreateTime); err != nil {
		return bad("create_time %q: %v", cp.CreateTime, err)
	}
	switch cp.Status {
	case "COMPLETED":
		row.Status = "succeeded"
	case "PENDING":
		row.Status = "pending"
	case "DECLINED", "FAILED":
		row.Status = "failed"
	case "REFUNDED":
		row.Status, row.RefundedAmount = "refunded", amount
	case "PARTIALLY_REFUNDED":
		return connector.Record{}, false, nil
	default:
		return bad("unknown status %q", cp.Status)
	}
	ref := cp.InvoiceID
	if ref == "" {
		ref = cp.CustomID
	}
	return connector.Record{Kind: connector.KindPayment, ExternalID: cp.ID, Row: row, BookingRef: ref}, true, nil
}

func parseEvent(body []byte) (event, error) {
	var ev event
	if err := json.Unmarshal(body, &ev); err != nil {
		return ev, &connector.Error{Class: connector.ClassBadData, Err: fmt.Errorf("paypal webhook: %w", err)}
	}
	if ev.ID == "" || ev.EventType == "" {
		return ev, &connector.Error{Class: connector.ClassBadData, Err: errors.New("paypal webhook: no id or event_type")}
	}
	return ev, nil
}

// ParseWebhookEvent reads a (verified) event body. Capture events (resource_type capture:
// PAYMENT.CAPTURE.COMPLETED, PENDING, DENIED, DECLINED, ...) give the capture as one payment record,
// keyed by the capture id, which is the transaction id the sync uses. A partially refunded capture
// and refund events (PAYMENT.CAPTURE.REFUNDED, REVERSED) give no records: their amounts come with
// the next sync, which sees the refund transactions (MapEvent does better by asking the API).
// Other events give no records and no error; an unreadable body is an error of class bad_data.
func ParseWebhookEvent(body []byte) (eventID, eventType string, records []connector.Record, err error) {
	ev, err := parseEvent(body)
	if err != nil {
		return "", "", nil, err
	}
	if ev.ResourceType != "capture" {
		return ev.ID, ev.EventType, nil, nil
	}
	var cp capture
	if err := json.Unmarshal(ev.Resource, &cp); err != nil {
		return ev.ID, ev.EventType, nil, &connector.Error{Class: connector.ClassBadData, Err: fmt.Errorf("paypal webhook %s: %w", ev.ID, err)}
	}
	rec, ok, err := mapCapture(cp)
	if err != nil || !ok {
		return ev.ID, ev.EventType, nil, err
	}
	return ev.ID, ev.EventType, []connector.Record{rec}, nil
}
