package connector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Field is one input of a provider's connection form.
type Field struct {
	// Name is the form field name and the key in Params.Credentials (secret) or Params.Config.
	Name string
	// Label is shown next to the input.
	Label string
	// Secret fields are sealed with the keyring, never rendered back (only a masked hint), and
	// may be left blank on edit to keep the stored value.
	Secret bool
	// Hint explains where to find the value.
	Hint string
	// Optional fields may stay empty.
	Optional bool
	// Choices, when set, makes the field a select box (value → label, in order).
	Choices []Choice
}

// Choice is one option of a select field.
type Choice struct{ Value, Label string }

// Params is what a provider's constructor and webhook verifier get for one integration.
type Params struct {
	// Credentials are the decrypted secret fields; Config the plain ones.
	Credentials map[string]string
	Config      map[string]string
	// BaseURL is the provider's API origin; empty means the real one. Tests, the demo and the
	// benchmarks point it at the <p>test fakes.
	BaseURL string
	// HTTPClient makes the provider calls (it carries the timeouts).
	HTTPClient *http.Client
	// WebhookURL is this integration's public webhook address, exactly as the provider was told
	// (Square signs it).
	WebhookURL string
	// Now is the clock.
	Now func() time.Time
}

// Clock returns p.Now, or time.Now when unset.
func (p Params) Clock() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Provider describes one external system: its form, its connector and its webhooks.
type Provider struct {
	// Name is the stable key stored in integrations.provider and used in webhook URLs.
	Name string
	// Label is the name people know ("Stripe").
	Label string
	// Category groups providers on the add form ("Payments", "Calendars", "CRM").
	Category string
	// Fields are the form inputs, in order.
	Fields []Field
	// Validate checks the typed values (secret values are blank when kept on edit) and returns
	// one message per field name; nil or empty means fine. Required fields are checked before.
	Validate func(values map[string]string) map[string]string
	// New builds a connector from decrypted credentials and config.
	New func(p Params) (Connector, error)
	// Webhook verifies incoming webhooks; nil when the provider sends none.
	Webhook WebhookVerifier
	// WebhookHelp tells the admin how to register the webhook URL at the provider.
	WebhookHelp string
	// TypedURLs marks a provider that calls an address the admin typed (an iCalendar feed): the
	// framework hands it an HTTP client that reaches public addresses only (jobs/netguard),
	// unless the instance allows private ones.
	TypedURLs bool
	// OAuth, when set, connects the provider through an OAuth2 authorization-code flow ("Connect
	// with Google") instead of (or besides) typed credentials. The framework keeps the tokens
	// sealed in the integration's credentials and hands the connector an HTTPClient that adds
	// the bearer token and refreshes it.
	OAuth *OAuth
}

// OAuth describes a provider's OAuth2 authorization-code flow. Endpoints are the real ones;
// configuration (WEDSYNC_OAUTH_<PROVIDER>_*) can point them at a local fake.
type OAuth struct {
	// AuthURL and TokenURL are the provider's authorization and token endpoints.
	AuthURL, TokenURL string
	// Scopes are requested on connect.
	Scopes []string
	// AuthParams are extra query parameters of the authorization URL (access_type=offline).
	AuthParams map[string]string
}

// CheckFields validates form values: required fields present (a secret may be blank when one is
// already stored, keepSecrets), unknown names ignored, then the provider's own Validate.
func (p Provider) CheckFields(values map[string]string, keepSecrets bool) map[string]string {
	msgs := map[string]string{}
	for _, f := range p.Fields {
		v := strings.TrimSpace(values[f.Name])
		if v == "" && !f.Optional && !(f.Secret && keepSecrets) {
			msgs[f.Name] = "Enter the " + strings.ToLower(f.Label) + "."
			continue
		}
		if v != "" && len(f.Choices) > 0 && !hasChoice(f.Choices, v) {
			msgs[f.Name] = "Choose one of the listed options."
		}
	}
	if p.Validate != nil {
		for k, m := range p.Validate(values) {
			if _, seen := msgs[k]; !seen && m != "" {
				msgs[k] = m
			}
		}
	}
	return msgs
}

func hasChoice(cs []Choice, v string) bool {
	for _, c := range cs {
		if c.Value == v {
			return true
		}
	}
	return false
}

// WebhookRequest is what a verifier sees of an incoming webhook.
type WebhookRequest struct {
	// URL is the integration's public webhook URL (Params.WebhookURL), not the Host header.
	URL    string
	Header http.Header
	// Body is the raw body, byte for byte (signatures cover it).
	Body []byte
	// Query is the URL's query (Microsoft Graph sends its validationToken there).
	Query url.Values
	// Now is the time of receipt.
	Now time.Time
}

// WebhookEvent is a verified event's identity. The raw body is stored as the payload.
type WebhookEvent struct {
	// ID is the provider's event id (idempotency: one stored event per id and integration).
	ID string
	// Type is the provider's event type ("charge.refunded").
	Type string
	// Handshake marks a verified request that carries no event (Google's "sync" message,
	// Microsoft Graph's subscription validation): the endpoint answers 200 with Reply as
	// text/plain and stores nothing.
	Handshake bool
	// Reply is a handshake's answer (Graph's validationToken echo); empty for most.
	Reply string
}

// WebhookVerifier proves a webhook came from the provider: Stripe and Calendly check an HMAC
// header with a timestamp, Square an HMAC of URL + body, PayPal calls verify-webhook-signature
// (so Verify may make an HTTP call through p.HTTPClient; it must honour ctx).
type WebhookVerifier interface {
	Verify(ctx context.Context, p Params, req WebhookRequest) (WebhookEvent, error)
}

// WebhookVerifierFunc adapts a function to WebhookVerifier.
type WebhookVerifierFunc func(ctx context.Context, p Params, req WebhookRequest) (WebhookEvent, error)

// Verify calls f.
func (f WebhookVerifierFunc) Verify(ctx context.Context, p Params, req WebhookRequest) (WebhookEvent, error) {
	return f(ctx, p, req)
}

// Verification failures. Both are answered 400 and nothing is stored; wrap them with detail.
var (
	// ErrBadSignature: the proof is missing, malformed or wrong (or the secret is not set).
	ErrBadSignature = errors.New("webhook signature missing or invalid")
	// ErrStaleWebhook: the signed timestamp is outside the tolerance (a replay).
	ErrStaleWebhook = errors.New("webhook timestamp outside the tolerance")
)

// StoredEvent is a verified webhook event as the process_webhook job reads it back.
type StoredEvent struct {
	ID      string
	Type    string
	Payload json.RawMessage
}

// EventResult is what a connector makes of one event.
type EventResult struct {
	// Records are upserted (or deleted) like a page of a sync, in one transaction.
	Records []Record
	// Sync asks for an incremental sync of the integration as well (events that only say
	// "something changed", like a Google Calendar push).
	Sync bool
}

// EventMapper is implemented by connectors that can apply a webhook event directly. A connector
// without it gets an incremental sync for every event.
type EventMapper interface {
	MapEvent(ctx context.Context, ev StoredEvent) (EventResult, error)
}

// Registry is the set of providers an instance offers, by name.
type Registry struct {
	byName map[string]Provider
	order  []string
}

// NewRegistry makes a registry; a repeated or empty name is an error.
func NewRegistry(providers ...Provider) (*Registry, error) {
	r := &Registry{byName: map[string]Provider{}}
	for _, p := range providers {
		if p.Name == "" || p.New == nil {
			return nil, fmt.Errorf("connector: provider %q needs a name and a constructor", p.Name)
		}
		if _, dup := r.byName[p.Name]; dup {
			return nil, fmt.Errorf("connector: provider %q registered twice", p.Name)
		}
		r.byName[p.Name] = p
		r.order = append(r.order, p.Name)
	}
	return r, nil
}

// Lookup finds a provider by name.
func (r *Registry) Lookup(name string) (Provider, bool) {
	p, ok := r.byName[name]
	return p, ok
}

// All lists the providers in registration order.
func (r *Registry) All() []Provider {
	out := make([]Provider, len(r.order))
	for i, n := range r.order {
		out[i] = r.byName[n]
	}
	return out
}

// Label is the provider's label, or the name itself for an unknown provider.
func (r *Registry) Label(name string) string {
	if p, ok := r.byName[name]; ok {
		return p.Label
	}
	return name
}
