package paypal

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

// Name is the provider key (integrations.provider, /webhooks/paypal/...) and payments.provider.
const Name = "paypal"

// SandboxBaseURL is PayPal's sandbox API origin.
const SandboxBaseURL = "https://api-m.sandbox.paypal.com"

// processTokens is the token cache of Clients made through NewFromParams: one per process, so a
// token is reused across syncs and webhooks for as long as it lives.
var processTokens = NewTokenCache()

// Provider describes PayPal for the registry: the form (client_id and webhook_id plain, secret
// secret; environment live or sandbox), the constructor and the webhook verifier.
func Provider() connector.Provider {
	return connector.Provider{
		Name: Name, Label: "PayPal", Category: "Payments",
		Fields: []connector.Field{
			{Name: "client_id", Label: "Client ID",
				Hint: "developer.paypal.com → Apps & Credentials → your REST app (Live): Client ID. Turn on Transaction Search in the app's features."},
			{Name: "secret", Label: "Secret", Secret: true, Hint: "The same app's Secret."},
			{Name: "webhook_id", Label: "Webhook ID", Optional: true,
				Hint: "The app's Webhooks section: the ID of the webhook with this URL. Without it, payments arrive only with the scheduled sync."},
			{Name: "environment", Label: "Environment", Optional: true,
				Choices: []connector.Choice{{Value: "live", Label: "Live"}, {Value: "sandbox", Label: "Sandbox"}}},
		},
		New:     func(p connector.Params) (connector.Connector, error) { return NewFromParams(p) },
		Webhook: connector.WebhookVerifierFunc(Verify),
		WebhookHelp: "In your PayPal REST app, add a webhook with this URL for the events PAYMENT.CAPTURE.COMPLETED, " +
			"PAYMENT.CAPTURE.PENDING, PAYMENT.CAPTURE.DENIED, PAYMENT.CAPTURE.REFUNDED and PAYMENT.CAPTURE.REVERSED, then paste its Webhook ID here.",
	}
}

// NewFromParams builds a Client from an integration's stored values (Config["client_id"],
// Credentials["secret"], Config["environment"]) sharing the process token cache; Params.BaseURL,
// when set, wins over the environment.
func NewFromParams(p connector.Params) (*Client, error) {
	base := p.BaseURL
	if base == "" && p.Config["environment"] == "sandbox" {
		base = SandboxBaseURL
	}
	return New(Config{BaseURL: base, HTTPClient: p.HTTPClient, ClientID: strings.TrimSpace(p.Config["client_id"]),
		Secret: strings.TrimSpace(p.Credentials["secret"]), Tokens: processTokens, Now: p.Now})
}

// Verify has PayPal verify a delivery (VerifyWebhook with Config["webhook_id"]) and returns the
// event's id and event_type. PayPal's transmission time is covered by its signature; no tolerance
// is applied here because retried deliveries are not documented to carry a fresh time.
func Verify(ctx context.Context, p connector.Params, req connector.WebhookRequest) (connector.WebhookEvent, error) {
	c, err := NewFromParams(p)
	if err != nil {
		return connector.WebhookEvent{}, fmt.Errorf("%w: %v", ErrInvalidSignature, err)
	}
	if err := c.VerifyWebhook(ctx, req.Header, req.Body, p.Config["webhook_id"]); err != nil {
		return connector.WebhookEvent{}, err
	}
	ev, err := parseEvent(req.Body)
	if err != nil {
		return connector.WebhookEvent{}, fmt.Errorf("%w: %v", ErrInvalidSignature, err)
	}
	return connector.WebhookEvent{ID: ev.ID, Type: ev.EventType}, nil
}

// MapEvent applies a capture or refund event. The capture is read again (GET
// /v2/payments/captures/{id}) so its current state wins over late or reordered deliveries. A
// partially refunded capture does not say how much was refunded, so it asks for a sync instead; so
// does a refund whose capture cannot be read. A capture event whose capture is gone falls back to
// the event's own copy. Other events are acknowledged and ignored.
func (c *Client) MapEvent(ctx context.Context, se connector.StoredEvent) (connector.EventResult, error) {
	ev, err := parseEvent(se.Payload)
	if err != nil {
		return connector.EventResult{}, err
	}
	var fromEvent *capture
	var id string
	switch ev.ResourceType {
	case "capture":
		fromEvent = &capture{}
		if err := json.Unmarshal(ev.Resource, fromEvent); err != nil {
			return connector.EventResult{}, &connector.Error{Class: connector.ClassBadData, Err: fmt.Errorf("paypal: event %s: %w", ev.ID, err)}
		}
		id = fromEvent.ID
	case "refund":
		var r refundResource
		if err := json.Unmarshal(ev.Resource, &r); err != nil {
			return connector.EventResult{}, &connector.Error{Class: connector.ClassBadData, Err: fmt.Errorf("paypal: event %s: %w", ev.ID, err)}
		}
		if id = r.captureID(); id == "" {
			return connector.EventResult{Sync: true}, nil
		}
	default:
		return connector.EventResult{}, nil
	}
	var cp capture
	err = c.call(ctx, http.MethodGet, "/v2/payments/captures/"+url.PathEscape(id), nil, nil, &cp)
	var ce *connector.Error
	switch {
	case errors.As(err, &ce) && (ce.Status == http.StatusNotFound || ce.Status == http.StatusForbidden):
		if fromEvent == nil {
			return connector.EventResult{Sync: true}, nil
		}
		cp = *fromEvent
	case err != nil:
		return connector.EventResult{}, err
	}
	rec, ok, err := mapCapture(cp)
	switch {
	case err != nil:
		return connector.EventResult{}, err
	case !ok:
		return connector.EventResult{Sync: true}, nil
	}
	return connector.EventResult{Records: []connector.Record{rec}}, nil
}

var _ connector.EventMapper = (*Client)(nil)
