package stripe_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/stripe"
	"github.com/wedsync/wedsync/jobs/connector/stripe/stripetest"
	"github.com/wedsync/wedsync/store"
)

// FuzzStripeWebhook feeds arbitrary bodies and Stripe-Signature headers to Verify, and bodies
// signed with the endpoint's secret through Verify and MapEvent. Nothing panics; an unsigned or
// forged delivery is always a signature error (so the endpoint stores nothing); a signed body
// that is not an event is an error too; an event that maps gives records that are storable or
// carry a Problem.
func FuzzStripeWebhook(f *testing.F) {
	const secret = "whsec_fuzz_0123456789"
	fake := stripetest.New(key)
	url, stop := fake.Start()
	f.Cleanup(stop)
	c, err := stripe.New(connector.Params{Credentials: map[string]string{"secret_key": key}, BaseURL: url})
	require.NoError(f, err)
	p := connector.Params{Credentials: map[string]string{"webhook_secret": secret}}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, body []byte, header string, sign bool) {
		sig := header
		if sign {
			sig = stripetest.Sign(body, secret, time.Time{})
		}
		ev, err := stripe.Verify(ctx, p, connector.WebhookRequest{Header: http.Header{"Stripe-Signature": {sig}}, Body: body, Now: time.Now()})
		if !sign {
			require.Error(t, err, "an unsigned delivery is refused")
		}
		if err != nil {
			require.True(t, errors.Is(err, connector.ErrBadSignature) || errors.Is(err, connector.ErrStaleWebhook), "%v", err)
			return
		}
		require.NotEmpty(t, ev.ID, "a stored event has an id")
		res, err := c.MapEvent(ctx, connector.StoredEvent{ID: ev.ID, Type: ev.Type, Payload: body})
		if err != nil {
			require.NotEmpty(t, connector.ClassOf(err))
			return
		}
		requireStorable(t, res.Records)
	})
}

// requireStorable: every record carries a Problem or a payment row the store can take.
func requireStorable(t *testing.T, recs []connector.Record) {
	for _, r := range recs {
		if r.Problem != "" {
			continue
		}
		require.NotEmpty(t, r.ExternalID)
		row, ok := r.Row.(store.PaymentRow)
		require.True(t, ok, "a payment event gives payment rows: %T", r.Row)
		require.Equal(t, r.ExternalID, row.ExternalID)
		require.GreaterOrEqual(t, row.Amount, int64(0))
		require.True(t, row.RefundedAmount >= 0 && row.RefundedAmount <= row.Amount, "refunded %d of %d", row.RefundedAmount, row.Amount)
		require.GreaterOrEqual(t, row.Fee, int64(0))
		require.Len(t, row.Currency, 3)
		require.True(t, slices.Contains(store.PaymentStatuses(), row.Status), "status %q", row.Status)
	}
}
