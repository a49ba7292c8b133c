package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers/webtest"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/jobs/connector/stripe/stripetest"
	"github.com/wedsync/wedsync/store"
)

const (
	stripeKey     = "sk_test_51WedSyncHandlersSecretKey7Q4242"
	webhookSecret = "whsec_WedSyncHandlersSigningSecret9f3e"
)

// integrationApp is the app with fast sync retries and Stripe pointed at a loopback fake.
func integrationApp(t *testing.T) (*webtest.App, *stripetest.Server) {
	t.Helper()
	fake := stripetest.New(stripeKey)
	u, stop := fake.Start()
	t.Cleanup(stop)
	app := webtest.New(t, webtest.Options{Jobs: func(cfg *jobs.Config) {
		cfg.Sync.BaseURLs = map[string]string{"stripe": u}
		cfg.Sync.ScheduleEvery = time.Hour
		cfg.Sync.RetryBase, cfg.Sync.RetryMax = 20*time.Millisecond, 100*time.Millisecond
		cfg.Sync.ProgressEvery = time.Millisecond
	}})
	return app, fake
}

// addStripe connects Stripe through the form and returns the integration's public id. Its
// first scheduled run is moved an hour out, so only the test asks for syncs.
func addStripe(t *testing.T, app *webtest.App, c *webtest.Owner) string {
	t.Helper()
	p := c.Post("/integrations", url.Values{"provider": {"stripe"}, "name": {"Main account"}, "secret_key": {stripeKey},
		"webhook_secret": {webhookSecret}, "interval_minutes": {"30"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	pid := strings.TrimPrefix(p.Location(), "/integrations/")
	require.True(t, strings.HasPrefix(pid, "int_"), p.Location())
	_, err := app.Env.Admin.Exec(context.Background(), "update integrations set next_run_at = now() + interval '1 hour' where public_id = $1", pid)
	require.NoError(t, err)
	return pid
}

// requireNoSecrets fails if a page shows a stored secret.
func requireNoSecrets(t *testing.T, p *webtest.Page, where string) {
	t.Helper()
	for _, s := range []string{stripeKey, webhookSecret, stripeKey[8:24], webhookSecret[6:22]} {
		require.NotContainsf(t, p.Body, s, "%s shows a secret", where)
	}
}

// orgEvents listens to the organization events every instance's hub receives.
func orgEvents(t *testing.T, app *webtest.App) <-chan store.OrgEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	conn, err := app.Env.Admin.Acquire(ctx)
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "listen "+store.OrgEventChannel)
	require.NoError(t, err)
	out := make(chan store.OrgEvent, 1000)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			n, err := conn.Conn().WaitForNotification(ctx)
			if err != nil {
				return
			}
			var ev store.OrgEvent
			if json.Unmarshal([]byte(n.Payload), &ev) == nil {
				out <- ev
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done; conn.Release() })
	return out
}

func TestIntegrationLifecycleThroughThePages(t *testing.T) {
	t.Parallel()
	app, fake := integrationApp(t)
	owner := app.SignupOwner(t, "Lifecycle Photo", "Europe/London", "GBP")
	ctx := context.Background()
	for i := 0; i < 120; i++ {
		fake.AddCharge(stripetest.Charge{Amount: 25_000, Currency: "gbp", Created: time.Now().Add(-time.Duration(i) * time.Hour)})
	}

	// Add: first the provider, then its fields.
	p := owner.Get("/integrations")
	require.Equal(t, http.StatusOK, p.Status)
	require.Equal(t, "/dashboard/stream", p.Doc.Find("body").AttrOr("sse-connect", ""), "the page listens for progress")
	require.NotEmpty(t, p.Text(`[data-empty="integrations"]`))
	p = owner.Get("/integrations/new")
	require.Equal(t, 1, p.Doc.Find(`select[name="provider"] option[value="stripe"]`).Length())
	p = owner.Get("/integrations/new?provider=stripe")
	require.Equal(t, 1, p.Doc.Find(`input[name="secret_key"][type="password"]`).Length())
	require.Equal(t, 1, p.Doc.Find(`input[name="webhook_secret"][type="password"]`).Length())

	pid := addStripe(t, app, owner)
	in, err := app.DB.Integration(ctx, owner.OrgID, pid)
	require.NoError(t, err)
	require.Equal(t, 30, in.IntervalMinutes)
	var sealed string
	require.NoError(t, app.Env.Admin.QueryRow(ctx, "select credentials from integrations where id = $1", in.ID).Scan(&sealed))
	require.NotContains(t, sealed, stripeKey, "sealed at rest")
	require.True(t, strings.HasPrefix(sealed, app.Keys.CurrentID()+"."))

	p = owner.Get("/integrations/" + pid)
	require.Equal(t, http.StatusOK, p.Status)
	requireNoSecrets(t, p, "detail")
	require.Contains(t, p.Text(`[data-section="credentials"]`), "sk_test_…4242", "a masked hint")
	require.Equal(t, app.URL+"/webhooks/stripe/"+pid, p.Doc.Find("[data-webhook-url]").AttrOr("value", ""))
	require.Equal(t, 1, p.Doc.Find(`[sse-swap="sync-`+pid+`"]`).Length())
	require.Equal(t, 1, p.Doc.Find(`[sse-swap="test-`+pid+`"]`).Length())

	// Test connection runs in a job; its outcome is stored and shown.
	events := orgEvents(t, app)
	p = owner.Post("/integrations/"+pid+"/test", nil)
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Eventually(t, func() bool {
		in, err = app.DB.Integration(ctx, owner.OrgID, pid)
		return err == nil && in.LastTestOK != nil && *in.LastTestOK
	}, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, "ok", owner.Get("/integrations/"+pid).Doc.Find("[data-test-state]").AttrOr("data-test-state", ""))

	// Sync now: progress arrives as sync-<id> events, the history and the list follow.
	req, _ := http.NewRequest(http.MethodPost, app.URL+"/integrations/"+pid+"/sync", strings.NewReader(url.Values{"_csrf": {owner.CSRF}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	p = owner.Do(req)
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	require.Equal(t, "queued", p.Doc.Find("[data-sync-state]").AttrOr("data-sync-state", ""), "htmx gets the fragment")
	var states []string
	deadline := time.After(15 * time.Second)
	for len(states) == 0 || states[len(states)-1] != "succeeded" {
		select {
		case ev := <-events:
			if ev.OrgID == owner.OrgID && ev.Name == "sync-"+pid {
				require.NotContains(t, ev.HTML, "250", "no money in org events")
				states = append(states, between(ev.HTML, `data-sync-state="`, `"`))
			}
		case <-deadline:
			t.Fatalf("no final progress event; got %v", states)
		}
	}
	require.Contains(t, states, "running")
	p = owner.Get("/integrations/" + pid)
	requireNoSecrets(t, p, "detail after sync")
	run := p.Doc.Find(`[data-table="sync-runs"] tbody tr`).First()
	require.Equal(t, "succeeded", run.AttrOr("data-run-status", ""))
	require.Equal(t, "120", strings.TrimSpace(run.Find(`[data-cell="created"]`).Text()))
	p = owner.Get("/integrations")
	row := p.Doc.Find(`[data-integration="` + pid + `"]`)
	require.Equal(t, "healthy", row.Find("[data-health]").AttrOr("data-health", ""))
	require.Equal(t, "120", strings.TrimSpace(row.Find(`[data-cell="records"]`).Text()))
	require.NotEqual(t, "Never", strings.TrimSpace(row.Find(`[data-cell="last-success"]`).Text()))
	require.NotEqual(t, "—", strings.TrimSpace(row.Find(`[data-cell="next-run"]`).Text()))

	// Edit: secrets are not filled in; blank keeps them.
	p = owner.Get("/integrations/" + pid + "/edit")
	requireNoSecrets(t, p, "edit form")
	require.Empty(t, p.Doc.Find(`input[name="secret_key"]`).AttrOr("value", ""))
	p = owner.Post("/integrations/"+pid, url.Values{"name": {"Renamed"}, "secret_key": {""}, "webhook_secret": {""}, "interval_minutes": {"60"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	secrets, err := app.DB.IntegrationSecrets(ctx, owner.OrgID, in.ID, app.Keys)
	require.NoError(t, err)
	require.Equal(t, stripeKey, secrets["secret_key"])
	require.Equal(t, webhookSecret, secrets["webhook_secret"])

	// Pause and resume.
	require.Equal(t, http.StatusSeeOther, owner.Post("/integrations/"+pid+"/pause", nil).Status)
	p = owner.Get("/integrations")
	require.Equal(t, "paused", p.Doc.Find(`[data-integration="`+pid+`"] [data-health]`).AttrOr("data-health", ""))
	require.Equal(t, 1, owner.Get("/integrations/"+pid).Doc.Find(`[data-form="resume"]`).Length())
	require.Equal(t, http.StatusConflict, owner.Post("/integrations/"+pid+"/sync", nil).Status)
	require.Equal(t, http.StatusSeeOther, owner.Post("/integrations/"+pid+"/resume", nil).Status)
	in, err = app.DB.Integration(ctx, owner.OrgID, pid)
	require.NoError(t, err)
	require.Equal(t, store.IntegrationHealthy, in.Status)

	// Delete asks first; the payments stay.
	p = owner.Get("/integrations/" + pid + "/delete")
	require.Equal(t, 1, p.Doc.Find(`form[data-form="delete-integration"]`).Length())
	require.Equal(t, http.StatusSeeOther, owner.Post("/integrations/"+pid+"/delete", nil).Status)
	require.Equal(t, http.StatusNotFound, owner.Get("/integrations/"+pid).Status)
	var payments int
	require.NoError(t, app.Env.Admin.QueryRow(ctx, "select count(*) from payments where org_id = $1", owner.OrgID).Scan(&payments))
	require.Equal(t, 120, payments)
}

func TestIntegrationFormsExplainMistakesInline(t *testing.T) {
	t.Parallel()
	app, _ := integrationApp(t)
	owner := app.SignupOwner(t, "Forms Florals", "UTC", "USD")
	p := owner.Post("/integrations", url.Values{"provider": {"stripe"}, "secret_key": {""}, "webhook_secret": {"nope_" + webhookSecret},
		"interval_minutes": {"2"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	for _, f := range []string{"secret_key", "webhook_secret", "interval_minutes"} {
		require.NotEmptyf(t, p.Text(`[data-error-for="`+f+`"]`), "no message for %s", f)
	}
	requireNoSecrets(t, p, "422 form")
	require.Equal(t, "2", p.Doc.Find(`input[name="interval_minutes"]`).AttrOr("value", ""), "keeps what was typed")

	p = owner.Post("/integrations", url.Values{"provider": {"stripe"}, "secret_key": {"pk_live_publishable0000000000"}, "interval_minutes": {"3000"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	require.Contains(t, p.Text(`[data-error-for="secret_key"]`), "sk_")
	require.Contains(t, p.Text(`[data-error-for="interval_minutes"]`), "1440")
	require.NotContains(t, p.Body, "pk_live_publishable0000000000", "typed secrets are not echoed")

	// Every registered provider's form renders its fields; secrets as password inputs.
	for _, prov := range jobs.Providers().All() {
		p := owner.Get("/integrations/new?provider=" + prov.Name)
		require.Equal(t, http.StatusOK, p.Status, prov.Name)
		for _, f := range prov.Fields {
			sel := `input[name="` + f.Name + `"]`
			switch {
			case len(f.Choices) > 0:
				sel = `select[name="` + f.Name + `"]`
			case f.Secret:
				sel = `input[name="` + f.Name + `"][type="password"]`
			}
			require.Equalf(t, 1, p.Doc.Find(sel).Length(), "%s: %s", prov.Name, sel)
		}
	}

	p = owner.Post("/integrations", url.Values{"provider": {"nonsense"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	require.NotEmpty(t, p.Text(`[data-error-for="provider"]`))

	pid := addStripe(t, app, owner)
	p = owner.Post("/integrations/"+pid, url.Values{"name": {strings.Repeat("n", 101)}, "secret_key": {"rk_"}, "interval_minutes": {"x"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	require.NotEmpty(t, p.Text(`[data-error-for="interval_minutes"]`))
	requireNoSecrets(t, p, "422 edit form")
	var n int
	require.NoError(t, app.Env.Admin.QueryRow(context.Background(), "select count(*) from integrations").Scan(&n))
	require.Equal(t, 1, n, "nothing saved from the mistakes")
}

func TestIntegrationsOfAnotherOrgAreNotFound(t *testing.T) {
	t.Parallel()
	app, _ := integrationApp(t)
	alice := app.SignupOwner(t, "Alice Venue", "UTC", "USD")
	bob := app.SignupOwner(t, "Bob Bakes", "UTC", "USD")
	pid := addStripe(t, app, alice)

	require.NotContains(t, bob.Get("/integrations").Body, pid)
	for _, path := range []string{"", "/edit", "/delete"} {
		require.Equalf(t, http.StatusNotFound, bob.Get("/integrations/"+pid+path).Status, "GET %s", path)
	}
	for _, path := range []string{"", "/test", "/sync", "/pause", "/resume", "/delete"} {
		p := bob.Post("/integrations/"+pid+path, url.Values{"name": {"Hijacked"}, "interval_minutes": {"5"}})
		require.Equalf(t, http.StatusNotFound, p.Status, "POST %s", path)
	}
	in, err := app.DB.Integration(context.Background(), alice.OrgID, pid)
	require.NoError(t, err)
	require.Equal(t, "Main account", in.Name)
	require.Equal(t, store.IntegrationHealthy, in.Status)

	// Members of the organization itself see no integration pages either.
	member := app.AddMember(t, alice.OrgID, store.RoleMember)
	require.Equal(t, http.StatusForbidden, member.Get("/integrations/"+pid).Status)
	require.Equal(t, http.StatusForbidden, member.Post("/integrations/"+pid+"/sync", nil).Status)
}

func TestIntegrationPageSaysWhatKindOfTrouble(t *testing.T) {
	t.Parallel()
	app, fake := integrationApp(t)
	owner := app.SignupOwner(t, "Trouble Studio", "UTC", "USD")
	pid := addStripe(t, app, owner)
	fake.RevokeKey(stripeKey)
	require.Equal(t, http.StatusSeeOther, owner.Post("/integrations/"+pid+"/sync", nil).Status)
	require.Eventually(t, func() bool {
		in, err := app.DB.Integration(context.Background(), owner.OrgID, pid)
		return err == nil && in.Status == store.IntegrationNeedsReauth
	}, 10*time.Second, 10*time.Millisecond)
	p := owner.Get("/integrations/" + pid)
	require.Equal(t, "needs_reauth", p.Doc.Find("h1 [data-health]").AttrOr("data-health", ""))
	require.Contains(t, p.Text(`[data-trouble="credentials"]`), "enter a new key")
	require.Equal(t, "credentials", p.Doc.Find(`[data-table="sync-runs"] [data-error-class]`).AttrOr("data-error-class", ""))
	requireNoSecrets(t, p, "trouble page")
	p = owner.Get("/integrations")
	require.Contains(t, p.Text(`[data-integration="`+pid+`"] [data-trouble]`), "refused the credentials")
}

func between(s, start, end string) string {
	_, rest, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, end)
	return v
}
