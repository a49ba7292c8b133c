package handlers_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/store"
)

// TestOAuthConnectEveryProvider: for every provider connected through OAuth, "Connect with"
// sends the browser to the authorization server with a state and an S256 PKCE challenge plus the
// provider's own parameters; the callback exchanges the code with the verifier, creates the
// integration with the token sealed (no token in plain text in the database), and the state
// cannot be used twice.
func TestOAuthConnectEveryProvider(t *testing.T) {
	t.Parallel()
	providers := oauthProviders()
	require.NotEmpty(t, providers)
	app, f := oauthApp(t, 0)
	owner := app.SignupOwner(t, "OAuth Everywhere", "Europe/Paris", "EUR")
	ctx := context.Background()
	for i, p := range providers {
		authURL := startConnect(t, owner.Client, p.Name, url.Values{"name": {p.Label + " account"}, "interval_minutes": {"30"}})
		u, err := url.Parse(authURL)
		require.NoError(t, err)
		q := u.Query()
		require.Equal(t, oauthClientID, q.Get("client_id"))
		require.Equal(t, "code", q.Get("response_type"))
		require.Equal(t, "S256", q.Get("code_challenge_method"))
		require.NotEmpty(t, q.Get("code_challenge"))
		require.GreaterOrEqual(t, len(q.Get("state")), 32)
		require.Equal(t, app.URL+"/integrations/oauth/"+p.Name+"/callback", q.Get("redirect_uri"))
		for k, v := range p.OAuth.AuthParams {
			require.Equal(t, v, q.Get(k), "%s: auth param %s", p.Name, k)
		}
		require.Equal(t, strings.Join(p.OAuth.Scopes, " "), q.Get("scope"))

		callback := approve(t, app, authURL)
		page := owner.Get(callback)
		require.Equal(t, http.StatusSeeOther, page.Status, page.Body)
		pid := strings.TrimPrefix(page.Location(), "/integrations/")
		exchanges, _ := f.auth.Counts()
		require.Equal(t, i+1, exchanges, "the fake checked the verifier against the challenge and issued a token")

		in, err := app.DB.Integration(ctx, owner.OrgID, pid)
		require.NoError(t, err)
		require.Equal(t, p.Name, in.Provider)
		require.Equal(t, p.Label+" account", in.Name)
		require.Equal(t, 30, in.IntervalMinutes)
		sealed, secrets := storedSecrets(t, app, owner.OrgID, pid)
		require.NotEmpty(t, secrets[jobs.SecretAccessToken])
		require.NotEmpty(t, secrets[jobs.SecretRefreshToken])
		for k := range jobs.OAuthInitialSecrets(p.Name) {
			require.NotEmpty(t, secrets[k], "%s: %s is stored with the first token", p.Name, k)
		}
		require.NotContains(t, sealed, secrets[jobs.SecretAccessToken], "sealed at rest")
		require.NotContains(t, sealed, secrets[jobs.SecretRefreshToken], "sealed at rest")
		var plain int
		require.NoError(t, app.Env.Admin.QueryRow(ctx, `select count(*) from integrations
			where id = $1 and (config::text like '%'||$2||'%' or credential_hints::text like '%'||$2||'%' or credentials like '%'||$2||'%')`,
			in.ID, secrets[jobs.SecretRefreshToken]).Scan(&plain))
		require.Zero(t, plain, "no refresh token in any column")
		detail := owner.Get("/integrations/" + pid)
		require.NotContains(t, detail.Body, secrets[jobs.SecretAccessToken])
		require.NotContains(t, detail.Body, secrets[jobs.SecretRefreshToken])

		// The same callback again: the state was used.
		again := owner.Get(callback)
		require.Equal(t, http.StatusBadRequest, again.Status)
		require.Contains(t, again.Body, "already used")
	}
	all, err := app.DB.ListIntegrations(ctx, owner.OrgID)
	require.NoError(t, err)
	require.Len(t, all, len(providers), "one integration per flow, none from the replays")

	// A provider that also takes typed credentials (a personal token) offers both.
	for _, p := range providers {
		form := owner.Get("/integrations/new?provider=" + p.Name)
		require.Equal(t, 1, form.Doc.Find(`[data-action="oauth-connect"]`).Length(), p.Name)
		for _, fld := range p.Fields {
			if fld.Secret {
				require.Zero(t, form.Doc.Find(`form[data-form="oauth-connect"] input[name="`+fld.Name+`"]`).Length(), "no secret in the OAuth form")
				require.Equal(t, 1, form.Doc.Find(`form[data-form="integration"] input[name="`+fld.Name+`"][type="password"]`).Length(), p.Name)
			}
		}
	}
}

// TestOAuthCallbackRefusesForeignExpiredAndForgedStates: a state another session started, an
// expired one, a made-up one and a callback without state all get a 400 page and create nothing;
// a code exchanged with the wrong verifier is refused by the authorization server.
func TestOAuthCallbackRefusesForeignExpiredAndForgedStates(t *testing.T) {
	t.Parallel()
	app, _ := oauthApp(t, 2*time.Second)
	owner := app.SignupOwner(t, "State Checks", "UTC", "USD")
	ctx := context.Background()

	// Another session of the same owner (another browser) cannot finish this one's flow.
	callback := approve(t, app, startConnect(t, owner.Client, "google", url.Values{"name": {"Cal"}}))
	other := app.Client(t)
	other.Login(owner.Email, owner.Password)
	p := other.Get(callback)
	require.Equal(t, http.StatusBadRequest, p.Status)
	require.Contains(t, p.Text("main"), "another session")

	// A forged or missing state.
	for _, q := range []string{"?code=abc&state=forged", "?code=abc", ""} {
		p = owner.Get("/integrations/oauth/google/callback" + q)
		require.Equal(t, http.StatusBadRequest, p.Status, q)
	}

	// Expired: the flow took longer than the state lives.
	callback = approve(t, app, startConnect(t, owner.Client, "google", url.Values{"name": {"Cal"}}))
	time.Sleep(2100 * time.Millisecond)
	p = owner.Get(callback)
	require.Equal(t, http.StatusBadRequest, p.Status)
	require.Contains(t, p.Text("main"), "expired")

	// The provider denied access.
	authURL := startConnect(t, owner.Client, "google", url.Values{"name": {"Cal"}})
	u, _ := url.Parse(authURL)
	p = owner.Get("/integrations/oauth/google/callback?error=access_denied&state=" + u.Query().Get("state"))
	require.Equal(t, http.StatusBadRequest, p.Status)
	require.Contains(t, p.Text("main"), "did not grant access")

	// A code whose PKCE verifier does not match its challenge: the fake refuses the exchange.
	authURL = startConnect(t, owner.Client, "google", url.Values{"name": {"Cal"}})
	u, _ = url.Parse(authURL)
	q := u.Query()
	sum := sha256.Sum256([]byte("a verifier the server never saw"))
	q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(sum[:]))
	u.RawQuery = q.Encode()
	p = owner.Get(approve(t, app, u.String()))
	require.Equal(t, http.StatusBadGateway, p.Status)

	all, err := app.DB.ListIntegrations(ctx, owner.OrgID)
	require.NoError(t, err)
	require.Empty(t, all)

	// Connecting needs the CSRF token like every change.
	p = owner.PostRaw("/integrations/oauth/google/connect", url.Values{"name": {"Cal"}})
	require.Equal(t, http.StatusForbidden, p.Status)
}

// TestOAuthRefreshPersistsAndRefusedRefreshNeedsReconnect: access tokens that expire are
// refreshed during the sync and the new token is sealed and saved; when the user revokes access
// the refresh is refused, the integration needs re-authorization and shows Reconnect, and
// reconnecting keeps the same integration, which syncs again.
func TestOAuthRefreshPersistsAndRefusedRefreshNeedsReconnect(t *testing.T) {
	t.Parallel()
	app, f := oauthApp(t, 0)
	f.auth.SetAccessTTL(5 * time.Second) // below oauth2's 10 s margin: every use refreshes
	june := time.Now().AddDate(0, 0, 12).Truncate(24 * time.Hour)
	f.google.AddEvent("primary", googleAllDay("Rivera wedding", june))
	owner := app.SignupOwner(t, "Refresh Studio", "UTC", "USD")
	ctx := context.Background()

	pid := connectGoogle(t, app, f, owner)
	exchanged := f.auth.AccessTokens()[0]
	in := waitSynced(t, app, owner.OrgID, pid, 0)
	require.Equal(t, int64(1), in.RecordsSynced)
	_, refreshes := f.auth.Counts()
	require.Positive(t, refreshes, "the expired access token was refreshed")
	issued := f.auth.AccessTokens()
	latest := issued[len(issued)-1]
	require.NotEqual(t, exchanged, latest)
	_, now := storedSecrets(t, app, owner.OrgID, pid)
	require.Equal(t, latest, now[jobs.SecretAccessToken], "the refreshed token is sealed and saved")
	require.NotEmpty(t, now[jobs.SecretRefreshToken], "the refresh token is kept")

	// The user removes WedSync's access at the provider.
	f.auth.RevokeRefreshTokens()
	require.Eventually(t, func() bool {
		// Sync now (again while the first sync's job is still finishing: it would count as queued).
		p := owner.Post("/integrations/"+pid+"/sync", nil)
		require.Equal(t, http.StatusSeeOther, p.Status)
		time.Sleep(100 * time.Millisecond)
		in, _ = app.DB.Integration(ctx, owner.OrgID, pid)
		return in.Status == store.IntegrationNeedsReauth
	}, 15*time.Second, 20*time.Millisecond, "a refused refresh needs re-authorization")
	require.Equal(t, "credentials", in.LastErrorClass)
	waitSyncJobsIdle(t, app)
	list := owner.Get("/integrations")
	row := list.Doc.Find(`[data-integration="` + pid + `"]`)
	require.Equal(t, 1, row.Find(`form[data-form="reconnect"] button`).Length(), "Reconnect is offered")
	require.Equal(t, 1, owner.Get("/integrations/"+pid).Doc.Find(`form[data-form="reconnect"]`).Length())

	// Reconnect: the flow again, for this same integration.
	p := owner.Post("/integrations/"+pid+"/reconnect", nil)
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	href, _ := p.Doc.Find("a[data-oauth-continue]").Attr("href")
	p = owner.Get(approve(t, app, href))
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Equal(t, "/integrations/"+pid, p.Location(), "the same integration")
	in = waitSynced(t, app, owner.OrgID, pid, 1)
	require.Equal(t, store.IntegrationHealthy, in.Status)
	all, err := app.DB.ListIntegrations(ctx, owner.OrgID)
	require.NoError(t, err)
	require.Len(t, all, 1)
	require.Equal(t, 0, owner.Get("/integrations").Doc.Find(`form[data-form="reconnect"]`).Length())
}
