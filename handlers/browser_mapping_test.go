package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers/webtest"
)

// TestBrowserMappingPreviewFollowsTyping: in Chromium, typing a wedding word into a calendar
// integration's form re-classifies the previewed events without a reload or a save, and a
// broken pattern shows its message under the preview as it is typed.
func TestBrowserMappingPreviewFollowsTyping(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	owner := app.SignupOwner(t, "Typing Studio", "Europe/London", "GBP")
	ctx := context.Background()
	p := owner.Post("/integrations", url.Values{"provider": {"ical"}, "name": {"Studio calendar"},
		"feed_url": {"https://calendar.example/private-xyz/basic.ics"}, "interval_minutes": {"60"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	pid := strings.TrimPrefix(p.Location(), "/integrations/")
	_, err := app.Env.Admin.Exec(ctx, `insert into calendar_events (org_id, integration_id, external_id, title, starts_at, ends_at, kind)
		select org_id, id, 'e1', 'Coffee with Sam & Kit', now() + interval '3 days', now() + interval '3 days 2 hours', 'other'
		from integrations where public_id = $1`, pid)
	require.NoError(t, err)

	browser := webtest.NewBrowser(t)
	bctx := browser.NewContext(t, 90*time.Second)
	row := `[data-preview-row][data-title="Coffee with Sam & Kit"]`
	require.NoError(t, chromedp.Do(bctx,
		chromedp.Navigate(app.URL+"/login"),
		chromedp.SendKeys(chromedp.CSS("#f-email"), owner.Email),
		chromedp.SendKeys(chromedp.CSS("#f-password"), owner.Password),
		chromedp.Click(chromedp.CSS(`[data-form="login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-kpi="revenue_mtd"]`)),
		chromedp.Navigate(app.URL+"/integrations/"+pid+"/edit"),
		chromedp.WaitVisible(chromedp.CSS(row+`[data-kind="other"]`)),
	))
	_, err = chromedp.Run(bctx, chromedp.Evaluate[bool](`window.previewMark = true`))
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(bctx,
		chromedp.SendKeys(chromedp.CSS("#f-wedding_match"), "coffee"),
		chromedp.WaitVisible(chromedp.CSS(row+`[data-kind="wedding"].changed`)),
		chromedp.SendKeys(chromedp.CSS("#f-consultation_match"), "/([a/"),
		chromedp.WaitVisible(chromedp.CSS(`[data-preview-error="consultation_match"]`)),
	))
	same, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`window.previewMark === true`))
	require.NoError(t, err)
	require.True(t, same, "the preview was swapped in place, not reloaded")
	var kind string
	require.NoError(t, app.Env.Admin.QueryRow(ctx, `select kind from calendar_events where external_id = 'e1'`).Scan(&kind))
	require.Equal(t, "other", kind, "typing saves nothing")
}
