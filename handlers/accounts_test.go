package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers/webtest"
	"github.com/wedsync/wedsync/store"
)

func TestSignupLoginLogout(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	owner := app.SignupOwner(t, "Fern & Fig Florals", "Europe/London", "GBP")

	p := owner.Get("/dashboard")
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Text("h1"), "Fern & Fig Florals")
	org, err := app.DB.Org(context.Background(), owner.OrgID)
	require.NoError(t, err)
	require.Equal(t, "Europe/London", org.Timezone)
	require.Equal(t, "GBP", org.Currency)
	require.Equal(t, []int{5, 6, 0}, org.WeddingDays)

	p = owner.Post("/logout", nil)
	require.Equal(t, http.StatusSeeOther, p.Status)
	p = owner.Get("/dashboard")
	require.Equal(t, http.StatusSeeOther, p.Status, "logged out")
	require.Equal(t, "/login?next=%2Fdashboard", p.Location())

	owner.Login(owner.Email, owner.Password)
	require.Equal(t, http.StatusOK, owner.Get("/dashboard").Status)
}

func TestSignupExplainsMistakes(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	c := app.Client(t)
	c.Get("/signup")
	p := c.Post("/signup", url.Values{"org_name": {""}, "timezone": {"Mars/Olympus"}, "currency": {"usd"},
		"name": {"A"}, "email": {"not-an-email"}, "password": {"short"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	for _, field := range []string{"org_name", "timezone", "currency", "email", "password"} {
		require.NotEmptyf(t, p.Text(`[data-error-for="`+field+`"]`), "no message for %s", field)
	}
	require.Equal(t, "not-an-email", p.Doc.Find(`input[name="email"]`).AttrOr("value", ""), "keeps what was typed")
	var orgs int
	require.NoError(t, app.Env.Admin.QueryRow(context.Background(), "select count(*) from organizations").Scan(&orgs))
	require.Zero(t, orgs)

	// A duplicate email is explained, not a 500.
	owner := app.SignupOwner(t, "First", "UTC", "EUR")
	c.Get("/signup")
	p = c.Post("/signup", url.Values{"org_name": {"Second"}, "timezone": {"UTC"}, "currency": {"EUR"},
		"name": {"B"}, "email": {strings.ToUpper(owner.Email)}, "password": {"long enough"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	require.Contains(t, p.Text(`[data-error-for="email"]`), "already exists")
}

func TestStateChangesNeedCSRFToken(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	owner := app.SignupOwner(t, "Token Test", "UTC", "USD")
	for _, path := range []string{"/signup", "/login", "/logout", "/settings", "/team/invites", "/invite/abc"} {
		p := owner.PostRaw(path, url.Values{"org_name": {"Hijacked"}})
		require.Equalf(t, http.StatusForbidden, p.Status, "POST %s without token", path)
		p = owner.PostRaw(path, url.Values{"org_name": {"Hijacked"}, "_csrf": {"wrong"}})
		require.Equalf(t, http.StatusForbidden, p.Status, "POST %s with a wrong token", path)
	}
	org, err := app.DB.Org(context.Background(), owner.OrgID)
	require.NoError(t, err)
	require.Equal(t, "Token Test", org.Name)

	// The header form of the token works for htmx requests.
	req, _ := http.NewRequest(http.MethodPost, app.URL+"/settings", strings.NewReader(url.Values{
		"org_name": {"Renamed"}, "timezone": {"UTC"}, "currency": {"USD"}, "wedding_days": {"6"}, "daily_capacity": {"2"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", owner.CSRF)
	req.Header.Set("HX-Request", "true")
	p := owner.Do(req)
	require.Equal(t, http.StatusOK, p.Status)
	require.Equal(t, "/settings", p.Header.Get("HX-Redirect"))
}

func TestLoginIsThrottledPerEmail(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	owner := app.SignupOwner(t, "Throttle", "UTC", "USD")
	c := app.Client(t)
	c.Get("/login")
	for i := 0; i < store.LoginThrottle; i++ {
		p := c.Post("/login", url.Values{"email": {owner.Email}, "password": {"wrong-password"}})
		require.Equal(t, http.StatusUnauthorized, p.Status)
		require.Contains(t, p.Text(".form-error"), "do not match")
	}
	p := c.Post("/login", url.Values{"email": {owner.Email}, "password": {owner.Password}})
	require.Equal(t, http.StatusTooManyRequests, p.Status, "even the right password waits")
	require.Contains(t, p.Text(".form-error"), "Wait 15 minutes")
	// Another email is not affected.
	other := app.SignupOwner(t, "Other", "UTC", "USD")
	other.Login(other.Email, other.Password)
}

func TestMembersCannotOpenAdminPages(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	owner := app.SignupOwner(t, "Roles", "UTC", "USD")
	member := app.AddMember(t, owner.OrgID, store.RoleMember)
	require.Equal(t, http.StatusOK, member.Get("/dashboard").Status)
	for _, path := range []string{"/settings", "/team", "/audit"} {
		require.Equalf(t, http.StatusForbidden, member.Get(path).Status, "member GET %s", path)
		require.Equalf(t, http.StatusOK, owner.Get(path).Status, "owner GET %s", path)
	}
	p := member.Post("/team/invites", url.Values{"role": {"admin"}})
	require.Equal(t, http.StatusForbidden, p.Status)
	admin := app.AddMember(t, owner.OrgID, store.RoleAdmin)
	require.Equal(t, http.StatusOK, admin.Get("/settings").Status)
}

func TestInviteLinkIsSingleUseAndExpires(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	owner := app.SignupOwner(t, "Invites", "UTC", "USD")
	owner.Get("/team")
	p := owner.Post("/team/invites", url.Values{"role": {"member"}, "email": {"sam@example.test"}})
	require.Equal(t, http.StatusOK, p.Status)
	link := p.Doc.Find("[data-invite-link]").AttrOr("value", "")
	require.True(t, strings.HasPrefix(link, app.URL+"/invite/"), link)
	path := strings.TrimPrefix(link, app.URL)

	guest := app.Client(t)
	p = guest.Get(path)
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Text("h1"), "Invites")
	p = guest.Post(path, url.Values{"mode": {"new"}, "name": {"Sam"}, "email": {"sam@example.test"}, "password": {"pw"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	require.NotEmpty(t, p.Text(`[data-error-for="password"]`))
	p = guest.Post(path, url.Values{"mode": {"new"}, "name": {"Sam"}, "email": {"sam@example.test"}, "password": {"a long password"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Equal(t, http.StatusOK, guest.Get("/dashboard").Status)
	require.Equal(t, http.StatusForbidden, guest.Get("/settings").Status, "joined as member")

	// Used once: a second person gets 410.
	late := app.Client(t)
	require.Equal(t, http.StatusGone, late.Get(path).Status)
	require.Equal(t, http.StatusNotFound, late.Get("/invite/not-a-token").Status)

	// An expired invite gets 410 too.
	token, err := app.DB.CreateInvite(context.Background(), owner.OrgID, owner.UserID, store.RoleAdmin, "")
	require.NoError(t, err)
	_, err = app.Env.Admin.Exec(context.Background(), "update invites set expires_at = $1 where token_hash = $2",
		time.Now().Add(-time.Minute), store.HashToken(token))
	require.NoError(t, err)
	require.Equal(t, http.StatusGone, late.Get("/invite/"+token).Status)
}

func TestSettingsForm(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	owner := app.SignupOwner(t, "Settings", "UTC", "USD")
	owner.Get("/settings")
	p := owner.Post("/settings", url.Values{"org_name": {"Settings Co"}, "timezone": {"Nowhere/City"}, "currency": {"DOLLARS"},
		"wedding_days": {"9"}, "daily_capacity": {"zero"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	for _, f := range []string{"wedding_days", "daily_capacity"} {
		require.NotEmptyf(t, p.Text(`[data-error-for="`+f+`"]`), f)
	}
	p = owner.Post("/settings", url.Values{"org_name": {"Settings Co"}, "timezone": {"Nowhere/City"}, "currency": {"DOLLARS"},
		"wedding_days": {"6"}, "daily_capacity": {"2"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	require.NotEmpty(t, p.Text(`[data-error-for="timezone"]`))
	require.NotEmpty(t, p.Text(`[data-error-for="currency"]`))

	p = owner.Post("/settings", url.Values{"org_name": {"Settings Co"}, "timezone": {"Australia/Sydney"}, "currency": {"AUD"},
		"wedding_days": {"6", "0"}, "daily_capacity": {"3"}})
	require.Equal(t, http.StatusSeeOther, p.Status)
	org, err := app.DB.Org(context.Background(), owner.OrgID)
	require.NoError(t, err)
	require.Equal(t, store.Org{ID: owner.OrgID, Name: "Settings Co", Timezone: "Australia/Sydney", Currency: "AUD",
		WeddingDays: []int{0, 6}, DailyCapacity: 3, CreatedAt: org.CreatedAt}, org)
	p = owner.Get("/audit")
	require.Contains(t, p.Text(`[data-table="audit"] tbody`), "organization")
}

func TestSecurityHeadersAndHealth(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	c := app.Client(t)
	p := c.Get("/login")
	csp := p.Header.Get("Content-Security-Policy")
	require.Contains(t, csp, "script-src 'self'")
	require.NotContains(t, csp, "unsafe-inline")
	require.Contains(t, csp, "frame-ancestors 'none'")
	require.Equal(t, "nosniff", p.Header.Get("X-Content-Type-Options"))
	require.NotEmpty(t, p.Header.Get("Referrer-Policy"))
	require.Zero(t, p.Doc.Find("script:not([src])").Length(), "no inline scripts")
	cookie := ""
	for _, ck := range c.HTTP.Jar.Cookies(mustURL(app.URL)) {
		cookie = ck.Name
	}
	require.Equal(t, "wedsync_session", cookie)
	require.Equal(t, http.StatusOK, c.Get("/healthz").Status)
	require.Equal(t, http.StatusOK, c.Get("/readyz").Status)
	require.Equal(t, http.StatusOK, c.Get("/static/htmx-2.0.11.min.js").Status)
	require.Equal(t, http.StatusNotFound, c.Get("/no-such-page").Status)
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
