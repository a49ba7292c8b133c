package paypal

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/paypal/paypaltest"
	"github.com/wedsync/wedsync/store"
)

func completedCapture(id string) paypaltest.Capture {
	return paypaltest.Capture{ID: id, Status: "COMPLETED", Amount: paypaltest.Money{CurrencyCode: "USD", Value: "1234.50"},
		FinalCapture: true, InvoiceID: "INV-2025-0042", CreateTime: "2025-06-01T11:00:00Z", UpdateTime: "2025-06-01T11:00:00Z",
		SellerReceivableBreakdown: &paypaltest.Breakdown{GrossAmount: paypaltest.Money{CurrencyCode: "USD", Value: "1234.50"},
			PaypalFee: &paypaltest.Money{CurrencyCode: "USD", Value: "36.10"}}}
}

func TestVerifyWebhook(t *testing.T) {
	t.Parallel()
	clk := &clock{t0}
	fake := paypaltest.New()
	c := setup(t, fake, clk, nil)
	body := paypaltest.CaptureEvent("WH-1", "PAYMENT.CAPTURE.COMPLETED", completedCapture("8MC585209K746392H"))
	headers := paypaltest.SignWebhook("WH-ID-1", body, t0)
	ctx := context.Background()

	require.NoError(t, c.VerifyWebhook(ctx, headers, body, "WH-ID-1"))
	require.Equal(t, 1, fake.Requests("/v1/notifications/verify-webhook-signature"))
	invalid := func(err error) {
		t.Helper()
		require.True(t, errors.Is(err, ErrInvalidSignature) && errors.Is(err, connector.ErrBadSignature), "%v", err)
	}
	invalid(c.VerifyWebhook(ctx, headers, append(body[:len(body)-1:len(body)-1], []byte(`,"x":1}`)...), "WH-ID-1"))
	invalid(c.VerifyWebhook(ctx, headers, body, "WH-ID-OTHER"))
	invalid(c.VerifyWebhook(ctx, paypaltest.SignWebhook("WH-ID-1", []byte(`{"id":"WH-2"}`), t0), body, "WH-ID-1"))
	before := fake.Requests("")
	noSig := headers.Clone()
	noSig.Del("PAYPAL-TRANSMISSION-SIG")
	invalid(c.VerifyWebhook(ctx, noSig, body, "WH-ID-1"))
	invalid(c.VerifyWebhook(ctx, headers, []byte("not json"), "WH-ID-1"))
	invalid(c.VerifyWebhook(ctx, headers, body, ""))
	require.Equal(t, before, fake.Requests(""), "nothing to ask PayPal about")

	// PayPal unreachable is not a bad signature: the framework may answer 5xx so PayPal retries.
	fake.FailNext(1, http.StatusServiceUnavailable, "")
	err := c.VerifyWebhook(ctx, headers, body, "WH-ID-1")
	require.False(t, errors.Is(err, ErrInvalidSignature))
	require.Equal(t, connector.ClassProviderDown, connector.ClassOf(err))

	// The registry adapter.
	p := connector.Params{BaseURL: c.cfg.BaseURL, HTTPClient: c.http, Now: clk.Now,
		Config: map[string]string{"client_id": "client-id", "webhook_id": "WH-ID-1"}, Credentials: map[string]string{"secret": "client-secret"}}
	ev, err := Verify(ctx, p, connector.WebhookRequest{Header: headers, Body: body, Now: t0})
	require.NoError(t, err)
	require.Equal(t, connector.WebhookEvent{ID: "WH-1", Type: "PAYMENT.CAPTURE.COMPLETED"}, ev)
	p.Config["webhook_id"] = "WH-ID-2"
	_, err = Verify(ctx, p, connector.WebhookRequest{Header: headers, Body: body, Now: t0})
	require.ErrorIs(t, err, connector.ErrBadSignature)
}

func TestParseWebhookEvent(t *testing.T) {
	t.Parallel()
	id, typ, recs, err := ParseWebhookEvent(paypaltest.CaptureEvent("WH-1", "PAYMENT.CAPTURE.COMPLETED", completedCapture("CAP1")))
	require.NoError(t, err)
	require.Equal(t, "WH-1", id)
	require.Equal(t, "PAYMENT.CAPTURE.COMPLETED", typ)
	require.Equal(t, []connector.Record{{Kind: connector.KindPayment, ExternalID: "CAP1", BookingRef: "INV-2025-0042",
		Row: store.PaymentRow{ExternalID: "CAP1", Provider: "paypal", Amount: 123450, Fee: 3610, Currency: "USD",
			Status: "succeeded", PaidAt: t0.Add(-time.Hour)}}}, recs)

	for status, want := range map[string]string{"PENDING": "pending", "DECLINED": "failed", "REFUNDED": "refunded", "PARTIALLY_REFUNDED": ""} {
		cp := completedCapture("CAP2")
		cp.Status = status
		_, _, recs, err := ParseWebhookEvent(paypaltest.CaptureEvent("WH-2", "PAYMENT.CAPTURE."+status, cp))
		require.NoError(t, err)
		if want == "" {
			require.Empty(t, recs, status)
			continue
		}
		require.Equal(t, want, recs[0].Row.(store.PaymentRow).Status)
	}
	_, typ, recs, err = ParseWebhookEvent(paypaltest.RefundEvent("WH-3", "REF1", "CAP1", paypaltest.Money{CurrencyCode: "USD", Value: "78.00"}))
	require.NoError(t, err)
	require.Equal(t, "PAYMENT.CAPTURE.REFUNDED", typ)
	require.Empty(t, recs)

	_, _, _, err = ParseWebhookEvent([]byte(`{"event_type":"X"}`))
	require.Equal(t, connector.ClassBadData, connector.ClassOf(err))
	cp := completedCapture("CAP3")
	cp.Amount.Value = "12.345"
	_, _, _, err = ParseWebhookEvent(paypaltest.CaptureEvent("WH-4", "PAYMENT.CAPTURE.COMPLETED", cp))
	require.Equal(t, connector.ClassBadData, connector.ClassOf(err))
}

func TestMapEventReadsTheCurrentCapture(t *testing.T) {
	t.Parallel()
	clk := &clock{t0}
	fake := paypaltest.New()
	c := setup(t, fake, clk, nil)
	ctx := context.Background()
	fake.Add(paypaltest.Payment("CAPFULL", "300.00", "-9.00", "USD", t0.Add(-48*time.Hour)),
		paypaltest.Refund("RF1", "CAPFULL", "-300.00", "", "USD", t0.Add(-time.Hour)),
		paypaltest.Payment("CAPPART", "300.00", "-9.00", "USD", t0.Add(-48*time.Hour)),
		paypaltest.Refund("RP1", "CAPPART", "-100.00", "", "USD", t0.Add(-time.Hour)))

	// A late COMPLETED event for a capture refunded since: the current state wins.
	cp := completedCapture("CAPFULL")
	res, err := c.MapEvent(ctx, connector.StoredEvent{ID: "WH-1", Type: "PAYMENT.CAPTURE.COMPLETED",
		Payload: paypaltest.CaptureEvent("WH-1", "PAYMENT.CAPTURE.COMPLETED", cp)})
	require.NoError(t, err)
	require.Len(t, res.Records, 1)
	row := res.Records[0].Row.(store.PaymentRow)
	require.Equal(t, "refunded", row.Status)
	require.Equal(t, int64(30000), row.RefundedAmount)
	require.Equal(t, int64(900), row.Fee)

	// A partial refund's amount is only known to a sync.
	res, err = c.MapEvent(ctx, connector.StoredEvent{ID: "WH-2", Type: "PAYMENT.CAPTURE.REFUNDED",
		Payload: paypaltest.RefundEvent("WH-2", "RP1", "CAPPART", paypaltest.Money{CurrencyCode: "USD", Value: "100.00"})})
	require.NoError(t, err)
	require.Equal(t, connector.EventResult{Sync: true}, res)

	// A capture PayPal does not know (yet) falls back to the event's copy.
	res, err = c.MapEvent(ctx, connector.StoredEvent{ID: "WH-3", Type: "PAYMENT.CAPTURE.COMPLETED",
		Payload: paypaltest.CaptureEvent("WH-3", "PAYMENT.CAPTURE.COMPLETED", completedCapture("CAPNEW"))})
	require.NoError(t, err)
	require.Equal(t, "succeeded", res.Records[0].Row.(store.PaymentRow).Status)
	require.Equal(t, 3, fake.Requests("/v2/payments/captures/{id}"))

	// Unrelated events are acknowledged.
	res, err = c.MapEvent(ctx, connector.StoredEvent{ID: "WH-4", Payload: []byte(`{"id":"WH-4","event_type":"CHECKOUT.ORDER.APPROVED","resource_type":"checkout-order","resource":{}}`)})
	require.NoError(t, err)
	require.Equal(t, connector.EventResult{}, res)

	fake.FailNext(1, http.StatusTooManyRequests, "2")
	_, err = c.MapEvent(ctx, connector.StoredEvent{ID: "WH-1", Payload: paypaltest.CaptureEvent("WH-1", "PAYMENT.CAPTURE.COMPLETED", cp)})
	require.Equal(t, connector.ClassRateLimited, connector.ClassOf(err))
}

func TestProvider(t *testing.T) {
	t.Parallel()
	p := Provider()
	require.Equal(t, "paypal", p.Name)
	require.Empty(t, p.CheckFields(map[string]string{"client_id": "A", "secret": "B"}, false))
	require.Contains(t, p.CheckFields(map[string]string{"client_id": "A"}, false), "secret")
	c, err := p.New(connector.Params{Config: map[string]string{"client_id": "A", "environment": "sandbox"}, Credentials: map[string]string{"secret": "B"}})
	require.NoError(t, err)
	require.Equal(t, SandboxBaseURL, c.(*Client).base)
}
