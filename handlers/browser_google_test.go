package handlers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers/webtest"
)

// TestBrowserConnectGoogleAndPushedWeddingAppearsLive: in Chromium an admin adds Google Calendar
// and clicks "Connect with Google Calendar"; the browser goes through the (fake) consent page and
// back to the integration page, and the first sync runs. With the dashboard open, a new wedding
// is added to the calendar at Google: Google pushes its notification, the incremental sync
// brings the event, and it appears among the upcoming weddings, marked as in the calendar with
// no booking, without a reload.
func TestBrowserConnectGoogleAndPushedWeddingAppearsLive(t *testing.T) {
	t.Parallel()
	app, f := oauthApp(t, 0)
	f.google.AddEvent("primary", googleAllDay("Studio admin day", time.Now().AddDate(0, 0, 2).Truncate(24*time.Hour)))
	owner := app.SignupOwner(t, "Live Calendar Films", "UTC", "GBP")

	browser := webtest.NewBrowser(t)
	ctx := browser.NewContext(t, 90*time.Second)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(app.URL+"/login"),
		chromedp.SendKeys(chromedp.CSS("#f-email"), owner.Email),
		chromedp.SendKeys(chromedp.CSS("#f-password"), owner.Password),
		chromedp.Click(chromedp.CSS(`[data-form="login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-kpi="revenue_mtd"]`)),
		chromedp.Navigate(app.URL+"/integrations/new?provider=google"),
		chromedp.WaitVisible(chromedp.CSS(`[data-action="oauth-connect"]`)),
	))
	label, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-action="oauth-connect"]`)))
	require.NoError(t, err)
	require.Contains(t, label, "Connect with Google")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#f-wedding_match"), "wedding, elopement"),
		chromedp.Click(chromedp.CSS(`[data-action="oauth-connect"]`)),
		// Consent (the fake approves), callback, and the new integration's page.
		chromedp.WaitVisible(chromedp.CSS(`[data-section="actions"]`)),
	))
	loc, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	pid := strings.TrimPrefix(loc, app.URL+"/integrations/")
	require.True(t, strings.HasPrefix(pid, "int_"), loc)
	require.Len(t, f.auth.Authorizations(), 1, "the browser went through the consent page")
	waitSynced(t, app, owner.OrgID, pid, 0)
	require.Len(t, f.google.Channels(), 1)

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(app.URL+"/dashboard"),
		chromedp.WaitVisible(chromedp.CSS(`body[data-live="connected"] [data-kpi="revenue_mtd"]`)),
	))
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`window.googleTestMark = true`))
	require.NoError(t, err)
	rows := func() string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](
			`Array.from(document.querySelectorAll('[data-table="upcoming_weddings"] tr[data-calendar-event]')).map(r => r.textContent).join('|')`))
		require.NoError(t, err)
		return s
	}
	require.Empty(t, rows())

	day := time.Now().UTC().AddDate(0, 0, 9)
	sent := time.Now()
	f.google.AddEvent("primary", googleAllDay("Hartley & Quinn wedding", time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)))
	pushes := f.google.Notifications()
	require.Equal(t, http.StatusOK, pushes[len(pushes)-1].Status, "the push was accepted")

	var shown string
	var took time.Duration
	for deadline := sent.Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if shown = rows(); shown != "" {
			took = time.Since(sent)
			break
		}
	}
	t.Logf("RESULT browser_google_push_to_dashboard_ms %d ms", took.Milliseconds())
	require.Contains(t, shown, "Hartley & Quinn wedding", "the pushed wedding appears on the open dashboard")
	require.Contains(t, shown, "in calendar, no booking")
	live, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.getAttribute('data-live') + ' ' + (window.googleTestMark === true)`))
	require.NoError(t, err)
	require.Equal(t, "connected true", live, "swapped live, not reloaded")
}
