// Package google is WedSync's Google Calendar connector: it reads events through
// google.golang.org/api/calendar/v3 (a full sync, then syncToken increments; a 410 restarts with a
// full sync), classifies them with the integration's calmap rules, keeps a push channel
// (events.watch) open to the integration's webhook address, and verifies its notifications by
// the channel token. Authentication is the framework's OAuth client (Params.HTTPClient).
package google

import (
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/calmap"
	"google.golang.org/api/calendar/v3"
)

// Name is the provider key (integrations.provider, /webhooks/google/...).
const Name = "google"

// Real OAuth2 endpoints of Google (overridable with WEDSYNC_OAUTH_GOOGLE_AUTH_URL / _TOKEN_URL).
const (
	AuthURL  = "https://accounts.google.com/o/oauth2/auth"
	TokenURL = "https://oauth2.googleapis.com/token"
)

// Provider describes Google Calendar for the registry.
func Provider() connector.Provider {
	return connector.Provider{
		Name: Name, Label: "Google Calendar", Category: "Calendars",
		Fields:   calmap.Fields(),
		Validate: calmap.Validate,
		New:      func(p connector.Params) (connector.Connector, error) { return New(p) },
		Webhook:  connector.WebhookVerifierFunc(Verify),
		WebhookHelp: "Nothing to set up at Google: after each sync WedSync keeps a push channel open to this address, " +
			"so changes to your calendar arrive within seconds.",
		OAuth: &connector.OAuth{
			AuthURL: AuthURL, TokenURL: TokenURL,
			Scopes: []string{calendar.CalendarReadonlyScope},
			// offline: a refresh token; consent: Google sends the refresh token again on reconnect.
			AuthParams: map[string]string{"access_type": "offline", "prompt": "consent", "include_granted_scopes": "true"},
		},
	}
}
