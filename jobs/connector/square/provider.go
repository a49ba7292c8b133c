package square

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/wedsync/wedsync/jobs/connector"
)

// Name is the provider key (integrations.provider, /webhooks/square/...) and payments.provider.
const Name = "square"

// SandboxBaseURL is Square's sandbox API origin.
const SandboxBaseURL = "https://connect.squareupsandbox.com"

// Provider describes Square for the registry: the form (access_token and webhook_signature_key
// are secret; environment is production or sandbox), the constructor and the webhook verifier.
func Provider() connector.Provider {
	return connector.Provider{
		Name: Name, Label: "Square", Category: "Payments",
		Fields: []connector.Field{
			{Name: "access_token", Label: "Access token", Secret: true,
				Hint: "Square Developer → your application → Credentials: the production access token (it needs PAYMENTS_READ)."},
			{Name: "webhook_signature_key", Label: "Webhook signature key", Secret: true, Optional: true,
				Hint: "Webhooks → Subscriptions → your subscription → Signature key. Without it, payments arrive only with the scheduled sync."},
			{Name: "environment", Label: "Environment", Optional: true,
				Choices: []connector.Choice{{Value: "production", Label: "Production"}, {Value: "sandbox", Label: "Sandbox"}}},
		},
		New:     func(p connector.Params) (connector.Connector, error) { return NewFromParams(p) },
		Webhook: connector.WebhookVerifierFunc(Verify),
		WebhookHelp: "In the Square Developer Dashboard, add a webhook subscription with exactly this URL for the events " +
			"payment.created, payment.updated, refund.created and refund.updated, then paste its signature key here.",
	}
}

// NewFromParams builds a Client from an integration's stored values (Credentials["access_token"],
// Config["environment"]); Params.BaseURL, when set, wins over the environment.
func NewFromParams(p connector.Params) (*Client, error) {
	base := p.BaseURL
	if base == "" && p.Config["environment"] == "sandbox" {
		base = SandboxBaseURL
	}
	return New(Config{BaseURL: base, HTTPClient: p.HTTPClient, AccessToken: strings.TrimSpace(p.Credentials["access_token"]), Now: p.Now})
}

// Verify checks a delivery's x-square-hmacsha256-signature over Params.WebhookURL (req.URL when
// that is empty) and the raw body with Credentials["webhook_signature_key"], and returns the event's
// event_id and type. Square signs no timestamp, so there is nothing to be stale.
func Verify(_ context.Context, p connector.Params, req connector.WebhookRequest) (connector.WebhookEvent, error) {
	u := p.WebhookURL
	if u == "" {
		u = req.URL
	}
	if err := VerifySignature(req.Header.Get(SignatureHeader), u, req.Body, strings.TrimSpace(p.Credentials["webhook_signature_key"])); err != nil {
		return connector.WebhookEvent{}, err
	}
	var ev event
	if err := json.Unmarshal(req.Body, &ev); err != nil || ev.EventID == "" {
		return connector.WebhookEvent{}, fmt.Errorf("%w: signed body is not a notification with an event_id", ErrInvalidSignature)
	}
	return connector.WebhookEvent{ID: ev.EventID, Type: ev.Type}, nil
}

// MapEvent applies a payment or refund notification. Deliveries are at least once and unordered,
// so the payment is read again through the API and its current state wins; if it no longer
// exists, a payment event's own copy is used. Other events are acknowledged and ignored.
func (c *Client) MapEvent(ctx context.Context, se connector.StoredEvent) (connector.EventResult, error) {
	var ev event
	if err := json.Unmarshal(se.Payload, &ev); err != nil {
		return connector.EventResult{}, &connector.Error{Class: connector.ClassBadData, Err: fmt.Errorf("square: event %s: %w", se.ID, err)}
	}
	var id string
	obj := ev.Data.Object
	switch {
	case strings.HasPrefix(ev.Type, "payment.") && obj.Payment != nil:
		id = obj.Payment.ID
	case strings.HasPrefix(ev.Type, "refund.") && obj.Refund != nil:
		id = obj.Refund.PaymentID
	default:
		return connector.EventResult{}, nil
	}
	if id == "" {
		return connector.EventResult{}, &connector.Error{Class: connector.ClassBadData, Err: fmt.Errorf("square: event %s: no payment id", se.ID)}
	}
	var got getPaymentResponse
	err := c.get(ctx, "/v2/payments/"+url.PathEscape(id), nil, &got)
	var ce *connector.Error
	switch {
	case errors.As(err, &ce) && ce.Status == http.StatusNotFound:
		if obj.Payment == nil {
			return connector.EventResult{}, nil
		}
		got.Payment = obj.Payment
	case err != nil:
		return connector.EventResult{}, err
	case got.Payment == nil:
		return connector.EventResult{}, &connector.Error{Class: connector.ClassProviderDown, Err: fmt.Errorf("square: payment %s: empty answer", id)}
	}
	rec, err := mapPayment(*got.Payment)
	if err != nil {
		return connector.EventResult{}, err
	}
	return connector.EventResult{Records: []connector.Record{rec}}, nil
}

var _ connector.EventMapper = (*Client)(nil)
