package square

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/square/squaretest"
	"github.com/wedsync/wedsync/store"
)

func TestVerifySignature(t *testing.T) {
	t.Parallel()
	const key, url = "sig-key-123", "https://app.wedsync.example/webhooks/square/int_abc"
	body := squaretest.PaymentEvent("evt-1", "payment.updated", squaretest.NewPayment("p1", 100, "USD", t0))
	sig := squaretest.Sign(key, url, body)
	require.Equal(t, Sign(key, url, body), sig)

	require.NoError(t, VerifySignature(sig, url, body, key))
	for name, err := range map[string]error{
		"bad signature": VerifySignature(Sign("other-key", url, body), url, body, key),
		"wrong URL":     VerifySignature(sig, url+"/", body, key),
		"http URL":      VerifySignature(sig, "http://app.wedsync.example/webhooks/square/int_abc", body, key),
		"tampered body": VerifySignature(sig, url, append([]byte(" "), body...), key),
		"missing":       VerifySignature("", url, body, key),
		"not base64":    VerifySignature("%%%", url, body, key),
		"no key":        VerifySignature(sig, url, body, ""),
	} {
		require.True(t, errors.Is(err, ErrInvalidSignature), name)
	}
}

func TestParseWebhookEvent(t *testing.T) {
	t.Parallel()
	p := squaretest.NewPayment("p1", 20000, "GBP", t0)
	p.TipMoney = &squaretest.Money{Amount: 1000, Currency: "GBP"}
	p.TotalMoney = squaretest.Money{Amount: 21000, Currency: "GBP"}
	p.RefundedMoney = &squaretest.Money{Amount: 21000, Currency: "GBP"}
	p.ProcessingFee = append(p.ProcessingFee, squaretest.ProcessingFee{Type: "ADJUSTMENT", AmountMoney: squaretest.Money{Amount: -100, Currency: "GBP"}})
	p.BuyerEmailAddress, p.ReferenceID = "sam@example.com", "BK-9"
	id, typ, recs, err := ParseWebhookEvent(squaretest.PaymentEvent("evt-9", "payment.updated", p))
	require.NoError(t, err)
	require.Equal(t, "evt-9", id)
	require.Equal(t, "payment.updated", typ)
	require.Equal(t, []connector.Record{{Kind: connector.KindPayment, ExternalID: "p1", BookingRef: "BK-9", ClientEmail: "sam@example.com",
		Row: store.PaymentRow{ExternalID: "p1", Provider: "square", Amount: 21000, RefundedAmount: 21000, Fee: 500, Currency: "GBP",
			Status: "refunded", PaidAt: t0}}}, recs)

	r := squaretest.Refund{ID: "p1_r", Status: "COMPLETED", AmountMoney: squaretest.Money{Amount: 100, Currency: "GBP"}, PaymentID: "p1"}
	id, typ, recs, err = ParseWebhookEvent(squaretest.RefundEvent("evt-10", "refund.updated", r))
	require.NoError(t, err)
	require.Equal(t, "evt-10", id)
	require.Equal(t, "refund.updated", typ)
	require.Empty(t, recs)

	_, _, _, err = ParseWebhookEvent([]byte(`{"type":"payment.created"}`))
	require.Equal(t, connector.ClassBadData, connector.ClassOf(err))
	_, _, _, err = ParseWebhookEvent([]byte(`not json`))
	require.Equal(t, connector.ClassBadData, connector.ClassOf(err))
	p.TotalMoney.Currency = "XYZ1"
	_, _, _, err = ParseWebhookEvent(squaretest.PaymentEvent("evt-11", "payment.created", p))
	require.Equal(t, connector.ClassBadData, connector.ClassOf(err))
}

func TestMapPaymentStatuses(t *testing.T) {
	t.Parallel()
	for status, want := range map[string]string{"APPROVED": "pending", "PENDING": "pending", "COMPLETED": "succeeded",
		"CANCELED": "failed", "FAILED": "failed"} {
		p := payment{ID: "x", CreatedAt: "2025-03-01T12:00:00.123Z", Status: status, TotalMoney: &money{7, "usd"}}
		rec, err := mapPayment(p)
		require.NoError(t, err)
		row := rec.Row.(store.PaymentRow)
		require.Equal(t, want, row.Status, status)
		require.Equal(t, "USD", row.Currency)
		require.Equal(t, int64(7), row.Amount)
		require.Equal(t, time.Date(2025, 3, 1, 12, 0, 0, 123e6, time.UTC), row.PaidAt)
	}
	p := payment{ID: "x", CreatedAt: "2025-03-01T12:00:00Z", Status: "COMPLETED", AmountMoney: &money{5000, "USD"},
		RefundedMoney: &money{1250, "USD"}, ProcessingFee: []processingFee{{AmountMoney: &money{175, "USD"}}, {AmountMoney: &money{-40, "USD"}}}}
	rec, err := mapPayment(p)
	require.NoError(t, err)
	row := rec.Row.(store.PaymentRow)
	require.Equal(t, "partially_refunded", row.Status)
	require.Equal(t, int64(1250), row.RefundedAmount)
	require.Equal(t, int64(135), row.Fee)
	_, err = mapPayment(payment{ID: "x", CreatedAt: "2025-03-01T12:00:00Z", Status: "WEIRD", AmountMoney: &money{1, "USD"}})
	require.Equal(t, connector.ClassBadData, connector.ClassOf(err))
}
