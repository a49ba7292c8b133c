package handlers_test

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers/webtest"
)

// TestBrowserAlertBellAndAcknowledge: in headless Chromium the dashboard's bell counts a new
// alert live (over the page's one SSE connection), the alert page acknowledges it, and the bell
// goes back to zero.
func TestBrowserAlertBellAndAcknowledge(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	owner := app.SignupOwner(t, "Bellflower Studio", "Europe/London", "GBP")
	app.WaitForSnapshot(t, owner.OrgID)
	browser := webtest.NewBrowser(t)
	ctx := browser.NewContext(t, 90*time.Second)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(app.URL+"/login"),
		chromedp.SendKeys(chromedp.CSS("#f-email"), owner.Email),
		chromedp.SendKeys(chromedp.CSS("#f-password"), owner.Password),
		chromedp.Click(chromedp.CSS(`[data-form="login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("[data-dashboard]")),
		chromedp.WaitReady(chromedp.CSS(`#alert-bell [data-unread="0"]`)),
		chromedp.WaitReady(chromedp.CSS(`body[data-live="connected"]`)),
	))
	lowReview(t, app, owner.OrgID, "Rang the bell")
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#alert-bell .badge[data-unread="1"]`))),
		"the bell shows the new alert without a reload")

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#alert-bell`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-table="alerts"] tbody tr a`)),
		chromedp.Click(chromedp.CSS(`[data-table="alerts"] tbody tr a`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-form="acknowledge"] button`)),
		chromedp.Click(chromedp.CSS(`[data-form="acknowledge"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-field="acknowledged"]`)),
	))
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-field="status"]`)))
	require.NoError(t, err)
	require.Equal(t, "acknowledged", status)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(app.URL+"/dashboard"),
		chromedp.WaitReady(chromedp.CSS(`#alert-bell [data-unread="0"]`)),
	))
}
