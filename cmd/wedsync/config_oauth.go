package main

import (
	"os"
	"strings"

	"github.com/wedsync/wedsync/jobs"
)

// oauthConfig reads the OAuth client registrations of every provider connected through OAuth
// ("Connect with Google Calendar"), from the environment:
//
//	WEDSYNC_OAUTH_<PROVIDER>_CLIENT_ID      the client id this instance registered at the provider
//	WEDSYNC_OAUTH_<PROVIDER>_CLIENT_SECRET  its secret
//	WEDSYNC_OAUTH_<PROVIDER>_AUTH_URL       another authorization endpoint (a local fake), optional
//	WEDSYNC_OAUTH_<PROVIDER>_TOKEN_URL      another token endpoint (a local fake), optional
//
// <PROVIDER> is the provider name in capitals (GOOGLE). Without a client id the provider's
// "Connect with" button explains that it is not set up. The redirect URI to register at the
// provider is WEDSYNC_BASE_URL + /integrations/oauth/<provider>/callback.
func oauthConfig() jobs.OAuthClients {
	out := jobs.OAuthClients{}
	for _, p := range jobs.Providers().All() {
		if p.OAuth == nil {
			continue
		}
		prefix := "WEDSYNC_OAUTH_" + strings.ToUpper(p.Name) + "_"
		c := jobs.OAuthClient{
			ClientID:     strings.TrimSpace(os.Getenv(prefix + "CLIENT_ID")),
			ClientSecret: strings.TrimSpace(os.Getenv(prefix + "CLIENT_SECRET")),
			AuthURL:      strings.TrimSpace(os.Getenv(prefix + "AUTH_URL")),
			TokenURL:     strings.TrimSpace(os.Getenv(prefix + "TOKEN_URL")),
		}
		if c.ClientID != "" {
			out[p.Name] = c
		}
	}
	return out
}
