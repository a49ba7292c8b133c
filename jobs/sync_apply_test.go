package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/secret"
	"github.com/wedsync/wedsync/store/storetest"
)

// TestApplyRecordsKeepsPageOrderAroundPaymentBatches: a page mixing kinds is applied in order,
// with runs of payments written as batches between the other records: a payment links to the
// invoice delivered earlier in the same page (and takes its booking), another to that booking by
// reference, another by the client's email; a delete after an upsert of the same payment wins; a
// record with a problem is counted and reported; the invoice's amount paid follows.
func TestApplyRecordsKeepsPageOrderAroundPaymentBatches(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	keys, err := secret.Parse(secret.Generate("t1"))
	require.NoError(t, err)
	org, user := env.NewOrg(t, "Batch Order Studio", "UTC", "USD")
	in, err := env.DB.CreateIntegration(ctx, org, user, keys, store.IntegrationInput{Provider: "stripe", Name: "Stripe",
		Secrets: map[string]string{"secret_key": "sk_test_applyrecords"}})
	require.NoError(t, err)
	paidAt := time.Date(2026, 5, 2, 15, 0, 0, 0, time.UTC)
	payment := func(ext string, amount int64) store.PaymentRow {
		return store.PaymentRow{ExternalID: ext, Provider: "stripe", Amount: amount, Currency: "USD", Status: "succeeded", PaidAt: paidAt}
	}
	recs := []connector.Record{
		{Kind: connector.KindClient, ExternalID: "cus_1", Row: store.ClientRow{Name: "Ada & Lin", Email: "ada@example.com"}},
		{Kind: connector.KindBooking, ExternalID: "bk_1", Links: map[connector.Kind]string{connector.KindClient: "cus_1"},
			Row: store.BookingRow{WeddingDate: paidAt.AddDate(0, 4, 0), BookedAt: paidAt, Status: "confirmed", ContractAmount: 500_000, Currency: "USD"}},
		{Kind: connector.KindInvoice, ExternalID: "in_1", Links: map[connector.Kind]string{connector.KindBooking: "bk_1"},
			Row: store.InvoiceRow{Number: "A-1", DueDate: paidAt.AddDate(0, 1, 0), Amount: 150_000, Status: "open"}},
		{Kind: connector.KindPayment, ExternalID: "ch_inv", Links: map[connector.Kind]string{connector.KindInvoice: "in_1"}, Row: payment("", 150_000)},
		{Kind: connector.KindPayment, ExternalID: "ch_ref", BookingRef: "bk_1", Row: payment("", 20_000)},
		{Kind: connector.KindPayment, ExternalID: "ch_bad", Problem: "charge ch_bad: currency \"\" cannot be read"},
		{Kind: connector.KindPayment, ExternalID: "ch_mail", ClientEmail: "ADA@example.com", Row: payment("", 30_000)},
		{Kind: connector.KindPayment, ExternalID: "ch_ref", Deleted: true},
		{Kind: connector.KindPayment, ExternalID: "ch_last", Row: payment("", 5_000)},
	}
	var counts store.SyncCounts
	var problem string
	require.NoError(t, env.DB.WriteOrg(ctx, org, func(tx pgx.Tx) (err error) {
		counts, problem, err = applyRecords(ctx, env.DB, tx, org, in.ID, recs)
		return err
	}))
	require.Equal(t, store.SyncCounts{Created: 7, Deleted: 1, Skipped: 1}, counts)
	require.Contains(t, problem, "ch_bad")

	var booking, invoice int64
	require.NoError(t, env.Admin.QueryRow(ctx, "select id from bookings where external_id = 'bk_1'").Scan(&booking))
	require.NoError(t, env.Admin.QueryRow(ctx, "select id from invoices where external_id = 'in_1'").Scan(&invoice))
	links := map[string][2]*int64{}
	rows, err := env.Admin.Query(ctx, "select external_id, booking_id, invoice_id from payments where integration_id = $1", in.ID)
	require.NoError(t, err)
	for rows.Next() {
		var ext string
		var b, i *int64
		require.NoError(t, rows.Scan(&ext, &b, &i))
		links[ext] = [2]*int64{b, i}
	}
	require.NoError(t, rows.Err())
	require.Equal(t, map[string][2]*int64{
		"ch_inv":  {&booking, &invoice}, // the invoice delivered in this page, and its booking
		"ch_mail": {&booking, nil},      // by the client's email, whatever its case
		"ch_last": {nil, nil},
	}, links, "ch_ref was deleted after it was written")
	var paid int64
	var status string
	require.NoError(t, env.Admin.QueryRow(ctx, "select amount_paid, status from invoices where id = $1", invoice).Scan(&paid, &status))
	require.Equal(t, int64(150_000), paid)
	require.Equal(t, "paid", status)
}
