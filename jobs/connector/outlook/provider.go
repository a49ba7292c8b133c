// Package outlook is WedSync's Microsoft Outlook (Microsoft Graph) calendar connector: it reads
// the supplier's calendars through calendarView delta queries (nextLink pages, a deltaLink as the
// cursor of the next incremental sync, 410 restarts), classifies each event with the
// integration's calmap rules, keeps a Graph change-notification subscription alive and verifies
// the notifications (validation handshake, clientState). outlooktest holds an HTTP fake of the
// same API.
package outlook

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/calmap"
)

// Name is the provider key (integrations.provider, /webhooks/outlook/...).
const Name = "outlook"

// DefaultBaseURL is Microsoft Graph; Params.BaseURL points the connector at a fake.
const DefaultBaseURL = "https://graph.microsoft.com"

// ClientStateKey is the credential holding the secret sent as clientState when the change
// notification subscription is created; every notification must carry it back.
const ClientStateKey = "client_state"

// Sync window and paging.
const (
	// WindowBack and WindowAhead bound the calendar view of a full sync.
	WindowBack  = 365 * 24 * time.Hour
	WindowAhead = 2 * 365 * 24 * time.Hour
	// PageSize is asked for with Prefer: odata.maxpagesize.
	PageSize = 100
)

// Provider describes Microsoft Outlook for the registry. It connects through OAuth only; its
// form holds the event mapping.
func Provider() connector.Provider {
	return connector.Provider{
		Name: Name, Label: "Microsoft Outlook", Category: "Calendars",
		Fields:   calmap.Fields(),
		Validate: calmap.Validate,
		New:      func(p connector.Params) (connector.Connector, error) { return New(p) },
		Webhook:  connector.WebhookVerifierFunc(Verify),
		WebhookHelp: "Nothing to set up: WedSync subscribes to changes of your Outlook calendar after the first sync " +
			"and Microsoft notifies this address.",
		OAuth: &connector.OAuth{
			AuthURL:  "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
			TokenURL: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
			Scopes:   []string{"offline_access", "Calendars.Read"},
		},
	}
}

// NewClientState makes a fresh clientState secret (256 random bits, URL-safe, well under Graph's
// 128-character limit), to be sealed in the integration's credentials under ClientStateKey.
func NewClientState() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// Client syncs the calendars of one Outlook mailbox.
type Client struct {
	http        *http.Client
	base        *url.URL
	rules       calmap.Rules
	webhookURL  string
	clientState string
	now         func() time.Time
}

// New builds a client. p.HTTPClient must add the OAuth bearer token (the framework's OAuth
// client does; tests pass an oauth2 client with a static token).
func New(p connector.Params) (*Client, error) {
	raw := strings.TrimSuffix(strings.TrimSpace(p.BaseURL), "/")
	if raw == "" {
		raw = DefaultBaseURL
	}
	base, err := url.Parse(raw)
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, &connector.Error{Class: connector.ClassBug, Err: fmt.Errorf("outlook: bad base URL %q", raw)}
	}
	hc := p.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{http: hc, base: base, rules: calmap.FromConfig(p.Config), webhookURL: p.WebhookURL,
		clientState: strings.TrimSpace(p.Credentials[ClientStateKey]), now: p.Clock}, nil
}
