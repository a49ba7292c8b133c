package zapier

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/store"
)

const secret = "zap_0123456789abcdef0123456789abcdef"

var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func request(body []byte, header string, now time.Time) connector.WebhookRequest {
	h := http.Header{}
	if header != "" {
		h.Set(SignatureHeader, header)
	}
	return connector.WebhookRequest{Header: h, Body: body, Now: now}
}

func TestVerifyAcceptsOnlyFreshSignedBodies(t *testing.T) {
	t.Parallel()
	p := connector.Params{Credentials: map[string]string{SecretField: secret}}
	body := []byte(`{"id":"evt-1","event":"lead.created","project_id":"P1"}`)
	ctx := context.Background()

	ev, err := Verify(ctx, p, request(body, Sign(secret, t0.Unix(), body), t0.Add(4*time.Minute)))
	require.NoError(t, err)
	require.Equal(t, connector.WebhookEvent{ID: "evt-1", Type: "lead.created"}, ev)

	// The README's worked example (the same value as its openssl command prints).
	ex := []byte(`{"id":"evt_1001","event":"contract.signed","project_id":"HB-2041","client_name":"Ada & Bo","email":"ada@example.com","wedding_date":"2027-06-12","amount":"4500.00","currency":"USD"}`)
	require.Equal(t, "t=1780315200,v1=5d99acc34f9e9a30adcc182b75ec5dd4a24661ad3e6237d66fdc79b1001ed7bc",
		Sign("zap_5f2c1d0e9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d", 1780315200, ex))

	for name, req := range map[string]connector.WebhookRequest{
		"missing":      request(body, "", t0),
		"malformed":    request(body, "v1=abc", t0),
		"wrong secret": request(body, Sign("zap_other", t0.Unix(), body), t0),
		"body changed": request([]byte(`{"id":"evt-1","event":"lead.created","project_id":"P2"}`), Sign(secret, t0.Unix(), body), t0),
	} {
		_, err := Verify(ctx, p, req)
		require.ErrorIs(t, err, connector.ErrBadSignature, name)
	}
	_, err = Verify(ctx, p, request(body, Sign(secret, t0.Unix(), body), t0.Add(6*time.Minute)))
	require.ErrorIs(t, err, connector.ErrStaleWebhook)
	_, err = Verify(ctx, p, request(body, Sign(secret, t0.Unix(), body), t0.Add(-6*time.Minute)))
	require.ErrorIs(t, err, connector.ErrStaleWebhook)
	_, err = Verify(ctx, connector.Params{}, request(body, Sign(secret, t0.Unix(), body), t0))
	require.ErrorIs(t, err, connector.ErrBadSignature, "no secret stored")

	// The id header wins; without any id the body's hash names the event.
	req := request(body, Sign(secret, t0.Unix(), body), t0)
	req.Header.Set(EventIDHeader, "zap-run-9")
	ev, err = Verify(ctx, p, req)
	require.NoError(t, err)
	require.Equal(t, "zap-run-9", ev.ID)
	anon := []byte(`{"event":"status.updated","project_id":"P1"}`)
	ev, err = Verify(ctx, p, request(anon, Sign(secret, t0.Unix(), anon), t0))
	require.NoError(t, err)
	require.Regexp(t, "^sha256:[0-9a-f]{64}$", ev.ID)
}

func TestMapEventTurnsZapsIntoRecords(t *testing.T) {
	t.Parallel()
	conn, err := NewProvider("dubsado", "Dubsado").New(connector.Params{Config: map[string]string{CurrencyField: "gbp"}, Now: func() time.Time { return t0 }})
	require.NoError(t, err)
	m := conn.(connector.EventMapper)
	ctx := context.Background()

	res, err := m.MapEvent(ctx, connector.StoredEvent{ID: "e1", Type: EventContractSigned,
		Payload: []byte(`{"event":"contract.signed","project_id":"D-7","client_name":"Cy","email":"cy@example.com","wedding_date":"9/12/2027","amount":4500.10}`)})
	require.NoError(t, err)
	require.Len(t, res.Records, 3)
	b := res.Records[2].Row.(store.BookingRow)
	require.Equal(t, int64(450010), b.ContractAmount, "a JSON number is read exactly")
	require.Equal(t, "GBP", b.Currency)
	require.Equal(t, "booked", res.Records[1].Row.(store.InquiryRow).Status)

	res, err = m.MapEvent(ctx, connector.StoredEvent{ID: "e2", Type: EventPaymentReceived,
		Payload: []byte(`{"event":"payment.received","project_id":"D-7","payment_id":"pay-1","payment_amount":"1500.00","paid_at":"2026-05-30T09:00:00Z"}`)})
	require.NoError(t, err)
	require.Len(t, res.Records, 1)
	pay := res.Records[0].Row.(store.PaymentRow)
	require.Equal(t, int64(150000), pay.Amount)
	require.Equal(t, "D-7", res.Records[0].Links[connector.KindBooking])

	res, err = m.MapEvent(ctx, connector.StoredEvent{ID: "e3", Type: EventLeadCreated, Payload: []byte(`{"event":"lead.created","project_id":"D-8"}`)})
	require.NoError(t, err)
	require.Contains(t, res.Records[0].Problem, "no client name or email")

	res, err = m.MapEvent(ctx, connector.StoredEvent{ID: "e4", Type: "form.viewed", Payload: []byte(`{}`)})
	require.NoError(t, err)
	require.Empty(t, res.Records)

	require.Equal(t, connector.ClassCredentials, connector.ClassOf(conn.Test(ctx)), "no signing secret stored")
	withSecret, err := NewProvider("dubsado", "Dubsado").New(connector.Params{Credentials: map[string]string{SecretField: secret}})
	require.NoError(t, err)
	require.NoError(t, withSecret.Test(ctx))
	page, err := withSecret.Fetch(ctx, nil)
	require.NoError(t, err)
	require.True(t, page.Done)
	require.Empty(t, page.Records, "nothing to fetch: no API")
}
