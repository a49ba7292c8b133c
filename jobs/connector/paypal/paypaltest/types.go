package paypaltest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/http"
	"strings"
	"time"
)

// DateLayout is how transaction search writes dates: no colon in the offset.
const DateLayout = "2006-01-02T15:04:05-0700"

// signingKey stands in for PayPal's certificate: the fake signs and verifies with it.
const signingKey = "paypaltest-signing-key"

// Money is PayPal's Money: a currency code and a decimal string.
type Money struct {
	CurrencyCode string `json:"currency_code"`
	Value        string `json:"value"`
}

// TransactionInfo is transaction search's transaction_info.
type TransactionInfo struct {
	PaypalAccountID           string `json:"paypal_account_id,omitempty"`
	TransactionID             string `json:"transaction_id"`
	PaypalReferenceID         string `json:"paypal_reference_id,omitempty"`
	PaypalReferenceIDType     string `json:"paypal_reference_id_type,omitempty"`
	TransactionEventCode      string `json:"transaction_event_code"`
	TransactionInitiationDate string `json:"transaction_initiation_date"`
	TransactionUpdatedDate    string `json:"transaction_updated_date"`
	TransactionAmount         Money  `json:"transaction_amount"`
	FeeAmount                 *Money `json:"fee_amount,omitempty"`
	TransactionStatus         string `json:"transaction_status"` // D, P, S, V
	TransactionSubject        string `json:"transaction_subject,omitempty"`
	TransactionNote           string `json:"transaction_note,omitempty"`
	InvoiceID                 string `json:"invoice_id,omitempty"`
	CustomField               string `json:"custom_field,omitempty"`
	ProtectionEligibility     string `json:"protection_eligibility,omitempty"`
}

// PayerName is payer_info.payer_name.
type PayerName struct {
	GivenName         string `json:"given_name,omitempty"`
	Surname           string `json:"surname,omitempty"`
	AlternateFullName string `json:"alternate_full_name,omitempty"`
}

// PayerInfo is transaction search's payer_info.
type PayerInfo struct {
	AccountID     string     `json:"account_id,omitempty"`
	EmailAddress  string     `json:"email_address,omitempty"`
	AddressStatus string     `json:"address_status,omitempty"`
	PayerStatus   string     `json:"payer_status,omitempty"`
	PayerName     *PayerName `json:"payer_name,omitempty"`
	CountryCode   string     `json:"country_code,omitempty"`
}

// TransactionDetail is one entry of transaction_details.
type TransactionDetail struct {
	TransactionInfo TransactionInfo `json:"transaction_info"`
	PayerInfo       *PayerInfo      `json:"payer_info,omitempty"`
}

// Payment builds a completed (S) T0006 payment received of value (a decimal string such as
// "100.00") with fee (negative, as PayPal writes it, or "" for none), initiated at at.
func Payment(id, value, fee, currency string, at time.Time) TransactionDetail {
	d := TransactionDetail{TransactionInfo: TransactionInfo{PaypalAccountID: "QJ2XFWAZ8HG7A", TransactionID: id,
		TransactionEventCode: "T0006", TransactionInitiationDate: at.UTC().Format(DateLayout),
		TransactionUpdatedDate: at.UTC().Format(DateLayout), TransactionAmount: Money{currency, value},
		TransactionStatus: "S", TransactionSubject: "Wedding photography", ProtectionEligibility: "01"},
		PayerInfo: &PayerInfo{AccountID: "QJ2XFWAZ8HG7A", EmailAddress: "couple-" + strings.ToLower(id) + "@example.com",
			AddressStatus: "Y", PayerStatus: "Y", PayerName: &PayerName{GivenName: "Ana", Surname: "Lee", AlternateFullName: "Ana Lee"}, CountryCode: "US"}}
	if fee != "" {
		d.TransactionInfo.FeeAmount = &Money{currency, fee}
	}
	return d
}

// Refund builds a merchant refund (T1107, S) of originalID: value is negative ("-78.00"), fee the
// fee returned ("" for none).
func Refund(id, originalID, value, fee, currency string, at time.Time) TransactionDetail {
	d := TransactionDetail{TransactionInfo: TransactionInfo{PaypalAccountID: "QJ2XFWAZ8HG7A", TransactionID: id,
		PaypalReferenceID: originalID, PaypalReferenceIDType: "TXN", TransactionEventCode: "T1107",
		TransactionInitiationDate: at.UTC().Format(DateLayout), TransactionUpdatedDate: at.UTC().Format(DateLayout),
		TransactionAmount: Money{currency, value}, TransactionStatus: "S"}}
	if fee != "" {
		d.TransactionInfo.FeeAmount = &Money{currency, fee}
	}
	return d
}

// Link is a HATEOAS link.
type Link struct {
	Href   string `json:"href"`
	Rel    string `json:"rel"`
	Method string `json:"method,omitempty"`
}

// Breakdown is a capture's seller_receivable_breakdown.
type Breakdown struct {
	GrossAmount Money  `json:"gross_amount"`
	PaypalFee   *Money `json:"paypal_fee,omitempty"`
	NetAmount   *Money `json:"net_amount,omitempty"`
}

// Capture is the Payments v2 capture resource.
type Capture struct {
	ID                        string     `json:"id"`
	Status                    string     `json:"status"` // COMPLETED, PENDING, DECLINED, PARTIALLY_REFUNDED, REFUNDED, FAILED
	Amount                    Money      `json:"amount"`
	FinalCapture              bool       `json:"final_capture"`
	SellerReceivableBreakdown *Breakdown `json:"seller_receivable_breakdown,omitempty"`
	InvoiceID                 string     `json:"invoice_id,omitempty"`
	CustomID                  string     `json:"custom_id,omitempty"`
	CreateTime                string     `json:"create_time"`
	UpdateTime                string     `json:"update_time"`
	Links                     []Link     `json:"links,omitempty"`
}

// CaptureEvent builds a PAYMENT.CAPTURE.* webhook event body carrying c.
func CaptureEvent(eventID, eventType string, c Capture) []byte {
	return eventBody(eventID, eventType, "capture", c)
}

// RefundEvent builds a PAYMENT.CAPTURE.REFUNDED event for a refund of amount on captureID.
func RefundEvent(eventID, refundID, captureID string, amount Money) []byte {
	at := time.Now().UTC().Format(time.RFC3339)
	return eventBody(eventID, "PAYMENT.CAPTURE.REFUNDED", "refund", map[string]any{
		"id": refundID, "status": "COMPLETED", "amount": amount, "create_time": at, "update_time": at,
		"links": []Link{{Href: "https://api-m.paypal.com/v2/payments/refunds/" + refundID, Rel: "self", Method: "GET"},
			{Href: "https://api-m.paypal.com/v2/payments/captures/" + captureID, Rel: "up", Method: "GET"}}})
}

func eventBody(eventID, eventType, resourceType string, resource any) []byte {
	b, err := json.Marshal(map[string]any{"id": eventID, "event_version": "1.0", "create_time": time.Now().UTC().Format(time.RFC3339),
		"resource_type": resourceType, "resource_version": "2.0", "event_type": eventType,
		"summary": "Payment " + strings.ToLower(eventType), "resource": resource})
	if err != nil {
		panic(err)
	}
	return b
}

// SignWebhook returns the PAYPAL-* transmission headers the fake's verify endpoint accepts for body
// delivered to webhookID at time at. (Real PayPal signs with a certificate; the fake with a key.)
func SignWebhook(webhookID string, body []byte, at time.Time) http.Header {
	id := fmt.Sprintf("b2384410-%08x", crc32.ChecksumIEEE(append([]byte(at.String()), body...)))
	t := at.UTC().Format(time.RFC3339)
	h := http.Header{}
	h.Set("PAYPAL-AUTH-ALGO", "SHA256withRSA")
	h.Set("PAYPAL-CERT-URL", "https://api-m.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77")
	h.Set("PAYPAL-TRANSMISSION-ID", id)
	h.Set("PAYPAL-TRANSMISSION-TIME", t)
	h.Set("PAYPAL-TRANSMISSION-SIG", signature(id, t, webhookID, body))
	return h
}

func signature(transmissionID, transmissionTime, webhookID string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(signingKey))
	fmt.Fprintf(mac, "%s|%s|%s|%d", transmissionID, transmissionTime, webhookID, crc32.ChecksumIEEE(body))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
