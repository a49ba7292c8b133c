// Package calendly is WedSync's Calendly connector: it lists the user's scheduled events (page
// tokens, a min_start_time window, active and canceled), classifies them with the integration's
// calmap rules, and verifies and applies Calendly's signed invitee webhooks, so a reschedule ends
// as the old event cancelled and the new one confirmed. calendlytest holds an HTTP fake of the
// same API.
package calendly

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/calmap"
	"golang.org/x/oauth2"
)

// Name is the provider key (integrations.provider, /webhooks/calendly/...).
const Name = "calendly"

// DefaultBaseURL is Calendly's API v2.
const DefaultBaseURL = "https://api.calendly.com"

// Credential keys.
const (
	// PersonalTokenKey holds a personal access token, used instead of the OAuth connection.
	PersonalTokenKey = "personal_token"
	// SigningKeyKey holds the webhook subscription's signing key.
	SigningKeyKey = "webhook_signing_key"
)

// Windows of the scheduled events read: a first sync reaches FullLookback into the past, later
// ones IncrementalLookback (webhooks carry the changes in between).
const (
	FullLookback        = 365 * 24 * time.Hour
	IncrementalLookback = 30 * 24 * time.Hour
	// PageSize is Calendly's largest count.
	PageSize = 100
)

// Provider describes Calendly for the registry: OAuth, or a personal access token.
func Provider() connector.Provider {
	fields := []connector.Field{
		{Name: PersonalTokenKey, Label: "Personal access token", Secret: true, Optional: true,
			Hint: "Only if you do not connect with Calendly: Integrations & apps → API and webhooks → Personal access tokens."},
		{Name: SigningKeyKey, Label: "Webhook signing key", Secret: true, Optional: true,
			Hint: "The signing_key of your webhook subscription. Without it, changes arrive only with the scheduled sync."},
	}
	for _, f := range calmap.Fields() {
		if f.Name != calmap.CalendarsKey { // Calendly has event types, not calendars
			fields = append(fields, f)
		}
	}
	return connector.Provider{
		Name: Name, Label: "Calendly", Category: "Calendars",
		Fields:   fields,
		Validate: calmap.Validate,
		New:      func(p connector.Params) (connector.Connector, error) { return New(p) },
		Webhook:  connector.WebhookVerifierFunc(Verify),
		WebhookHelp: "Create a webhook subscription (POST /webhook_subscriptions, scope user) with this URL for the events " +
			"invitee.created and invitee.canceled and a signing_key, then paste the signing key here.",
		OAuth: &connector.OAuth{
			AuthURL:  "https://auth.calendly.com/oauth/authorize",
			TokenURL: "https://auth.calendly.com/oauth/token",
		},
	}
}

// Client syncs one Calendly user's scheduled events.
type Client struct {
	http  *http.Client
	token string // a personal access token; empty when the OAuth client adds the bearer
	base  *url.URL
	rules calmap.Rules
	now   func() time.Time
}

// New builds a client. With a personal token it sends that token itself (bypassing an OAuth
// transport, which would replace it); otherwise p.HTTPClient must add the OAuth bearer token.
func New(p connector.Params) (*Client, error) {
	raw := strings.TrimSuffix(strings.TrimSpace(p.BaseURL), "/")
	if raw == "" {
		raw = DefaultBaseURL
	}
	base, err := url.Parse(raw)
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, &connector.Error{Class: connector.ClassBug, Err: fmt.Errorf("calendly: bad base URL %q", raw)}
	}
	hc := p.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	token := strings.TrimSpace(p.Credentials[PersonalTokenKey])
	if t, ok := hc.Transport.(*oauth2.Transport); ok && token != "" {
		plain := *hc
		plain.Transport = t.Base
		hc = &plain
	}
	return &Client{http: hc, token: token, base: base, rules: calmap.FromConfig(p.Config), now: p.Clock}, nil
}
