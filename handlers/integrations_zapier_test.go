package handlers_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers/webtest"
	"github.com/wedsync/wedsync/jobs/connector/zapier"
)

// postZap delivers a body with an X-WedSync-Signature header (none when sig is empty).
func postZap(t *testing.T, url string, body []byte, sig string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set(zapier.SignatureHeader, sig)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func zapStored(t *testing.T, app *webtest.App, pid string) (events, processed, inquiries, bookings, payments int) {
	t.Helper()
	require.NoError(t, app.Env.Admin.QueryRow(context.Background(), `select
		(select count(*) from webhook_events w join integrations i on i.id = w.integration_id where i.public_id = $1),
		(select count(*) from webhook_events w join integrations i on i.id = w.integration_id where i.public_id = $1 and processed_at is not null),
		(select count(*) from inquiries c join integrations i on i.id = c.integration_id where i.public_id = $1),
		(select count(*) from bookings c join integrations i on i.id = c.integration_id where i.public_id = $1),
		(select count(*) from payments c join integrations i on i.id = c.integration_id where i.public_id = $1)`, pid).Scan(
		&events, &processed, &inquiries, &bookings, &payments))
	return
}

func TestZapierWebhookSignedEventsBecomeRecordsOnce(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	o := app.SignupOwner(t, "Zap Studio", "UTC", "USD")
	pid, secret := addZapierCRM(t, app, o, "dubsado")
	hook := app.URL + "/webhooks/dubsado/" + pid
	signed := func(body []byte, at time.Time) string { return zapier.Sign(secret, at.Unix(), body) }
	contract := []byte(`{"id":"evt_1001","event":"contract.signed","project_id":"D-41","client_name":"Ada & Bo","email":"ada@example.com",` +
		`"inquiry_date":"2026-01-15","wedding_date":"2027-06-12","amount":"4500.00","currency":"USD"}`)

	// Refused, and nothing stored: no signature, a wrong secret, a changed body, a stale or future timestamp.
	for name, sig := range map[string]string{
		"missing":      "",
		"garbled":      "t=abc,v1=zz",
		"wrong secret": zapier.Sign("zap_wrong", time.Now().Unix(), contract),
		"stale":        signed(contract, time.Now().Add(-6*time.Minute)),
		"future":       signed(contract, time.Now().Add(6*time.Minute)),
	} {
		status, _ := postZap(t, hook, contract, sig)
		require.Equal(t, http.StatusBadRequest, status, name)
	}
	status, _ := postZap(t, hook, bytes.Replace(contract, []byte("4500.00"), []byte("1.00"), 1), signed(contract, time.Now()))
	require.Equal(t, http.StatusBadRequest, status, "body changed after signing")
	events, _, _, _, _ := zapStored(t, app, pid)
	require.Zero(t, events)

	// A good delivery is stored once and becomes an inquiry and a booking; nine replays (signed
	// again, as Zapier's retries are) change nothing.
	for i := range 10 {
		status, body := postZap(t, hook, contract, signed(contract, time.Now().Add(-time.Duration(i)*time.Second)))
		require.Equal(t, http.StatusOK, status, body)
		if i > 0 {
			require.Contains(t, body, "duplicate")
		}
	}
	require.Eventually(t, func() bool {
		_, processed, inquiries, bookings, _ := zapStored(t, app, pid)
		return processed == 1 && inquiries == 1 && bookings == 1
	}, 20*time.Second, 20*time.Millisecond)

	// A payment links to the project's booking.
	pay := []byte(`{"event":"payment.received","project_id":"D-41","email":"ada@example.com","payment_id":"pay-9","payment_amount":"1500.50","paid_at":"2026-02-01T10:00:00Z"}`)
	status, body := postZap(t, hook, pay, signed(pay, time.Now()))
	require.Equal(t, http.StatusOK, status, body)
	require.Eventually(t, func() bool {
		_, processed, _, _, payments := zapStored(t, app, pid)
		return processed == 2 && payments == 1
	}, 20*time.Second, 20*time.Millisecond)
	var amount int64
	var linked bool
	require.NoError(t, app.Env.Admin.QueryRow(context.Background(), `select p.amount, p.booking_id = b.id from payments p, bookings b
		where p.external_id = 'pay-9' and b.external_id = 'D-41'`).Scan(&amount, &linked))
	require.Equal(t, int64(150050), amount)
	require.True(t, linked)
	events, processed, inquiries, bookings, payments := zapStored(t, app, pid)
	require.Equal(t, []int{2, 2, 1, 1, 1}, []int{events, processed, inquiries, bookings, payments})

	// Rotating the secret retires the old one.
	rot := o.Post("/integrations/"+pid+"/webhook-secret", nil)
	require.Equal(t, http.StatusOK, rot.Status)
	fresh, _ := rot.Doc.Find("[data-signing-secret]").Attr("value")
	require.NotEqual(t, secret, fresh)
	again := []byte(`{"id":"evt_2","event":"lead.created","project_id":"D-42","client_name":"Cy"}`)
	status, _ = postZap(t, hook, again, signed(again, time.Now()))
	require.Equal(t, http.StatusBadRequest, status, "the old secret no longer works")
	status, _ = postZap(t, hook, again, zapier.Sign(fresh, time.Now().Unix(), again))
	require.Equal(t, http.StatusOK, status)
}
