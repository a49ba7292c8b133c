package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/outlook"
	"github.com/wedsync/wedsync/store"
	"golang.org/x/oauth2"
)

// OAuthClient is this instance's registration at one provider's authorization server. Empty
// endpoints mean the provider's real ones (connector.OAuth); tests and the demo point them at
// a local fake (oauthtest).
type OAuthClient struct {
	ClientID, ClientSecret string
	AuthURL, TokenURL      string
}

// OAuthClients are the registrations by provider name (WEDSYNC_OAUTH_<PROVIDER>_*).
type OAuthClients map[string]OAuthClient

// Config is the oauth2 configuration of provider p, redirecting to redirectURL; ok is false when
// p has no OAuth flow or this instance has no client id for it.
func (c OAuthClients) Config(p connector.Provider, redirectURL string) (cfg *oauth2.Config, ok bool) {
	reg, found := c[p.Name]
	if p.OAuth == nil || !found || reg.ClientID == "" {
		return nil, false
	}
	cfg = &oauth2.Config{ClientID: reg.ClientID, ClientSecret: reg.ClientSecret, RedirectURL: redirectURL,
		Scopes: p.OAuth.Scopes, Endpoint: oauth2.Endpoint{AuthURL: p.OAuth.AuthURL, TokenURL: p.OAuth.TokenURL}}
	if reg.AuthURL != "" {
		cfg.Endpoint.AuthURL = reg.AuthURL
	}
	if reg.TokenURL != "" {
		cfg.Endpoint.TokenURL = reg.TokenURL
	}
	return cfg, true
}

// Keys of an OAuth token inside an integration's sealed credentials.
const (
	SecretAccessToken  = "oauth_access_token"
	SecretRefreshToken = "oauth_refresh_token"
	SecretTokenExpiry  = "oauth_token_expiry" // RFC 3339; empty when the token does not expire
	SecretTokenType    = "oauth_token_type"
)

// TokenSecrets is tok as credentials to seal. A token without a refresh token (a provider that
// sends it only on first consent) leaves it out, so the stored one is kept.
func TokenSecrets(tok *oauth2.Token) map[string]string {
	out := map[string]string{SecretAccessToken: tok.AccessToken, SecretTokenType: tok.Type()}
	if tok.RefreshToken != "" {
		out[SecretRefreshToken] = tok.RefreshToken
	}
	if !tok.Expiry.IsZero() {
		out[SecretTokenExpiry] = tok.Expiry.UTC().Format(time.RFC3339Nano)
	}
	return out
}

// OAuthInitialSecrets are the secrets a provider needs sealed next to its first token when an
// integration is created through OAuth: Outlook's clientState, which its change notifications
// must carry back.
func OAuthInitialSecrets(provider string) map[string]string {
	switch provider {
	case outlook.Name:
		return map[string]string{outlook.ClientStateKey: outlook.NewClientState()}
	}
	return nil
}

// tokenFromSecrets reads the sealed token back; ok is false when none was stored.
func tokenFromSecrets(s map[string]string) (*oauth2.Token, bool) {
	tok := &oauth2.Token{AccessToken: s[SecretAccessToken], RefreshToken: s[SecretRefreshToken], TokenType: s[SecretTokenType]}
	if t, err := time.Parse(time.RFC3339Nano, s[SecretTokenExpiry]); err == nil {
		tok.Expiry = t
	}
	return tok, tok.AccessToken != "" || tok.RefreshToken != ""
}

// oauthHTTPClient is the HTTP client of an OAuth provider's connector: it adds the bearer token
// and refreshes it through the token endpoint when it expires. A refreshed token is sealed and
// saved at once; a refused refresh (invalid_grant) is a credentials failure, which sets
// needs_reauth. Without a stored OAuth token (a provider that also takes a typed token) it
// returns nil, and the connector authenticates with its own credentials.
func (d *syncDeps) oauthHTTPClient(ctx context.Context, orgID int64, in store.Integration, p connector.Provider, secrets map[string]string) (*http.Client, error) {
	tok, ok := tokenFromSecrets(secrets)
	if !ok {
		return nil, nil
	}
	cfg, ok := d.cfg.OAuth.Config(p, "")
	if !ok {
		return nil, &connector.Error{Class: connector.ClassBug,
			Err: fmt.Errorf("no OAuth client configured for %s (WEDSYNC_OAUTH_%s_CLIENT_ID)", p.Label, strings.ToUpper(p.Name))}
	}
	refreshCtx := context.WithValue(context.WithoutCancel(ctx), oauth2.HTTPClient, d.http)
	src := &savingTokenSource{base: cfg.TokenSource(refreshCtx, tok), last: tok.AccessToken, log: d.log,
		save: func(t *oauth2.Token) error {
			return d.db.SaveIntegrationSecrets(context.WithoutCancel(ctx), orgID, in.ID, d.keys, TokenSecrets(t))
		}}
	return &http.Client{Timeout: d.http.Timeout, Transport: &oauth2.Transport{Source: src, Base: d.http.Transport}}, nil
}

// savingTokenSource saves every token that differs from the last one it saw (a refresh), and
// turns a refused refresh into connector.ClassCredentials.
type savingTokenSource struct {
	base oauth2.TokenSource
	save func(*oauth2.Token) error
	log  *slog.Logger
	mu   sync.Mutex
	last string
}

// Token returns a valid token, refreshing (and saving) it when needed.
func (s *savingTokenSource) Token() (*oauth2.Token, error) {
	tok, err := s.base.Token()
	if err != nil {
		return nil, refreshError(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if tok.AccessToken != s.last {
		if err := s.save(tok); err != nil {
			// The token works for this job; the next one refreshes again.
			s.log.Error("save refreshed oauth token", "err", err)
		} else {
			s.last = tok.AccessToken
		}
	}
	return tok, nil
}

// refreshError classifies a failed refresh: the authorization server refusing the grant or the
// client means the user must connect again; anything else is the provider being unreachable.
func refreshError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := 0
		if re.Response != nil {
			status = re.Response.StatusCode
		}
		switch {
		case re.ErrorCode == "invalid_grant" || re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client":
			return &connector.Error{Class: connector.ClassCredentials, Status: status,
				Err: fmt.Errorf("the provider refused to renew access (%s): connect again", re.ErrorCode)}
		case status >= 500:
			return &connector.Error{Class: connector.ClassProviderDown, Status: status, Err: err}
		case status == http.StatusTooManyRequests:
			return &connector.Error{Class: connector.ClassRateLimited, Status: status, Err: err}
		}
		return &connector.Error{Class: connector.ClassCredentials, Err: fmt.Errorf("token refresh: %w", err)}
	}
	return &connector.Error{Class: connector.ClassProviderDown, Err: fmt.Errorf("token refresh: %w", err)}
}
