package stripe_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/stripe"
	"github.com/wedsync/wedsync/jobs/connector/stripe/stripetest"
	"github.com/wedsync/wedsync/store"
)

const key = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"

func setup(t *testing.T) (*stripetest.Server, *stripe.Client) {
	t.Helper()
	fake := stripetest.New(key)
	url, stop := fake.Start()
	t.Cleanup(stop)
	c, err := stripe.New(connector.Params{Credentials: map[string]string{"secret_key": key}, BaseURL: url})
	require.NoError(t, err)
	return fake, c
}

// drain fetches until Done and returns the payment rows by external id and the pages.
func drain(t *testing.T, c *stripe.Client, cur json.RawMessage) (map[string]connector.Record, json.RawMessage, int) {
	t.Helper()
	seen := map[string]connector.Record{}
	for pages := 1; pages < 1000; pages++ {
		p, err := c.Fetch(context.Background(), cur)
		require.NoError(t, err)
		for _, r := range p.Records {
			seen[r.ExternalID] = r
		}
		cur = p.Cursor
		if p.Done {
			return seen, cur, pages
		}
	}
	t.Fatal("never done")
	return nil, nil, 0
}

func TestFetchPagesNewestFirstThroughDuplicatesAndEmptyPages(t *testing.T) {
	t.Parallel()
	fake, c := setup(t)
	base := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	fake.AddCharges(250, func(i int) stripetest.Charge {
		return stripetest.Charge{Amount: int64(1000 + i), Currency: "gbp", Created: base.Add(time.Duration(i) * time.Minute), Fee: 30}
	})
	fake.SetDuplicates(true)
	fake.SetEmptyPageEvery(2)
	seen, cur, pages := drain(t, c, nil)
	require.Len(t, seen, 250)
	require.Greater(t, pages, 3, "empty pages cost extra requests")
	row := seen["ch_fake0000000001"].Row.(store.PaymentRow)
	require.Equal(t, int64(1000), row.Amount)
	require.Equal(t, int64(30), row.Fee)
	require.Equal(t, "GBP", row.Currency)
	require.Equal(t, base, row.PaidAt)

	// The next pass starts a week before the newest charge and sees new charges and refunds.
	fake.SetDuplicates(false)
	fake.SetEmptyPageEvery(0)
	newest := base.Add(249 * time.Minute)
	ch := fake.AddCharge(stripetest.Charge{Amount: 5000, Currency: "gbp", Created: newest.Add(time.Hour),
		Metadata: map[string]string{"booking_id": "42"}, Email: "ada@example.com"})
	_, err := fake.Refund("ch_fake0000000250", 500)
	require.NoError(t, err)
	seen, _, _ = drain(t, c, cur)
	require.Contains(t, seen, ch.ID)
	require.Equal(t, "42", seen[ch.ID].BookingRef)
	require.Equal(t, "ada@example.com", seen[ch.ID].ClientEmail)
	refunded := seen["ch_fake0000000250"].Row.(store.PaymentRow)
	require.Equal(t, int64(500), refunded.RefundedAmount)
	require.Equal(t, "partially_refunded", refunded.Status)
}

func TestStatusesAndRefunds(t *testing.T) {
	t.Parallel()
	fake, c := setup(t)
	full := fake.AddCharge(stripetest.Charge{Amount: 2000})
	_, err := fake.Refund(full.ID, 2000)
	require.NoError(t, err)
	failed := fake.AddCharge(stripetest.Charge{Amount: 900, Status: "failed"})
	held := fake.AddCharge(stripetest.Charge{Amount: 700, Uncaptured: true})
	seen, _, _ := drain(t, c, nil)
	require.Equal(t, "refunded", seen[full.ID].Row.(store.PaymentRow).Status)
	require.Equal(t, "failed", seen[failed.ID].Row.(store.PaymentRow).Status)
	require.Equal(t, "pending", seen[held.ID].Row.(store.PaymentRow).Status)
}

func TestErrorsAreClassified(t *testing.T) {
	t.Parallel()
	fake, c := setup(t)
	cases := []struct {
		fault stripetest.Fault
		class connector.Class
		wait  time.Duration
	}{
		{stripetest.Fault{Status: http.StatusUnauthorized}, connector.ClassCredentials, 0},
		{stripetest.Fault{Status: http.StatusForbidden}, connector.ClassPermission, 0},
		{stripetest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "7"}, connector.ClassRateLimited, 7 * time.Second},
		{stripetest.Fault{Status: http.StatusInternalServerError}, connector.ClassProviderDown, 0},
	}
	for _, tc := range cases {
		fake.FailNext(tc.fault)
		_, err := c.Fetch(context.Background(), nil)
		require.Error(t, err)
		require.Equal(t, tc.class, connector.ClassOf(err), err.Error())
		var ce *connector.Error
		require.ErrorAs(t, err, &ce)
		require.Equal(t, tc.wait, ce.RetryAfter)
	}
	bad, err := stripe.New(connector.Params{Credentials: map[string]string{"secret_key": "sk_test_wrong"}, BaseURL: "http://127.0.0.1:1"})
	require.NoError(t, err)
	require.Equal(t, connector.ClassProviderDown, connector.ClassOf(bad.Test(context.Background())), "nothing listening")
	require.ErrorContains(t, bad.Test(context.Background()), "connection refused", "the transport's own error is kept")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = c.Fetch(cancelled, nil)
	require.ErrorIs(t, err, context.Canceled, "a cancelled sync stops with the context's error, not a panic")
}

func TestWebhookVerification(t *testing.T) {
	t.Parallel()
	fake, c := setup(t)
	ch := fake.AddCharge(stripetest.Charge{Amount: 1500, Fee: 45})
	payload, err := fake.Event("charge.succeeded", ch.ID)
	require.NoError(t, err)
	p := connector.Params{Credentials: map[string]string{"webhook_secret": "whsec_test"}}
	req := func(sig string) connector.WebhookRequest {
		return connector.WebhookRequest{Header: http.Header{"Stripe-Signature": {sig}}, Body: payload}
	}
	ev, err := stripe.Verify(context.Background(), p, req(stripetest.Sign(payload, "whsec_test", time.Time{})))
	require.NoError(t, err)
	require.Equal(t, "charge.succeeded", ev.Type)
	_, err = stripe.Verify(context.Background(), p, req(stripetest.Sign(payload, "whsec_other", time.Time{})))
	require.ErrorIs(t, err, connector.ErrBadSignature)
	_, err = stripe.Verify(context.Background(), p, req(""))
	require.ErrorIs(t, err, connector.ErrBadSignature)
	_, err = stripe.Verify(context.Background(), p, req(stripetest.Sign(payload, "whsec_test", time.Now().Add(-10*time.Minute))))
	require.ErrorIs(t, err, connector.ErrStaleWebhook)

	res, err := c.MapEvent(context.Background(), connector.StoredEvent{ID: ev.ID, Type: ev.Type, Payload: payload})
	require.NoError(t, err)
	require.Len(t, res.Records, 1)
	require.Equal(t, int64(45), res.Records[0].Row.(store.PaymentRow).Fee, "read again through the API, fee expanded")
}
