package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers"
	"github.com/wedsync/wedsync/handlers/webtest"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/google/googletest"
	"github.com/wedsync/wedsync/jobs/connector/oauthtest"
	"github.com/wedsync/wedsync/store"
)

const (
	oauthClientID     = "wedsync-test.apps.example"
	oauthClientSecret = "GOCSPX-test-client-secret"
)

// oauthFakes are the fake authorization server and the fake Google Calendar of one app.
type oauthFakes struct {
	auth   *oauthtest.Server
	google *googletest.Server
}

// oauthProviders are the registered providers connected through OAuth.
func oauthProviders() []connector.Provider {
	var out []connector.Provider
	for _, p := range jobs.Providers().All() {
		if p.OAuth != nil {
			out = append(out, p)
		}
	}
	return out
}

// oauthApp is the app with every OAuth provider registered at one fake authorization server and
// Google's API pointed at the Calendar fake. stateTTL 0 keeps the default.
func oauthApp(t *testing.T, stateTTL time.Duration) (*webtest.App, oauthFakes) {
	t.Helper()
	f := oauthFakes{auth: oauthtest.New(oauthClientID, oauthClientSecret)}
	authURL, stopAuth := f.auth.Start()
	t.Cleanup(stopAuth)
	f.google = googletest.New(f.auth)
	googleURL, stopGoogle := f.google.Start()
	t.Cleanup(stopGoogle)
	clients := jobs.OAuthClients{}
	bases := map[string]string{}
	for _, p := range oauthProviders() {
		clients[p.Name] = jobs.OAuthClient{ClientID: oauthClientID, ClientSecret: oauthClientSecret,
			AuthURL: authURL + oauthtest.AuthorizePath, TokenURL: authURL + oauthtest.TokenPath}
		bases[p.Name] = googleURL // other providers' syncs fail there; their flows are what is tested
	}
	app := webtest.New(t, webtest.Options{
		Jobs: func(cfg *jobs.Config) {
			cfg.Sync.OAuth = clients
			cfg.Sync.BaseURLs = bases
			cfg.Sync.ScheduleEvery = time.Hour
			cfg.Sync.RetryBase, cfg.Sync.RetryMax = 20*time.Millisecond, 100*time.Millisecond
		},
		Web: func(_ testing.TB, d *handlers.Deps, _ *jobs.Runner) {
			d.Config.OAuth = clients
			d.Config.OAuthStateTTL = stateTTL
		},
	})
	return app, f
}

// startConnect posts the add form of provider and returns the consent page address the answer
// sends the browser to.
func startConnect(t *testing.T, c *webtest.Client, provider string, form url.Values) string {
	t.Helper()
	p := c.Get("/integrations/new?provider=" + provider)
	require.Equal(t, http.StatusOK, p.Status)
	require.Equal(t, 1, p.Doc.Find(`form[data-form="oauth-connect"] [data-action="oauth-connect"]`).Length(), p.Body)
	p = c.Post("/integrations/oauth/"+provider+"/connect", form)
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	href, ok := p.Doc.Find("a[data-oauth-continue]").Attr("href")
	require.True(t, ok, p.Body)
	require.Contains(t, p.Doc.Find(`meta[http-equiv="refresh"]`).AttrOr("content", ""), href)
	return href
}

// approve visits the consent page (the fake approves at once) and returns the callback path
// with its query, as the provider redirects the browser back.
func approve(t *testing.T, app *webtest.App, authURL string) string {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(authURL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	loc := resp.Header.Get("Location")
	require.True(t, strings.HasPrefix(loc, app.URL+"/integrations/oauth/"), loc)
	return strings.TrimPrefix(loc, app.URL)
}

// connectGoogle runs the whole flow for Google Calendar and returns the integration's public id.
func connectGoogle(t *testing.T, app *webtest.App, f oauthFakes, owner *webtest.Owner) string {
	t.Helper()
	callback := approve(t, app, startConnect(t, owner.Client, "google", url.Values{"name": {"Studio calendar"},
		"wedding_match": {"wedding, elopement"}, "interval_minutes": {"60"}}))
	p := owner.Get(callback)
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	pid := strings.TrimPrefix(p.Location(), "/integrations/")
	require.True(t, strings.HasPrefix(pid, "int_"), p.Location())
	return pid
}

// waitSynced waits for a succeeded sync run of the integration after n earlier ones.
func waitSynced(t *testing.T, app *webtest.App, orgID int64, pid string, n int) store.Integration {
	t.Helper()
	ctx := context.Background()
	var in store.Integration
	require.Eventually(t, func() bool {
		var err error
		in, err = app.DB.Integration(ctx, orgID, pid)
		if err != nil {
			return false
		}
		runs, err := app.DB.SyncRuns(ctx, orgID, in.ID, 50)
		ok := 0
		for _, r := range runs {
			if r.Status == "succeeded" {
				ok++
			}
		}
		if err == nil && ok <= n && len(runs) > 0 && testing.Verbose() {
			t.Logf("runs of %s: %d, last %s %s %s", pid, len(runs), runs[0].Status, runs[0].ErrorClass, runs[0].ErrorMessage)
		}
		return err == nil && ok > n
	}, 20*time.Second, 100*time.Millisecond, "sync %d of %s succeeds", n+1, pid)
	return in
}

// storedSecrets reads the integration's sealed credentials the way the jobs do.
func storedSecrets(t *testing.T, app *webtest.App, orgID int64, pid string) (sealed string, secrets map[string]string) {
	t.Helper()
	ctx := context.Background()
	in, err := app.DB.Integration(ctx, orgID, pid)
	require.NoError(t, err)
	require.NoError(t, app.Env.Admin.QueryRow(ctx, "select credentials from integrations where id = $1", in.ID).Scan(&sealed))
	secrets, err = app.DB.IntegrationSecrets(ctx, orgID, in.ID, app.Keys)
	require.NoError(t, err)
	return sealed, secrets
}

// googleAllDay is an all-day event on day (a UTC midnight).
func googleAllDay(title string, day time.Time) googletest.Event {
	return googletest.Event{Summary: title, AllDay: true, Start: day, End: day.AddDate(0, 0, 1)}
}

// waitSyncJobsIdle waits until no sync job is waiting or running (one that just failed is still
// finishing for a moment, and a new request would count as a duplicate of it).
func waitSyncJobsIdle(t *testing.T, app *webtest.App) {
	t.Helper()
	require.Eventually(t, func() bool {
		var n int
		err := app.Env.Admin.QueryRow(context.Background(), `select count(*) from river_job where kind = 'sync_integration'
			and state in ('running', 'available', 'scheduled', 'retryable', 'pending')`).Scan(&n)
		return err == nil && n == 0
	}, 10*time.Second, 10*time.Millisecond)
}
