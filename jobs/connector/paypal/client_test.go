package paypal

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/paypal/paypaltest"
	"github.com/wedsync/wedsync/store"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// setup starts fake with clk as its clock and returns a client for it; mod adjusts the config.
func setup(t *testing.T, fake *paypaltest.Server, clk *clock, mod func(*Config)) *Client {
	t.Helper()
	fake.ClientID, fake.Secret, fake.Now = "client-id", "client-secret", clk.Now
	ts := fake.Start()
	t.Cleanup(ts.Close)
	cfg := Config{BaseURL: ts.URL, HTTPClient: ts.Client(), ClientID: "client-id", Secret: "client-secret",
		Since: t0.Add(-75 * day), Now: clk.Now}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	require.NoError(t, err)
	return c
}

// syncRun fetches until Done, upserting into rows as the framework would; no page may repeat an id.
func syncRun(t *testing.T, c *Client, cursor json.RawMessage, rows map[string]store.PaymentRow) (json.RawMessage, int) {
	t.Helper()
	for pages := 1; pages < 2000; pages++ {
		page, err := c.Fetch(context.Background(), cursor)
		require.NoError(t, err)
		seen := map[string]bool{}
		for _, r := range page.Records {
			require.Equal(t, connector.KindPayment, r.Kind)
			require.False(t, seen[r.ExternalID], "id %s twice in one page", r.ExternalID)
			seen[r.ExternalID] = true
			row := r.Row.(store.PaymentRow)
			require.Equal(t, r.ExternalID, row.ExternalID)
			require.Equal(t, "paypal", row.Provider)
			require.True(t, row.Amount >= 0 && row.Fee >= 0 && row.RefundedAmount >= 0 && row.RefundedAmount <= row.Amount, row)
			rows[r.ExternalID] = row
		}
		cursor = page.Cursor
		if page.Done {
			return cursor, pages
		}
	}
	t.Fatal("sync never finished")
	return nil, 0
}

func TestParseAmount(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, cur string
		want    int64
		ok      bool
	}{
		{"-78.00", "USD", -7800, true}, {"1234.5", "USD", 123450, true}, {"0.07", "USD", 7, true},
		{"1234", "JPY", 1234, true}, {"1234.00", "JPY", 1234, true}, {"-5", "JPY", -5, true},
		{".5", "EUR", 50, true}, {"1.234", "BHD", 1234, true}, {"100", "USD", 10000, true},
		{"0.10", "USD", 10, true}, {"0.070", "USD", 7, true}, {"100000000000.00", "USD", store.MaxMoney, true},
		{"1234.5", "JPY", 0, false}, {"0.001", "USD", 0, false}, {"1.", "USD", 0, false}, {"", "USD", 0, false},
		{"1e3", "USD", 0, false}, {"1,234.00", "USD", 0, false}, {"--1", "USD", 0, false}, {"12 3", "USD", 0, false},
		{"100000000000.01", "USD", 0, false}, {"99999999999999999999", "USD", 0, false},
	} {
		got, err := ParseAmount(tc.in, tc.cur)
		if !tc.ok {
			require.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
	at, err := ParseTime("2019-06-04T01:27:43+0000")
	require.NoError(t, err)
	require.Equal(t, time.Date(2019, 6, 4, 1, 27, 43, 0, time.UTC), at)
	at, err = ParseTime("2019-06-04T01:27:43-0700")
	require.NoError(t, err)
	require.Equal(t, time.Date(2019, 6, 4, 8, 27, 43, 0, time.UTC), at)
}

func TestWindowsOverlapAcross75Days(t *testing.T) {
	t.Parallel()
	clk := &clock{t0}
	fake := paypaltest.New()
	c := setup(t, fake, clk, func(cfg *Config) { cfg.PageSize = 10 })
	since := t0.Add(-75 * day)
	for i := range 75 {
		fake.Add(paypaltest.Payment(fmt.Sprintf("D%02d", i), fmt.Sprintf("%d.5", 100+i), "-2.00", "USD", since.Add(time.Duration(i)*day+time.Hour)))
	}
	edge := since.Add(MaxWindow - time.Hour) // in the first window and in the overlap of the second
	fake.Add(paypaltest.Payment("EDGE", "0.07", "", "USD", edge), paypaltest.Payment("YEN", "1234", "-40", "JPY", t0.Add(-time.Hour)))

	rows := map[string]store.PaymentRow{}
	cursor, _ := syncRun(t, c, nil, rows)
	require.Len(t, rows, 77)
	for i := range 75 {
		row := rows[fmt.Sprintf("D%02d", i)]
		require.Equal(t, int64(10000+100*i+50), row.Amount)
		require.Equal(t, int64(200), row.Fee)
		require.Equal(t, "succeeded", row.Status)
	}
	require.Equal(t, int64(7), rows["EDGE"].Amount)
	require.Equal(t, store.PaymentRow{ExternalID: "YEN", Provider: "paypal", Amount: 1234, Fee: 40, Currency: "JPY", Status: "succeeded",
		PaidAt: t0.Add(-time.Hour), Note: "Wedding photography"}, rows["YEN"])

	windows := map[[2]time.Time]int{}
	var order [][2]time.Time
	for _, s := range fake.Searches() {
		w := [2]time.Time{s.Start, s.End}
		if windows[w] == 0 {
			order = append(order, w)
		}
		windows[w]++
		require.LessOrEqual(t, s.End.Sub(s.Start), MaxWindow)
		require.Equal(t, 10, s.PageSize)
	}
	require.Equal(t, [][2]time.Time{
		{since, since.Add(MaxWindow)},
		{since.Add(MaxWindow - LateData), since.Add(2*MaxWindow - LateData)},
		{since.Add(2*MaxWindow - 2*LateData), t0},
	}, order)
	require.Equal(t, 4, windows[order[0]], "32 transactions, pages of 10")
	require.Equal(t, 1, fake.TokenRequests(), "one token for every page")

	var cur Cursor
	require.NoError(t, json.Unmarshal(cursor, &cur))
	require.Equal(t, Cursor{WindowStart: t0.Add(-LateData), Page: 1}, cur)

	// A transaction initiated before the sync ended but landing after it is caught by the overlap.
	fake.AddLate(paypaltest.Payment("LATE", "-78.00", "", "USD", t0.Add(-2*time.Hour)), t0.Add(30*time.Minute))
	fake.AddLate(paypaltest.Payment("LATE2", "78.00", "", "USD", t0.Add(-2*time.Hour)), t0.Add(30*time.Minute))
	clk.now = t0.Add(time.Hour)
	rows = map[string]store.PaymentRow{}
	_, pages := syncRun(t, c, cursor, rows)
	require.Equal(t, 1, pages)
	require.Equal(t, int64(7800), rows["LATE2"].Amount)
	require.NotContains(t, rows, "LATE", "money sent is not a payment received")
	require.Contains(t, rows, "YEN")
}

func TestDuplicateIDsCollapse(t *testing.T) {
	t.Parallel()
	clk := &clock{t0}
	fake := paypaltest.New()
	c := setup(t, fake, clk, func(cfg *Config) { cfg.PageSize = 3; cfg.Since = t0.Add(-day) })
	pending := paypaltest.Payment("DUP1", "250.00", "-7.55", "USD", t0.Add(-5*time.Hour))
	pending.TransactionInfo.TransactionStatus = "P"
	done := pending
	done.TransactionInfo.TransactionStatus = "S"
	done.TransactionInfo.TransactionUpdatedDate = t0.Add(-4 * time.Hour).Format(paypaltest.DateLayout)
	fake.Add(done, pending) // the same page, newest first
	twice := paypaltest.Payment("DUP2", "10.00", "", "USD", t0.Add(-2*time.Hour))
	fake.Add(twice, twice) // third and fourth: across the page boundary
	fake.Add(paypaltest.Payment("A", "1.00", "", "USD", t0.Add(-time.Hour)), paypaltest.Payment("B", "2.00", "", "USD", t0.Add(-time.Minute)))
	rows := map[string]store.PaymentRow{}
	_, pages := syncRun(t, c, nil, rows)
	require.Equal(t, 2, pages)
	require.Len(t, rows, 4)
	require.Equal(t, "succeeded", rows["DUP1"].Status)
	require.Equal(t, int64(25000), rows["DUP1"].Amount)
	require.Equal(t, int64(755), rows["DUP1"].Fee)
	require.Equal(t, int64(1000), rows["DUP2"].Amount)
}

func TestRefundsKeepNetAmountsRight(t *testing.T) {
	t.Parallel()
	clk := &clock{t0}
	fake := paypaltest.New()
	var bad []error
	c := setup(t, fake, clk, func(cfg *Config) { cfg.OnBadRecord = func(err error) { bad = append(bad, err) } })
	since := t0.Add(-75 * day)
	reversed := paypaltest.Payment("O2", "50.00", "-1.75", "EUR", since.Add(2*day))
	reversed.TransactionInfo.TransactionStatus = "V"
	fake.Add(
		paypaltest.Payment("O1", "100.00", "-3.20", "USD", since.Add(day)),
		paypaltest.Refund("R1", "O1", "-78.00", "", "USD", since.Add(day+time.Hour)), // same page
		reversed, paypaltest.Refund("R2", "O2", "-50.00", "1.75", "EUR", since.Add(3*day)),
		paypaltest.Payment("O3", "1234.5", "-36.10", "USD", since.Add(5*day)),
		paypaltest.Refund("R3a", "O3", "-34.50", "", "USD", since.Add(40*day)),  // next window: orphan
		paypaltest.Refund("R3b", "O3", "-200.00", "", "USD", since.Add(70*day)), // third window: orphan
		paypaltest.Refund("R4", "GONE", "-5.00", "", "USD", since.Add(50*day)),  // payment never found
		paypaltest.Payment("O5", "0.07", "", "USD", since.Add(60*day)),
	)
	rows := map[string]store.PaymentRow{}
	_, _ = syncRun(t, c, nil, rows)
	require.Len(t, rows, 4)
	require.Equal(t, store.PaymentRow{ExternalID: "O1", Provider: "paypal", Amount: 10000, RefundedAmount: 7800, Fee: 320,
		Currency: "USD", Status: "partially_refunded", PaidAt: since.Add(day), Note: "Wedding photography"}, rows["O1"])
	require.Equal(t, "refunded", rows["O2"].Status)
	require.Equal(t, int64(5000), rows["O2"].RefundedAmount)
	require.Equal(t, store.PaymentRow{ExternalID: "O3", Provider: "paypal", Amount: 123450, RefundedAmount: 23450, Fee: 3610,
		Currency: "USD", Status: "partially_refunded", PaidAt: since.Add(5 * day), Note: "Wedding photography"}, rows["O3"])
	require.Len(t, bad, 1)
	require.Contains(t, bad[0].Error(), `"GONE"`)

	net := map[string]int64{}
	for _, r := range rows {
		net[r.Currency] += store.Payment{Amount: r.Amount, RefundedAmount: r.RefundedAmount, Status: r.Status}.Net()
	}
	require.Equal(t, map[string]int64{"USD": 2200 + 100000 + 7, "EUR": 0}, net)

	// The same data read again, with other page boundaries, ends in the same rows.
	again := map[string]store.PaymentRow{}
	c2 := setup(t, fake, clk, func(cfg *Config) { cfg.PageSize = 1 })
	_, _ = syncRun(t, c2, nil, again)
	require.Equal(t, rows, again)
}

func TestTokenIsCachedAndRefreshed(t *testing.T) {
	t.Parallel()
	clk := &clock{t0}
	fake := paypaltest.New()
	fake.TokenTTL = 9 * time.Hour
	tokens := NewTokenCache()
	c := setup(t, fake, clk, func(cfg *Config) { cfg.PageSize = 1; cfg.Since = t0.Add(-day); cfg.Tokens = tokens })
	for i := range 6 {
		fake.Add(paypaltest.Payment(fmt.Sprintf("T%d", i), "10.00", "", "USD", t0.Add(-time.Duration(i+1)*time.Hour)))
	}
	rows := map[string]store.PaymentRow{}
	cursor, pages := syncRun(t, c, nil, rows)
	require.Equal(t, 6, pages)
	require.Equal(t, 1, fake.TokenRequests())

	// Another client with the same credentials and cache reuses the token.
	c2, err := New(Config{BaseURL: c.cfg.BaseURL, HTTPClient: c.http, ClientID: "client-id", Secret: "client-secret", Tokens: tokens, Now: clk.Now})
	require.NoError(t, err)
	require.NoError(t, c2.Test(context.Background()))
	require.Equal(t, 1, fake.TokenRequests())

	// PayPal forgets the token: the 401 is answered by fetching a new one, once.
	fake.ExpireTokens()
	_, err = c.Fetch(context.Background(), cursor)
	require.NoError(t, err)
	require.Equal(t, 2, fake.TokenRequests())

	// The token runs out: a new one is fetched before using it.
	before := fake.Requests("/v1/reporting/transactions")
	clk.now = clk.now.Add(9 * time.Hour)
	_, err = c.Fetch(context.Background(), cursor)
	require.NoError(t, err)
	require.Equal(t, 3, fake.TokenRequests())
	require.Equal(t, before+1, fake.Requests("/v1/reporting/transactions"), "no request wasted on a stale token")
}

func TestErrorsAreClassified(t *testing.T) {
	t.Parallel()
	clk := &clock{t0}
	fake := paypaltest.New()
	c := setup(t, fake, clk, nil)
	require.NoError(t, c.Test(context.Background()))
	for _, tc := range []struct {
		n, status  int
		retryAfter string
		class      connector.Class
		wait       time.Duration
	}{
		{1, http.StatusTooManyRequests, "3", connector.ClassRateLimited, 3 * time.Second},
		{1, http.StatusTooManyRequests, "", connector.ClassRateLimited, 0},
		{1, http.StatusInternalServerError, "", connector.ClassProviderDown, 0},
		{1, http.StatusServiceUnavailable, "", connector.ClassProviderDown, 0},
		{1, http.StatusForbidden, "", connector.ClassPermission, 0},
		{2, http.StatusUnauthorized, "", connector.ClassCredentials, 0},
		{1, http.StatusBadRequest, "", connector.ClassBug, 0},
	} {
		fake.FailNext(tc.n, tc.status, tc.retryAfter)
		_, err := c.Fetch(context.Background(), nil)
		var ce *connector.Error
		require.ErrorAs(t, err, &ce, tc.status)
		require.Equal(t, tc.class, ce.Class, "%d: %v", tc.status, err)
		require.Equal(t, tc.status, ce.Status)
		require.Equal(t, tc.wait, ce.RetryAfter)
	}
	// One 401 costs a token refresh, not the page.
	fake.FailNext(1, http.StatusUnauthorized, "")
	_, err := c.Fetch(context.Background(), nil)
	require.NoError(t, err)

	wrong := setup(t, paypaltest.New(), clk, func(cfg *Config) { cfg.Secret = "nope" })
	err = wrong.Test(context.Background())
	require.Equal(t, connector.ClassCredentials, connector.ClassOf(err), err)
	require.Contains(t, err.Error(), "invalid_client")
	_, err = New(Config{ClientID: "x"})
	require.Error(t, err)
}
