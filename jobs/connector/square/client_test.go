package square

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/square/squaretest"
	"github.com/wedsync/wedsync/store"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func newClient(t *testing.T, fake *squaretest.Server, now *time.Time) *Client {
	t.Helper()
	ts := fake.Start()
	t.Cleanup(ts.Close)
	fake.Now = func() time.Time { return *now }
	c, err := New(Config{BaseURL: ts.URL, HTTPClient: ts.Client(), AccessToken: "EAAA-test",
		Since: t0.AddDate(-1, 0, 0), Now: func() time.Time { return *now }})
	require.NoError(t, err)
	return c
}

// syncRun fetches until Done, upserting into rows as the framework would, and checks that no page
// repeats an id. It returns the final cursor and the number of pages.
func syncRun(t *testing.T, c *Client, cursor json.RawMessage, rows map[string]store.PaymentRow) (json.RawMessage, int) {
	t.Helper()
	for pages := 1; pages < 1000; pages++ {
		page, err := c.Fetch(context.Background(), cursor)
		require.NoError(t, err)
		seen := map[string]bool{}
		for _, r := range page.Records {
			require.Equal(t, connector.KindPayment, r.Kind)
			require.False(t, seen[r.ExternalID], "id %s twice in one page", r.ExternalID)
			seen[r.ExternalID] = true
			row := r.Row.(store.PaymentRow)
			require.Equal(t, r.ExternalID, row.ExternalID)
			require.Equal(t, "square", row.Provider)
			rows[r.ExternalID] = row
		}
		require.NotEmpty(t, page.Cursor)
		cursor = page.Cursor
		if page.Done {
			return cursor, pages
		}
	}
	t.Fatal("sync never finished")
	return nil, 0
}

func TestFetchPagesEveryPaymentOnce(t *testing.T) {
	t.Parallel()
	now := t0
	fake := squaretest.New()
	fake.AccessToken = "EAAA-test"
	for i := range 250 {
		fake.AddPayment(squaretest.NewPayment(fmt.Sprintf("pay%03d", i), int64(1000+i), "USD", t0.Add(-time.Duration(250-i)*time.Hour)))
	}
	jpy := squaretest.NewPayment("payJPY", 1234, "JPY", t0.Add(-30*time.Minute))
	jpy.BuyerEmailAddress, jpy.ReferenceID, jpy.Note = "ana@example.com", "BK-17", "Deposit"
	fake.AddPayment(jpy)
	old := squaretest.NewPayment("payOLD", 5000, "USD", t0.AddDate(-2, 0, 0)) // before Since
	fake.AddPayment(old)
	weird := squaretest.NewPayment("payWEIRD", 100, "USD", t0.Add(-20*time.Minute))
	weird.Status = "SOMETHING_NEW"
	fake.AddPayment(weird)
	fake.EmptyPages(2)
	fake.RepeatAcrossPages(true)
	c := newClient(t, fake, &now)
	var bad []error
	c.cfg.OnBadRecord = func(err error) { bad = append(bad, err) }

	rows := map[string]store.PaymentRow{}
	_, pages := syncRun(t, c, nil, rows)
	require.Len(t, rows, 251)
	require.Equal(t, 5, pages) // 3 pages of ≤100 plus 2 empty ones; no refunds phase on a first sync
	require.Equal(t, 5, fake.Requests("/v2/payments"))
	require.Zero(t, fake.Requests("/v2/refunds"))
	require.Equal(t, DefaultVersion, fake.LastVersion())
	require.Len(t, bad, 1)
	require.Equal(t, connector.ClassBadData, connector.ClassOf(bad[0]))
	require.Contains(t, bad[0].Error(), "SOMETHING_NEW")
	for i := range 250 {
		row := rows[fmt.Sprintf("pay%03d", i)]
		require.Equal(t, int64(1000+i), row.Amount)
		require.Equal(t, int64(1000+i)*3/100, row.Fee)
		require.Equal(t, "USD", row.Currency)
		require.Equal(t, "succeeded", row.Status)
	}
	require.Equal(t, store.PaymentRow{ExternalID: "payJPY", Provider: "square", Amount: 1234, Fee: 37, Currency: "JPY",
		Status: "succeeded", PaidAt: t0.Add(-30 * time.Minute), Note: "Deposit"}, rows["payJPY"])
}

func TestFetchResumesAndSyncsIncrementally(t *testing.T) {
	t.Parallel()
	now := t0
	fake := squaretest.New()
	for i := range 150 {
		fake.AddPayment(squaretest.NewPayment(fmt.Sprintf("p%03d", i), 10000, "EUR", t0.Add(-time.Duration(150-i)*time.Hour)))
	}
	pending := squaretest.NewPayment("pending", 2500, "EUR", t0.Add(-48*time.Hour))
	pending.Status = "APPROVED"
	fake.AddPayment(pending)
	c := newClient(t, fake, &now)

	// A first sync interrupted after its first page resumes from the stored cursor.
	first, err := c.Fetch(context.Background(), nil)
	require.NoError(t, err)
	require.False(t, first.Done)
	require.Len(t, first.Records, 100)
	rows := map[string]store.PaymentRow{}
	cursor, _ := syncRun(t, c, first.Cursor, rows)
	require.Len(t, rows, 51)
	var cur Cursor
	require.NoError(t, json.Unmarshal(cursor, &cur))
	require.Equal(t, t0.Add(-48*time.Hour), cur.BeginTime, "the pending payment holds begin_time back")
	require.Equal(t, t0.Add(-DefaultOverlap), cur.RefundsBeginTime)

	// Later: the pending payment completes, an old payment is refunded in part, one is new.
	now = t0.Add(time.Hour)
	pending.Status = "COMPLETED"
	fake.AddPayment(pending)
	_, err = fake.Refund("p010", "p010_r1", 2500, now.Add(-10*time.Minute))
	require.NoError(t, err)
	fake.AddPayment(squaretest.NewPayment("new", 700, "EUR", now.Add(-5*time.Minute)))
	rows = map[string]store.PaymentRow{}
	cursor, _ = syncRun(t, c, cursor, rows)
	require.Equal(t, "succeeded", rows["pending"].Status)
	require.Equal(t, int64(700), rows["new"].Amount)
	require.Equal(t, store.PaymentRow{ExternalID: "p010", Provider: "square", Amount: 10000, RefundedAmount: 2500, Fee: 300,
		Currency: "EUR", Status: "partially_refunded", PaidAt: t0.Add(-140 * time.Hour)}, rows["p010"])
	require.Len(t, rows, 51, "payments since the pending one, the new one, and the refunded one")
	require.Equal(t, 1, fake.Requests("/v2/payments/{id}"))
	require.NoError(t, json.Unmarshal(cursor, &cur))
	require.Equal(t, now.Add(-5*time.Minute-DefaultOverlap), cur.BeginTime)

	// A third run with nothing new re-reads only the overlaps: the newest payment and the refund.
	rows = map[string]store.PaymentRow{}
	_, _ = syncRun(t, c, cursor, rows)
	require.ElementsMatch(t, []string{"new", "p010"}, keys(rows))
}

func keys(m map[string]store.PaymentRow) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestFetchClassifiesErrors(t *testing.T) {
	t.Parallel()
	now := t0
	fake := squaretest.New()
	fake.AddPayment(squaretest.NewPayment("p1", 100, "USD", t0.Add(-time.Hour)))
	c := newClient(t, fake, &now)
	for _, tc := range []struct {
		status     int
		retryAfter string
		class      connector.Class
		wait       time.Duration
	}{
		{http.StatusTooManyRequests, "7", connector.ClassRateLimited, 7 * time.Second},
		{http.StatusTooManyRequests, "", connector.ClassRateLimited, 0},
		{http.StatusInternalServerError, "", connector.ClassProviderDown, 0},
		{http.StatusServiceUnavailable, "", connector.ClassProviderDown, 0},
		{http.StatusUnauthorized, "", connector.ClassCredentials, 0},
		{http.StatusForbidden, "", connector.ClassPermission, 0},
	} {
		fake.FailNext(1, tc.status, tc.retryAfter)
		_, err := c.Fetch(context.Background(), nil)
		var ce *connector.Error
		require.ErrorAs(t, err, &ce, tc.status)
		require.Equal(t, tc.class, ce.Class, tc.status)
		require.Equal(t, tc.status, ce.Status)
		require.Equal(t, tc.wait, ce.RetryAfter)
		require.Equal(t, tc.class, connector.ClassOf(err))
	}
	page, err := c.Fetch(context.Background(), nil)
	require.NoError(t, err)
	require.Len(t, page.Records, 1)

	bad, err := New(Config{BaseURL: "http://127.0.0.1:1", AccessToken: "x", HTTPClient: &http.Client{Timeout: time.Second}})
	require.NoError(t, err)
	require.Equal(t, connector.ClassProviderDown, connector.ClassOf(bad.Test(context.Background())))
}

func TestConnectionTest(t *testing.T) {
	t.Parallel()
	now := t0
	fake := squaretest.New()
	fake.AccessToken = "right"
	ts := fake.Start()
	t.Cleanup(ts.Close)
	c, err := New(Config{BaseURL: ts.URL, AccessToken: "right", Now: func() time.Time { return now }})
	require.NoError(t, err)
	require.NoError(t, c.Test(context.Background()))
	wrong, err := New(Config{BaseURL: ts.URL, AccessToken: "wrong"})
	require.NoError(t, err)
	require.Equal(t, connector.ClassCredentials, connector.ClassOf(wrong.Test(context.Background())))
	_, err = New(Config{})
	require.Error(t, err)
}
