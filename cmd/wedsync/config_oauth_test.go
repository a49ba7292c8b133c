package main

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs"
)

// TestOAuthConfigFromEnvironment: every OAuth provider reads its client and endpoint overrides
// from WEDSYNC_OAUTH_<PROVIDER>_*, reaches both the web side and the sync jobs, and a provider
// without a client id is left out (its button explains that it is not set up).
func TestOAuthConfigFromEnvironment(t *testing.T) {
	t.Setenv("WEDSYNC_OAUTH_GOOGLE_CLIENT_ID", " 123.apps.googleusercontent.com ")
	t.Setenv("WEDSYNC_OAUTH_GOOGLE_CLIENT_SECRET", "GOCSPX-secret")
	t.Setenv("WEDSYNC_OAUTH_GOOGLE_AUTH_URL", "http://127.0.0.1:9/o/oauth2/auth")
	t.Setenv("WEDSYNC_OAUTH_GOOGLE_TOKEN_URL", "http://127.0.0.1:9/token")
	cfg, err := parseConfig("serve", nil)
	require.NoError(t, err)
	require.Equal(t, jobs.OAuthClient{ClientID: "123.apps.googleusercontent.com", ClientSecret: "GOCSPX-secret",
		AuthURL: "http://127.0.0.1:9/o/oauth2/auth", TokenURL: "http://127.0.0.1:9/token"}, cfg.OAuth["google"])
	sc := syncConfig(cfg)
	require.Equal(t, cfg.OAuth, sc.OAuth)
	require.Equal(t, cfg.BaseURL, sc.PublicURL, "push channels are told the public webhook address")

	p, ok := jobs.Providers().Lookup("google")
	require.True(t, ok)
	oc, ok := cfg.OAuth.Config(p, cfg.BaseURL+"/integrations/oauth/google/callback")
	require.True(t, ok)
	require.Equal(t, "http://127.0.0.1:9/token", oc.Endpoint.TokenURL)

	t.Setenv("WEDSYNC_OAUTH_GOOGLE_CLIENT_ID", "")
	cfg, err = parseConfig("serve", nil)
	require.NoError(t, err)
	_, ok = cfg.OAuth.Config(p, "")
	require.False(t, ok)
	for _, p := range jobs.Providers().All() {
		if p.OAuth != nil {
			require.NotContains(t, cfg.OAuth, p.Name, "no client id, no registration")
		}
	}
}
