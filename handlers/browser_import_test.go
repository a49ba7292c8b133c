package handlers_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers/webtest"
)

// TestBrowserCSVImportShowsLiveProgress: in Chromium, an owner uploads a HoneyBook export from
// the integration page, sees the guessed columns and the preview, confirms, and watches the
// progress section update itself (htmx polling under the page's CSP) until the summary, without
// a reload.
func TestBrowserCSVImportShowsLiveProgress(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	owner := app.SignupOwner(t, "Browser Import Studio", "America/New_York", "USD")
	pid, _ := addZapierCRM(t, app, owner, "honeybook")
	var b strings.Builder
	b.WriteString("Project ID,Client Name,Client Email,Project Stage,Inquiry Date,Project Date,Total Project Value\r\n")
	for i := range 1500 {
		fmt.Fprintf(&b, "HB-%d,Couple %d,c%d@example.com,Booked,01/%02d/2026,06/12/2027,\"3,000.00\"\r\n", i, i, i, i%28+1)
	}
	file := filepath.Join(t.TempDir(), "honeybook.csv")
	require.NoError(t, os.WriteFile(file, []byte(b.String()), 0o644))

	browser := webtest.NewBrowser(t)
	ctx := browser.NewContext(t, 120*time.Second)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(app.URL+"/login"),
		chromedp.SendKeys(chromedp.CSS("#f-email"), owner.Email),
		chromedp.SendKeys(chromedp.CSS("#f-password"), owner.Password),
		chromedp.Click(chromedp.CSS(`[data-form="login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-dashboard]`)), // logged in: the next navigation cannot abort this one
		chromedp.Navigate(app.URL+"/integrations/"+pid),
		chromedp.SetUploadFiles(chromedp.CSS(`[data-section="import"] input[name="file"]`), []string{file}),
		chromedp.Click(chromedp.CSS(`[data-section="import"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-table="preview"] tr[data-line="2"]`)),
	))
	client, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-table="preview"] tr[data-line="2"] [data-cell="client"]').textContent`))
	require.NoError(t, err)
	require.Equal(t, "Couple 0", client)

	// The sync queue waits while the import is confirmed, so the progress section is seen.
	require.NoError(t, app.Jobs.Client.QueuePause(context.Background(), "sync", nil))
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-action="confirm-import"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-section="import-progress"]`)),
	))
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`window.importTestMark = true`))
	require.NoError(t, err)
	require.NoError(t, app.Jobs.Client.QueueResume(context.Background(), "sync", nil))
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`[data-section="import-summary"]`))))
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`document.querySelector('[data-count="created"]').textContent + ' ' + (window.importTestMark === true)`))
	require.NoError(t, err)
	require.Equal(t, "1500 true", got, "the summary arrived in the same document")
}
