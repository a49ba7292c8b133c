package handlers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers/webtest"
	"github.com/wedsync/wedsync/jobs"
)

// TestBrowserJobConsoleCancelsAJob: in headless Chromium, under the app's content security
// policy, the operator's console shows a scheduled job and cancels it through its own API, which
// the same-origin guard lets through.
func TestBrowserJobConsoleCancelsAJob(t *testing.T) {
	t.Parallel()
	app, opOrg, email := operatorApp(t)
	ctx := context.Background()
	res, err := app.Jobs.Client.Insert(ctx, jobs.RecomputeArgs{OrgID: opOrg}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
	require.NoError(t, err)
	browser := webtest.NewBrowser(t)
	page := browser.NewContext(t, 90*time.Second)
	require.NoError(t, chromedp.Do(page,
		chromedp.Navigate(app.URL+"/login"),
		chromedp.SendKeys(chromedp.CSS("#f-email"), email),
		chromedp.SendKeys(chromedp.CSS("#f-password"), "correct-horse"),
		chromedp.Click(chromedp.CSS(`[data-form="login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("[data-dashboard]")),
		chromedp.Navigate(fmt.Sprintf("%s/admin/jobs/jobs/%d", app.URL, res.Job.ID)),
		chromedp.WaitVisible(chromedp.Search(`//*[contains(text(), "recompute_metrics")]`)),
		chromedp.Click(chromedp.Search(`//button[normalize-space(.)="Cancel"]`)),
	), "the console renders the job and offers Cancel")
	require.Eventually(t, func() bool {
		j, err := app.Jobs.Client.JobGet(ctx, res.Job.ID)
		require.NoError(t, err)
		return j.State == rivertype.JobStateCancelled
	}, 15*time.Second, 50*time.Millisecond, "the console's cancel reached River")
}
