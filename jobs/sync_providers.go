package jobs

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/calendly"
	"github.com/wedsync/wedsync/jobs/connector/dubsado"
	"github.com/wedsync/wedsync/jobs/connector/google"
	"github.com/wedsync/wedsync/jobs/connector/honeybook"
	"github.com/wedsync/wedsync/jobs/connector/ical"
	"github.com/wedsync/wedsync/jobs/connector/outlook"
	"github.com/wedsync/wedsync/jobs/connector/paypal"
	"github.com/wedsync/wedsync/jobs/connector/square"
	"github.com/wedsync/wedsync/jobs/connector/stripe"
	"github.com/wedsync/wedsync/jobs/connector/tave"
	"github.com/wedsync/wedsync/store"
)

// Providers is the registry of every provider this build offers, in the order the add form
// lists them. (The registry type lives in jobs/connector/providers.go; it is assembled here
// because the provider packages import connector, so connector cannot import them.)
func Providers() *connector.Registry {
	reg, err := connector.NewRegistry(providerList()...)
	if err != nil {
		panic(err) // a programming error: two providers with one name
	}
	return reg
}

// providerList is where provider packages are registered.
func providerList() []connector.Provider {
	return []connector.Provider{
		stripe.Provider(),
		square.Provider(),
		paypal.Provider(),
		google.Provider(),
		outlook.Provider(),
		calendly.Provider(),
		ical.Provider(),
		tave.Provider(),
		honeybook.Provider(),
		dubsado.Provider(),
	}
}

// APIBaseConfigKey is the integration config key that points one integration at another API
// origin (the demo's in-process fakes, tests). Forms never set it: only declared fields are read.
const APIBaseConfigKey = "api_base"

// ProviderParams builds the constructor and verifier parameters of an integration from its
// decrypted secrets. The API origin is, in order: the integration's api_base, then defaultBase
// (SyncConfig.BaseURLs), then the provider's real one.
func ProviderParams(in store.Integration, secrets map[string]string, defaultBase string, client *http.Client, webhookURL string, now func() time.Time) connector.Params {
	base := strings.TrimSpace(in.Config[APIBaseConfigKey])
	if base == "" {
		base = defaultBase
	}
	cfg := make(map[string]string, len(in.Config))
	for k, v := range in.Config {
		if k != APIBaseConfigKey {
			cfg[k] = v
		}
	}
	return connector.Params{Credentials: secrets, Config: cfg, BaseURL: base, HTTPClient: client, WebhookURL: webhookURL, Now: now}
}

// WebhookPath is the path of an integration's webhook endpoint.
func WebhookPath(provider, publicID string) string {
	return fmt.Sprintf("/webhooks/%s/%s", provider, publicID)
}
