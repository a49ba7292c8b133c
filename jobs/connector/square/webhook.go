package square

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/wedsync/wedsync/jobs/connector"
)

// SignatureHeader is the header carrying Square's webhook signature.
const SignatureHeader = "X-Square-Hmacsha256-Signature"

// ErrInvalidSignature means a webhook notification's signature is missing or does not match: answer
// 400 and store nothing. It wraps connector.ErrBadSignature.
var ErrInvalidSignature = fmt.Errorf("square: %w", connector.ErrBadSignature)

// Sign returns the signature Square sends for body delivered to notificationURL: base64 of the
// HMAC-SHA256, keyed with the subscription's signature key, of the URL followed by the raw body.
func Sign(signatureKey, notificationURL string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(signatureKey))
	mac.Write([]byte(notificationURL))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// VerifySignature checks the x-square-hmacsha256-signature header value against the raw body and
// the notification URL exactly as configured in Square (byte for byte: scheme, host, path, query).
// The comparison is constant-time. Square signs no timestamp; replays are harmless because the
// framework dedupes on event_id and every write is an upsert. It returns ErrInvalidSignature
// (wrapped) on any mismatch.
func VerifySignature(signatureHeader, notificationURL string, body []byte, signatureKey string) error {
	if signatureKey == "" {
		return fmt.Errorf("%w: no signature key configured", ErrInvalidSignature)
	}
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(signatureHeader))
	if err != nil || len(got) == 0 {
		return fmt.Errorf("%w: missing or malformed header", ErrInvalidSignature)
	}
	mac := hmac.New(sha256.New, []byte(signatureKey))
	mac.Write([]byte(notificationURL))
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return ErrInvalidSignature
	}
	return nil
}

// event is Square's webhook notification envelope.
type event struct {
	MerchantID string `json:"merchant_id"`
	Type       string `json:"type"`
	EventID    string `json:"event_id"`
	CreatedAt  string `json:"created_at"`
	Data       struct {
		Type   string `json:"type"`
		ID     string `json:"id"`
		Object struct {
			Payment *payment `json:"payment"`
			Refund  *refund  `json:"refund"`
		} `json:"object"`
	} `json:"data"`
}

// ParseWebhookEvent reads a (verified) notification body. payment.created and payment.updated
// carry the whole payment and give one payment record. refund.created and refund.updated give no
// records: Square also sends payment.updated with the new refunded_money, and the refunds phase of
// the next sync re-reads the payment anyway. Other event types give no records and no error. A
// body that is not a notification, or a payment that cannot be mapped, is an error of class
// bad_data.
func ParseWebhookEvent(body []byte) (eventID, eventType string, records []connector.Record, err error) {
	var ev event
	if err := json.Unmarshal(body, &ev); err != nil {
		return "", "", nil, &connector.Error{Class: connector.ClassBadData, Err: fmt.Errorf("square webhook: %w", err)}
	}
	if ev.EventID == "" || ev.Type == "" {
		return "", "", nil, &connector.Error{Class: connector.ClassBadData, Err: errors.New("square webhook: no event_id or type")}
	}
	switch ev.Type {
	case "payment.created", "payment.updated":
		if ev.Data.Object.Payment == nil {
			return ev.EventID, ev.Type, nil, &connector.Error{Class: connector.ClassBadData,
				Err: fmt.Errorf("square webhook %s: %s without data.object.payment", ev.EventID, ev.Type)}
		}
		rec, err := mapPayment(*ev.Data.Object.Payment)
		if err != nil {
			return ev.EventID, ev.Type, nil, err
		}
		return ev.EventID, ev.Type, []connector.Record{rec}, nil
	}
	return ev.EventID, ev.Type, nil, nil
}
