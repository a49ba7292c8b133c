package squaretest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"time"
)

// TimeLayout is how Square writes timestamps (RFC 3339, UTC, milliseconds).
const TimeLayout = "2006-01-02T15:04:05.000Z"

// Money is Square's Money: an integer amount in the currency's smallest unit.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// ProcessingFee is one entry of a payment's processing_fee[].
type ProcessingFee struct {
	EffectiveAt string `json:"effective_at,omitempty"`
	Type        string `json:"type"` // INITIAL or ADJUSTMENT
	AmountMoney Money  `json:"amount_money"`
}

// Payment is Square's Payment object (the fields WedSync and the fake care about).
type Payment struct {
	ID                string          `json:"id"`
	CreatedAt         string          `json:"created_at"`
	UpdatedAt         string          `json:"updated_at"`
	AmountMoney       Money           `json:"amount_money"`
	TipMoney          *Money          `json:"tip_money,omitempty"`
	TotalMoney        Money           `json:"total_money"`
	ApprovedMoney     *Money          `json:"approved_money,omitempty"`
	RefundedMoney     *Money          `json:"refunded_money,omitempty"`
	ProcessingFee     []ProcessingFee `json:"processing_fee,omitempty"`
	Status            string          `json:"status"` // APPROVED, PENDING, COMPLETED, CANCELED, FAILED
	SourceType        string          `json:"source_type"`
	LocationID        string          `json:"location_id"`
	OrderID           string          `json:"order_id,omitempty"`
	ReferenceID       string          `json:"reference_id,omitempty"`
	BuyerEmailAddress string          `json:"buyer_email_address,omitempty"`
	Note              string          `json:"note,omitempty"`
	RefundIDs         []string        `json:"refund_ids,omitempty"`
	ReceiptNumber     string          `json:"receipt_number,omitempty"`
	VersionToken      string          `json:"version_token,omitempty"`
}

// Refund is Square's PaymentRefund object.
type Refund struct {
	ID            string          `json:"id"`
	Status        string          `json:"status"` // PENDING, COMPLETED, REJECTED, FAILED
	AmountMoney   Money           `json:"amount_money"`
	PaymentID     string          `json:"payment_id"`
	OrderID       string          `json:"order_id,omitempty"`
	LocationID    string          `json:"location_id"`
	Reason        string          `json:"reason,omitempty"`
	CreatedAt     string          `json:"created_at"`
	UpdatedAt     string          `json:"updated_at"`
	ProcessingFee []ProcessingFee `json:"processing_fee,omitempty"`
}

// ErrorBody is Square's error answer: {"errors": [{category, code, detail}]}.
type ErrorBody struct {
	Errors []Error `json:"errors"`
}

// Error is one entry of an error answer.
type Error struct {
	Category string `json:"category"`
	Code     string `json:"code"`
	Detail   string `json:"detail,omitempty"`
	Field    string `json:"field,omitempty"`
}

// NewPayment builds a COMPLETED card payment of amount (smallest unit) in currency, created at
// created, with a processing fee of 3% (rounded down).
func NewPayment(id string, amount int64, currency string, created time.Time) Payment {
	at := created.UTC().Format(TimeLayout)
	m := Money{Amount: amount, Currency: currency}
	return Payment{ID: id, CreatedAt: at, UpdatedAt: at, AmountMoney: m, TotalMoney: m, ApprovedMoney: &m,
		ProcessingFee: []ProcessingFee{{EffectiveAt: at, Type: "INITIAL", AmountMoney: Money{Amount: amount * 3 / 100, Currency: currency}}},
		Status:        "COMPLETED", SourceType: "CARD", LocationID: "L88917AVBK2S5", OrderID: "order-" + id,
		ReceiptNumber: id[:min(4, len(id))]}
}

// Sign returns the x-square-hmacsha256-signature value for body delivered to notificationURL.
func Sign(signatureKey, notificationURL string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(signatureKey))
	mac.Write([]byte(notificationURL))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// PaymentEvent builds a webhook notification body (payment.created or payment.updated) carrying p.
func PaymentEvent(eventID, eventType string, p Payment) []byte {
	return event(eventID, eventType, "payment", p.ID, map[string]any{"payment": p})
}

// RefundEvent builds a refund.created or refund.updated notification body carrying r.
func RefundEvent(eventID, eventType string, r Refund) []byte {
	return event(eventID, eventType, "refund", r.ID, map[string]any{"refund": r})
}

func event(eventID, eventType, objType, objID string, object map[string]any) []byte {
	b, err := json.Marshal(map[string]any{
		"merchant_id": "6SSW7HV8K2ST5", "type": eventType, "event_id": eventID,
		"created_at": time.Now().UTC().Format(TimeLayout),
		"data":       map[string]any{"type": objType, "id": objID, "object": object},
	})
	if err != nil {
		panic(err)
	}
	return b
}
