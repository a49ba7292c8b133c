package square

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/store"
)

// FuzzSquareWebhook feeds arbitrary bodies and signature headers to Verify, and bodies signed
// with the subscription's key through Verify and ParseWebhookEvent. Nothing panics; an unsigned
// or forged delivery is always ErrInvalidSignature (the endpoint stores nothing); a signed body
// without an event_id is refused too; parsed records are storable or carry a Problem.
func FuzzSquareWebhook(f *testing.F) {
	const key, url = "fuzz-signature-key", "https://app.wedsync.example/webhooks/square/int_fuzz"
	p := connector.Params{WebhookURL: url, Credentials: map[string]string{"webhook_signature_key": key}}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, body []byte, header string, sign bool) {
		sig := header
		if sign {
			sig = Sign(key, url, body)
		}
		ev, err := Verify(ctx, p, connector.WebhookRequest{URL: url, Header: http.Header{SignatureHeader: {sig}}, Body: body})
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
		requireStorable(t, recs)
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
		require.True(t, store.ValidCurrency(row.Currency), "currency %q", row.Currency)
		require.True(t, slices.Contains(store.PaymentStatuses(), row.Status), "status %q", row.Status)
	}
}
