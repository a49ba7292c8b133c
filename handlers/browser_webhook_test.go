package handlers_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers/webtest"
	"github.com/wedsync/wedsync/jobs/connector/stripe/stripetest"
)

// TestBrowserStripeWebhookMovesOpenDashboard: an owner's dashboard is open and live in
// Chromium; Stripe (the fake) takes a new card payment and delivers the signed charge.succeeded
// event to the integration's webhook address; revenue_mtd on the open page grows by the charge
// without a reload. The whole way runs for real: signature check, the stored event,
// process_webhook reading the charge back through stripe-go, the page upsert, the recompute, the
// NOTIFY, the hub and the page's SSE stream.
func TestBrowserStripeWebhookMovesOpenDashboard(t *testing.T) {
	t.Parallel()
	app, fake := integrationApp(t)
	owner := app.SignupOwner(t, "Webhook Live Photography", "America/New_York", "USD")
	pid := addStripe(t, app, owner) // through the form, with the webhook signing secret
	app.WaitForSnapshot(t, owner.OrgID)

	browser := webtest.NewBrowser(t)
	ctx := browser.NewContext(t, 90*time.Second)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(app.URL+"/login"),
		chromedp.SendKeys(chromedp.CSS("#f-email"), owner.Email),
		chromedp.SendKeys(chromedp.CSS("#f-password"), owner.Password),
		chromedp.Click(chromedp.CSS(`[data-form="login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-live="connected"] [data-kpi="revenue_mtd"]`)),
	))
	revenue := func() int64 {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-kpi="revenue_mtd"]').getAttribute('data-value')`))
		require.NoError(t, err)
		n, err := strconv.ParseInt(v, 10, 64)
		require.NoErrorf(t, err, "revenue_mtd data-value %q", v)
		return n
	}
	before := revenue()
	// A mark on this document: a reload would lose it.
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.webhookTestMark = true`))
	require.NoError(t, err)

	// A couple pays their balance by card: Stripe has the charge and tells us.
	ch := fake.AddCharge(stripetest.Charge{Amount: 245_000, Currency: "usd", Fee: 7_135, Email: "couple@example.com",
		Description: "Wedding balance", Metadata: map[string]string{"booking_id": "no-such-booking"}})
	payload, err := fake.Event("charge.succeeded", ch.ID)
	require.NoError(t, err)
	sent := time.Now()
	status, body, _ := postWebhook(t, app.URL+"/webhooks/stripe/"+pid, payload, stripetest.Sign(payload, webhookSecret, time.Time{}))
	require.Equal(t, http.StatusOK, status, body)

	var after int64
	var took time.Duration
	for deadline := sent.Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if after = revenue(); after != before {
			took = time.Since(sent)
			break
		}
	}
	t.Logf("RESULT browser_webhook_to_dashboard_ms %d ms", took.Milliseconds())
	require.Positive(t, took, "revenue_mtd did not change on the open dashboard within 5 s of the webhook")
	require.Equal(t, before+245_000, after, "revenue_mtd grew by the charge")

	// Still the same document, still connected: the card was swapped live, not reloaded.
	live, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.getAttribute('data-live') + ' ' + (window.webhookTestMark === true)`))
	require.NoError(t, err)
	require.Equal(t, "connected true", live)
	var stored int
	require.NoError(t, app.Env.Admin.QueryRow(context.Background(),
		"select count(*) from payments where external_id = $1 and provider = 'stripe' and fee = 7135", ch.ID).Scan(&stored))
	require.Equal(t, 1, stored)
}
