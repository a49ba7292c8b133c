package handlers

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/views"
	"golang.org/x/oauth2"
)

// OAuthStateTTL is how long a started "Connect with ..." may take before its state expires
// (Config.OAuthStateTTL changes it).
const OAuthStateTTL = 10 * time.Minute

func (h *integrationPages) stateTTL() time.Duration {
	if h.cfg.OAuthStateTTL > 0 {
		return h.cfg.OAuthStateTTL
	}
	return OAuthStateTTL
}

// sessOAuthPrefix prefixes the session keys of pending OAuth flows ("oauth:" + state).
const sessOAuthPrefix = "oauth:"

// oauthPending is a started OAuth flow, kept in the session that started it until its callback
// (single use) or its expiry: the PKCE verifier, and what to do with the token.
type oauthPending struct {
	Provider string    `json:"provider"`
	OrgID    int64     `json:"org_id"`
	Verifier string    `json:"verifier"`
	Expires  time.Time `json:"expires"`
	// Integration is the public id to reconnect; empty creates a new integration from the form
	// values below.
	Integration string            `json:"integration,omitempty"`
	Name        string            `json:"name,omitempty"`
	Interval    string            `json:"interval,omitempty"`
	Config      map[string]string `json:"config,omitempty"`
}

// oauthProvider resolves a provider connected through OAuth and its client configuration.
func (h *integrationPages) oauthProvider(name string) (connector.Provider, *oauth2.Config, error) {
	p, ok := h.reg.Lookup(name)
	if !ok || p.OAuth == nil {
		return p, nil, echo.NewHTTPError(http.StatusNotFound, "There is no provider to connect with at this address.")
	}
	cfg, ok := h.cfg.OAuth.Config(p, strings.TrimSuffix(h.cfg.BaseURL, "/")+"/integrations/oauth/"+p.Name+"/callback")
	if !ok {
		return p, nil, echo.NewHTTPError(http.StatusConflict, "Connecting with "+p.Label+
			" is not set up on this server: set WEDSYNC_OAUTH_"+strings.ToUpper(p.Name)+"_CLIENT_ID and _CLIENT_SECRET.")
	}
	return p, cfg, nil
}

// oauthConnect checks the add form of an OAuth provider, then starts the flow.
func (h *integrationPages) oauthConnect(c echo.Context) error {
	p, cfg, err := h.oauthProvider(c.Param("provider"))
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	in, errs := readForm(p, form, true) // typed secrets (a token instead of OAuth) are not needed here
	if len(errs) > 0 {
		f := h.formOf(p, form.Get("name"), form.Get("interval_minutes"), form, nil)
		return render(c, http.StatusUnprocessableEntity, views.IntegrationFormPage(h.page(c, "Add "+p.Label, "integrations"), f, errs))
	}
	return h.startOAuth(c, p, cfg, oauthPending{Name: in.Name, Interval: in.IntervalMinutes, Config: in.Config})
}

// oauthReconnect runs the flow again for an existing integration (access refused or revoked).
func (h *integrationPages) oauthReconnect(c echo.Context) error {
	in, p, err := h.editable(c)
	if err != nil {
		return err
	}
	p, cfg, err := h.oauthProvider(p.Name)
	if err != nil {
		return err
	}
	return h.startOAuth(c, p, cfg, oauthPending{Integration: in.PublicID})
}

// startOAuth stores the pending flow in the session (a fresh state and PKCE verifier) and sends
// the browser to the provider's consent page.
func (h *integrationPages) startOAuth(c echo.Context, p connector.Provider, cfg *oauth2.Config, pend oauthPending) error {
	ctx := c.Request().Context()
	h.dropExpiredOAuth(ctx)
	state := randomState()
	pend.Provider, pend.OrgID, pend.Verifier = p.Name, viewerOf(c).Org.ID, oauth2.GenerateVerifier()
	pend.Expires = time.Now().Add(h.stateTTL())
	b, err := json.Marshal(pend)
	if err != nil {
		return err
	}
	h.sessions.Put(ctx, sessOAuthPrefix+state, string(b))
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(pend.Verifier)}
	for k, v := range p.OAuth.AuthParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return render(c, http.StatusOK, views.OAuthRedirectPage(p.Label, cfg.AuthCodeURL(state, opts...)))
}

// dropExpiredOAuth forgets the session's flows that were started and abandoned.
func (h *integrationPages) dropExpiredOAuth(ctx context.Context) {
	for _, k := range h.sessions.Keys(ctx) {
		if !strings.HasPrefix(k, sessOAuthPrefix) {
			continue
		}
		var pend oauthPending
		if json.Unmarshal([]byte(h.sessions.GetString(ctx, k)), &pend) != nil || time.Now().After(pend.Expires) {
			h.sessions.Remove(ctx, k)
		}
	}
}

// oauthCallback is where the provider sends the browser back. The state must belong to a flow
// this session started for this provider and organization, at most OAuthStateTTL ago, and is
// used once. The code is exchanged with the PKCE verifier; the token is sealed into the
// integration's credentials, and the first sync is queued.
func (h *integrationPages) oauthCallback(c echo.Context) error {
	ctx := c.Request().Context()
	v := viewerOf(c)
	p, cfg, err := h.oauthProvider(c.Param("provider"))
	if err != nil {
		return err
	}
	q := c.QueryParams()
	pend, err := h.takeOAuthState(ctx, q.Get("state"))
	if err != nil {
		return err
	}
	if pend.Provider != p.Name || pend.OrgID != v.Org.ID {
		return badOAuth("This sign-in was started for another provider or organization. Start again from the integrations page.")
	}
	if e := q.Get("error"); e != "" {
		return badOAuth(p.Label + " did not grant access (" + e + "). Start again from the integrations page to connect.")
	}
	if q.Get("code") == "" {
		return badOAuth(p.Label + " sent no authorization code. Start again from the integrations page.")
	}
	exCtx := context.WithValue(ctx, oauth2.HTTPClient, h.verifyClient)
	tok, err := cfg.Exchange(exCtx, q.Get("code"), oauth2.VerifierOption(pend.Verifier))
	if err != nil {
		h.log.Warn("oauth exchange", "provider", p.Name, "err", err)
		return echo.NewHTTPError(http.StatusBadGateway, p.Label+" refused the sign-in (the code could not be exchanged). Start again from the integrations page.")
	}
	secrets := jobs.TokenSecrets(tok)
	var in store.Integration
	if pend.Integration != "" {
		if in, err = h.db.Integration(ctx, v.Org.ID, pend.Integration); err != nil {
			return err
		}
		err = h.db.UpdateIntegration(ctx, v.Org.ID, v.User.ID, h.keys, in.PublicID, store.IntegrationInput{Provider: in.Provider,
			Name: in.Name, IntervalMinutes: strconv.Itoa(in.IntervalMinutes), Config: in.Config, Secrets: secrets})
	} else {
		for k, val := range jobs.OAuthInitialSecrets(p.Name) {
			secrets[k] = val
		}
		in, err = h.db.CreateIntegration(ctx, v.Org.ID, v.User.ID, h.keys, store.IntegrationInput{Provider: p.Name,
			Name: pend.Name, IntervalMinutes: pend.Interval, Config: pend.Config, Secrets: secrets})
	}
	if err != nil {
		return err
	}
	msg := p.Label + " connected. The first sync is running; its progress shows below."
	if pend.Integration != "" {
		msg = p.Label + " reconnected. A sync is running to catch up."
	}
	// The integration is due now: if no job takes the sync at once, the scheduler does.
	if j, jerr := h.jobsOf(); jerr == nil {
		queued, err := j.RequestSync(ctx, v.Org.ID, in.ID)
		if err != nil {
			h.log.Error("oauth first sync", "integration", in.PublicID, "err", err)
		}
		if err != nil || !queued {
			msg = p.Label + " connected. A sync starts within a minute."
		}
	}
	h.flash(c, msg)
	return redirect(c, "/integrations/"+in.PublicID)
}

// takeOAuthState removes and returns the pending flow of state from this session.
func (h *integrationPages) takeOAuthState(ctx context.Context, state string) (oauthPending, error) {
	var pend oauthPending
	raw := ""
	if state != "" {
		raw = h.sessions.PopString(ctx, sessOAuthPrefix+state)
	}
	if raw == "" {
		return pend, badOAuth("This sign-in link is not valid in this browser session: it was already used, or it was " +
			"started in another session. Start again from the integrations page.")
	}
	if err := json.Unmarshal([]byte(raw), &pend); err != nil || time.Now().After(pend.Expires) {
		ttl := h.stateTTL().String()
		if h.stateTTL() >= time.Minute {
			ttl = strconv.Itoa(int(h.stateTTL()/time.Minute)) + " minutes"
		}
		return pend, badOAuth("This sign-in took longer than " + ttl +
			" and has expired. Start again from the integrations page.")
	}
	return pend, nil
}

func badOAuth(msg string) error { return echo.NewHTTPError(http.StatusBadRequest, msg) }

func randomState() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
