package paypal

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/paypal/paypaltest"
	"github.com/wedsync/wedsync/store"

	"github.com/stretchr/testify/require"
)

// FuzzPayPalWebhook feeds arbitrary bodies and transmission headers to Verify (which asks the
// PayPal fake's verify-webhook-signature endpoint), and bodies the fake signed through Verify and
// ParseWebhookEvent. Nothing panics; an unsigned or forged delivery is always ErrInvalidSignature
// (the endpoint stores nothing); a signed body that is not an event is refused too; parsed
// records are storable payment rows.
func FuzzPayPalWebhook(f *testing.F) {
	const webhookID = "WH-FUZZ-1"
	fake := paypaltest.New()
	fake.ClientID, fake.Secret = "client-id", "client-secret"
	ts := fake.Start()
	f.Cleanup(ts.Close)
	p := connector.Params{BaseURL: ts.URL, HTTPClient: ts.Client(), Now: time.Now,
		Config: map[string]string{"client_id": "client-id", "webhook_id": webhookID}, Credentials: map[string]string{"secret": "client-secret"}}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, body []byte, transmissionSig string, sign bool) {
		h := paypaltest.SignWebhook(webhookID, body, time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
		if !sign {
			h = h.Clone()
			h.Set("PAYPAL-TRANSMISSION-SIG", transmissionSig)
			if h.Get("PAYPAL-TRANSMISSION-SIG") == paypaltest.SignWebhook(webhookID, body, time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)).Get("PAYPAL-TRANSMISSION-SIG") {
				return // the fuzzer typed the real signature
			}
		}
		ev, err := Verify(ctx, p, connector.WebhookRequest{Header: h, Body: body, Now: time.Now()})
		if !sign {
			require.Error(t, err, "an unsigned delivery is refused")
		}
		if err != nil {
			require.True(t, errors.Is(err, ErrInvalidSignature) && errors.Is(err, connector.ErrBadSignature), "%v", err)
			return
		}
		require.NotEmpty(t, ev.ID, "a stored event has an id")
		id, typ, recs, err := ParseWebhookEvent(body)
		if err != nil {
			require.Equal(t, connector.ClassBadData, connector.ClassOf(err), "%v", err)
			return
		}
		require.Equal(t, ev.ID, id)
		require.Equal(t, ev.Type, typ)
		for _, r := range recs {
			require.NotEmpty(t, r.ExternalID)
			row, ok := r.Row.(store.PaymentRow)
			require.True(t, ok, "%T", r.Row)
			require.Equal(t, r.ExternalID, row.ExternalID)
			require.GreaterOrEqual(t, row.Amount, int64(0))
			require.True(t, row.RefundedAmount >= 0 && row.RefundedAmount <= row.Amount, "refunded %d of %d", row.RefundedAmount, row.Amount)
			require.GreaterOrEqual(t, row.Fee, int64(0))
			require.True(t, store.ValidCurrency(row.Currency), "currency %q", row.Currency)
			require.True(t, slices.Contains(store.PaymentStatuses(), row.Status), "status %q", row.Status)
		}
	})
}
