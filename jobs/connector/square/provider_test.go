package square

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/square/squaretest"
	"github.com/wedsync/wedsync/store"
)

func TestProviderVerify(t *testing.T) {
	t.Parallel()
	const url = "https://app.wedsync.example/webhooks/square/int_abc"
	p := connector.Params{WebhookURL: url, Credentials: map[string]string{"access_token": "x", "webhook_signature_key": "k"}}
	body := squaretest.PaymentEvent("evt-1", "payment.created", squaretest.NewPayment("p1", 100, "USD", t0))
	h := http.Header{}
	h.Set(SignatureHeader, squaretest.Sign("k", url, body))
	ev, err := Verify(context.Background(), p, connector.WebhookRequest{URL: url, Header: h, Body: body, Now: t0})
	require.NoError(t, err)
	require.Equal(t, connector.WebhookEvent{ID: "evt-1", Type: "payment.created"}, ev)

	p.Credentials["webhook_signature_key"] = "other"
	_, err = Verify(context.Background(), p, connector.WebhookRequest{URL: url, Header: h, Body: body, Now: t0})
	require.ErrorIs(t, err, connector.ErrBadSignature)

	pr := Provider()
	require.Equal(t, "square", pr.Name)
	require.Contains(t, pr.CheckFields(map[string]string{}, false), "access_token")
	c, err := pr.New(connector.Params{Credentials: map[string]string{"access_token": "x"}, Config: map[string]string{"environment": "sandbox"}})
	require.NoError(t, err)
	require.Equal(t, SandboxBaseURL, c.(*Client).base)
}

func TestMapEventReadsTheCurrentPayment(t *testing.T) {
	t.Parallel()
	now := t0
	fake := squaretest.New()
	c := newClient(t, fake, &now)
	ctx := context.Background()
	p := squaretest.NewPayment("p1", 10000, "USD", t0.Add(-time.Hour))
	fake.AddPayment(p)
	r, err := fake.Refund("p1", "p1_r1", 10000, t0)
	require.NoError(t, err)

	// A late payment.created (before the refund) still gives the refunded payment.
	res, err := c.MapEvent(ctx, connector.StoredEvent{ID: "e1", Type: "payment.created", Payload: squaretest.PaymentEvent("e1", "payment.created", p)})
	require.NoError(t, err)
	require.Len(t, res.Records, 1)
	require.Equal(t, "refunded", res.Records[0].Row.(store.PaymentRow).Status)

	// A refund event re-reads its payment.
	res, err = c.MapEvent(ctx, connector.StoredEvent{ID: "e2", Type: "refund.created", Payload: squaretest.RefundEvent("e2", "refund.created", r)})
	require.NoError(t, err)
	require.Equal(t, int64(10000), res.Records[0].Row.(store.PaymentRow).RefundedAmount)

	// A payment the API does not know falls back to the event's copy; an unknown refund's gives nothing.
	gone := squaretest.NewPayment("gone", 500, "USD", t0)
	res, err = c.MapEvent(ctx, connector.StoredEvent{ID: "e3", Payload: squaretest.PaymentEvent("e3", "payment.updated", gone)})
	require.NoError(t, err)
	require.Equal(t, int64(500), res.Records[0].Row.(store.PaymentRow).Amount)
	r.PaymentID = "gone"
	res, err = c.MapEvent(ctx, connector.StoredEvent{ID: "e4", Payload: squaretest.RefundEvent("e4", "refund.updated", r)})
	require.NoError(t, err)
	require.Empty(t, res.Records)

	res, err = c.MapEvent(ctx, connector.StoredEvent{ID: "e5", Payload: []byte(`{"event_id":"e5","type":"customer.created","data":{}}`)})
	require.NoError(t, err)
	require.Equal(t, connector.EventResult{}, res)

	fake.FailNext(1, http.StatusInternalServerError, "")
	_, err = c.MapEvent(ctx, connector.StoredEvent{ID: "e1", Payload: squaretest.PaymentEvent("e1", "payment.created", p)})
	require.Equal(t, connector.ClassProviderDown, connector.ClassOf(err))
}
