package stripetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	stripeapi "github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"
)

var eventSeq atomic.Int64

// Event builds a Stripe event of type typ ("charge.succeeded", "charge.refunded", ...) whose
// data.object is the stored charge id, with the SDK's API version. Every call makes a new event id.
func (s *Server) Event(typ, chargeID string) ([]byte, error) {
	s.mu.Lock()
	c, ok := s.byID[chargeID]
	var obj *chargeWire
	if ok {
		obj = chargeJSON(c, false)
	}
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("stripetest: no charge %s", chargeID)
	}
	return EventJSON(fmt.Sprintf("evt_fake%012d", eventSeq.Add(1)), typ, obj)
}

// EventJSON wraps any object in a Stripe event envelope with the given id and type.
func EventJSON(id, typ string, object any) ([]byte, error) {
	return json.Marshal(map[string]any{
		"id": id, "object": "event", "api_version": stripeapi.APIVersion, "created": time.Now().Unix(),
		"data": map[string]any{"object": object}, "livemode": false, "pending_webhooks": 1,
		"request": map[string]any{"id": nil, "idempotency_key": nil}, "type": typ,
	})
}

// Sign returns the Stripe-Signature header for payload signed with the endpoint secret (whsec_...)
// at time at (zero: now), made by stripe-go's webhook.GenerateTestSignedPayload.
func Sign(payload []byte, secret string, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at}).Header
}

// Deliver posts a signed event to a webhook URL, as Stripe does, and returns the status.
func Deliver(ctx context.Context, client *http.Client, url, secret string, payload []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
	req.Header.Set("Stripe-Signature", Sign(payload, secret, time.Time{}))
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, nil
}
