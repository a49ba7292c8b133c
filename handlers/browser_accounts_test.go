package handlers_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers/webtest"
)

// TestBrowserSignupInviteJoin walks issue 2's journey in headless Chromium: sign up, log out,
// log in, open the dashboard, invite a member, and join through the link in a second context.
func TestBrowserSignupInviteJoin(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	browser := webtest.NewBrowser(t)
	owner := browser.NewContext(t, 90*time.Second)
	text := func(ctx chromedp.Action[string]) string {
		s, err := chromedp.Run(owner, ctx)
		require.NoError(t, err)
		return strings.TrimSpace(s)
	}

	require.NoError(t, chromedp.Do(owner,
		chromedp.Navigate(app.URL+"/signup"),
		chromedp.SendKeys(chromedp.CSS("#f-org_name"), "Lantern Light Photography"),
		chromedp.SetValue(chromedp.CSS("#f-timezone"), "America/Denver"),
		chromedp.SetValue(chromedp.CSS("#f-currency"), "USD"),
		chromedp.SendKeys(chromedp.CSS("#f-name"), "Rosa"),
		chromedp.SendKeys(chromedp.CSS("#f-email"), "rosa@lantern.test"),
		chromedp.SendKeys(chromedp.CSS("#f-password"), "short"),
		chromedp.Click(chromedp.CSS(`[data-form="signup"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-error-for="password"]`)),
	))
	require.Contains(t, text(chromedp.Text(chromedp.CSS(`[data-error-for="password"]`))), "8 characters")

	require.NoError(t, chromedp.Do(owner,
		chromedp.SendKeys(chromedp.CSS("#f-password"), "a much longer password"),
		chromedp.Click(chromedp.CSS(`[data-form="signup"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("[data-dashboard]")),
	))
	require.Contains(t, text(chromedp.Text(chromedp.CSS("h1"))), "Lantern Light Photography")

	for _, step := range []struct {
		name string
		act  chromedp.Action[struct{}]
	}{
		{"log out", chromedp.Click(chromedp.CSS(`form.logout button`))},
		{"login page", chromedp.WaitVisible(chromedp.CSS(`[data-form="login"]`))},
		{"email", chromedp.SendKeys(chromedp.CSS("#f-email"), "rosa@lantern.test")},
		{"password", chromedp.SendKeys(chromedp.CSS("#f-password"), "a much longer password")},
		{"log in", chromedp.Click(chromedp.CSS(`[data-form="login"] button[type=submit]`))},
		{"dashboard", chromedp.WaitVisible(chromedp.CSS("[data-dashboard]"))},
		{"team page", chromedp.Navigate(app.URL + "/team")},
		{"role", chromedp.SetValue(chromedp.CSS("#f-role"), "member")},
		{"invite", chromedp.Click(chromedp.CSS(`[data-form="invite"] button[type=submit]`))},
		{"invite link", chromedp.WaitVisible(chromedp.CSS("[data-invite-link]"))},
	} {
		require.NoError(t, chromedp.Do(owner, step.act), step.name)
	}
	link, err := chromedp.Run(owner, chromedp.Value(chromedp.CSS("[data-invite-link]")))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(link, app.URL+"/invite/"), link)

	guest := browser.NewContext(t, 90*time.Second)
	require.NoError(t, chromedp.Do(guest,
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.CSS(`[data-form="join"]`)),
		chromedp.SendKeys(chromedp.CSS("#f-name"), "Theo"),
		chromedp.SendKeys(chromedp.CSS("#f-email"), "theo@lantern.test"),
		chromedp.SendKeys(chromedp.CSS("#f-password"), "theo's password"),
		chromedp.Click(chromedp.CSS(`[data-form="join"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("[data-dashboard]")),
	))
	h1, err := chromedp.Run(guest, chromedp.Text(chromedp.CSS("h1")))
	require.NoError(t, err)
	require.Contains(t, h1, "Lantern Light Photography")
	nav, err := chromedp.Run(guest, chromedp.Text(chromedp.CSS(".mainnav")))
	require.NoError(t, err)
	require.NotContains(t, nav, "Settings", "a member sees no admin links")
}
