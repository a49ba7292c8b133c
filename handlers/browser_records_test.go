package handlers_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers/webtest"
)

// dashboardKPIScript reads every dashboard card's raw value: data-kpi name to data-value.
const dashboardKPIScript = `Object.fromEntries(Array.from(document.querySelectorAll('[data-kpi]'),
	e => [e.getAttribute('data-kpi'), e.getAttribute('data-value') || '']))`

// TestBrowserInquiryToDeposit walks issue 3's journey in headless Chromium: log in, add an
// inquiry through its form, convert it to a booking, record a deposit (after a mistake the form
// explains), and watch inquiries_mtd, bookings_mtd and revenue_mtd move on the dashboard.
func TestBrowserInquiryToDeposit(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	owner := app.SignupOwner(t, "Juniper Films", "America/New_York", "USD")
	browser := webtest.NewBrowser(t)
	ctx := browser.NewContext(t, 90*time.Second)
	run := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		require.NoError(t, chromedp.Do(ctx, steps...))
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		require.NoError(t, err)
		return strings.TrimSpace(s)
	}

	run(chromedp.Navigate(app.URL+"/login"),
		chromedp.SendKeys(chromedp.CSS("#f-email"), owner.Email),
		chromedp.SendKeys(chromedp.CSS("#f-password"), owner.Password),
		chromedp.Click(chromedp.CSS(`[data-form="login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("form.logout")))
	app.WaitForSnapshot(t, owner.OrgID)
	before := readKPIs(t, ctx, app.URL)

	// An inquiry through the form.
	run(chromedp.Navigate(app.URL+"/records/inquiries/new"),
		chromedp.WaitVisible(chromedp.CSS(`[data-form="inquiries"]`)),
		chromedp.SendKeys(chromedp.CSS("#f-source"), "instagram"),
		chromedp.SetValue(chromedp.CSS("#f-wedding_date"), time.Now().AddDate(1, 0, 0).Format(time.DateOnly)),
		chromedp.SendKeys(chromedp.CSS("#f-estimated_value"), "4500"),
		chromedp.Click(chromedp.CSS(`[data-form="inquiries"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`table[data-table="inquiries"] [data-convert]`)))
	require.Contains(t, text(".flash"), "Inquiry added")

	// Converted to a booking through the prefilled form.
	run(chromedp.Click(chromedp.CSS(`[data-convert]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-form="convert"]`)))
	amount, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#f-contract_amount")))
	require.NoError(t, err)
	require.Equal(t, "4500.00", amount, "prefilled from the inquiry")
	run(chromedp.Click(chromedp.CSS(`[data-form="convert"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-booking-links] [data-record-payment]`)))
	require.Contains(t, text(".flash"), "Inquiry booked")

	// A deposit: first a mistake, explained next to the field, then the right amount.
	run(chromedp.Click(chromedp.CSS(`[data-booking-links] [data-record-payment]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-form="payments"]`)),
		chromedp.SendKeys(chromedp.CSS("#f-amount"), "1350.005"),
		chromedp.Click(chromedp.CSS(`[data-form="payments"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-error-for="amount"]`)))
	require.Contains(t, text(`[data-error-for="amount"]`), "decimal places")
	screenshotRecords(t, ctx, "payment-form-errors")
	run(chromedp.Clear(chromedp.CSS("#f-amount")),
		chromedp.SendKeys(chromedp.CSS("#f-amount"), "1,350"),
		chromedp.SendKeys(chromedp.CSS("#f-note"), "Deposit"),
		chromedp.Click(chromedp.CSS(`[data-form="payments"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`table[data-table="payments"]`)))
	require.Contains(t, text(`table[data-table="payments"] tbody tr`), "$1,350.00")
	screenshotRecords(t, ctx, "payments-list")

	// The dashboard catches up (the snapshot is recomputed by a River job).
	app.WaitForSnapshot(t, owner.OrgID)
	want := map[string]int64{"inquiries_mtd": 1, "bookings_mtd": 1, "revenue_mtd": 135000}
	var after map[string]string
	deadline := time.Now().Add(10 * time.Second)
	for {
		after = readKPIs(t, ctx, app.URL)
		if kpisMoved(before, after, want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	for name, delta := range want {
		require.Equalf(t, kpiInt(t, before, name)+delta, kpiInt(t, after, name), "%s moves by %d", name, delta)
	}
}

// readKPIs loads the dashboard and reads its cards; it fails clearly when there are none.
func readKPIs(t *testing.T, ctx context.Context, base string) map[string]string {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+"/dashboard")))
	kpis, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](dashboardKPIScript))
	require.NoError(t, err)
	for _, name := range []string{"inquiries_mtd", "bookings_mtd", "revenue_mtd"} {
		_, ok := kpis[name]
		require.Truef(t, ok, `the dashboard shows [data-kpi=%q] with a data-value`, name)
	}
	return kpis
}

func kpiInt(t *testing.T, kpis map[string]string, name string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(kpis[name], 10, 64)
	require.NoErrorf(t, err, "%s=%q is an integer", name, kpis[name])
	return n
}

func kpisMoved(before, after map[string]string, want map[string]int64) bool {
	for name, delta := range want {
		b, err1 := strconv.ParseInt(before[name], 10, 64)
		a, err2 := strconv.ParseInt(after[name], 10, 64)
		if err1 != nil || err2 != nil || a != b+delta {
			return false
		}
	}
	return true
}

// screenshotRecords saves screenshots of the current page at desktop and phone widths when
// WEDSYNC_SCREENSHOTS names a directory (for looking at the pages; not an assertion).
func screenshotRecords(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("WEDSYNC_SCREENSHOTS")
	if dir == "" {
		return
	}
	for _, w := range []int64{1280, 390} {
		require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(w, 900)))
		buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 is PNG
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+"-"+strconv.FormatInt(w, 10)+".png"), buf, 0o644))
	}
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)))
}
