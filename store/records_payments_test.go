package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/storetest"
)

func TestPaymentValidation(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, user := env.NewOrg(t, "Alpha Studio", "Europe/London", "GBP")
	other, otherUser := env.NewOrg(t, "Beta Florals", "America/Chicago", "USD")
	b1 := recBooking(t, env, org, user, store.BookingInput{WeddingDate: "2099-06-01", ContractAmount: "5000"})
	b2 := recBooking(t, env, org, user, store.BookingInput{WeddingDate: "2099-07-01", ContractAmount: "5000"})
	inv, err := env.DB.CreateInvoice(ctx, org, user, store.InvoiceInput{BookingID: recID(b1), DueDate: "2099-05-01", Amount: "1000"})
	require.NoError(t, err)
	fb := recBooking(t, env, other, otherUser, store.BookingInput{WeddingDate: "2099-06-01", ContractAmount: "1"})
	finv, err := env.DB.CreateInvoice(ctx, other, otherUser, store.InvoiceInput{BookingID: recID(fb), DueDate: "2099-05-01", Amount: "1"})
	require.NoError(t, err)

	cases := []struct {
		in     store.PaymentInput
		fields []string
	}{
		{store.PaymentInput{}, []string{"amount"}},
		{store.PaymentInput{Amount: "10", BookingID: recID(fb)}, []string{"booking_id"}},
		{store.PaymentInput{Amount: "10", InvoiceID: recID(finv)}, []string{"invoice_id"}},
		{store.PaymentInput{Amount: "10", InvoiceID: recID(inv), BookingID: recID(b2)}, []string{"invoice_id"}},
		{store.PaymentInput{Amount: "10", BookingID: recID(b1), Currency: "EUR"}, []string{"currency"}},
		{store.PaymentInput{Amount: "10", Currency: "EURO"}, []string{"currency"}},
		{store.PaymentInput{Amount: "10", RefundedAmount: "11"}, []string{"refunded_amount"}},
		{store.PaymentInput{Amount: "10", RefundedAmount: "5", Status: "refunded"}, []string{"refunded_amount"}},
		{store.PaymentInput{Amount: "10", Status: "partially_refunded"}, []string{"refunded_amount"}},
		{store.PaymentInput{Amount: "10", Fee: "10.01"}, []string{"fee"}},
		{store.PaymentInput{Amount: "10", Status: "chargeback", PaidAt: "2027-01-01"}, []string{"status", "paid_at"}},
		{store.PaymentInput{Amount: "10", Note: strings.Repeat("n", 1001)}, []string{"note"}},
	}
	for _, c := range cases {
		_, err := env.DB.CreatePayment(ctx, org, user, c.in)
		recFields(t, err, c.fields...)
	}

	// A refunded payment with no refunded amount refunds the whole of it.
	pid, err := env.DB.CreatePayment(ctx, org, user, store.PaymentInput{Amount: "10", Status: "refunded", PaidAt: "2027-01-01T09:00"})
	require.NoError(t, err)
	p, err := env.DB.Payment(ctx, org, pid)
	require.NoError(t, err)
	require.Equal(t, int64(1000), p.RefundedAmount)
	require.Equal(t, "GBP", p.Currency)
	require.Equal(t, "manual", p.Provider)
	require.Zero(t, p.Net())
	_, err = env.DB.Payment(ctx, other, pid)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, env.DB.DeletePayment(ctx, other, otherUser, pid), store.ErrNotFound)
}

func TestPaymentMaintainsInvoice(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, user := env.NewOrg(t, "Alpha Studio", "Europe/London", "GBP")
	client := recClient(t, env, org, user, "Ada Lovelace")
	b := recBooking(t, env, org, user, store.BookingInput{ClientID: recID(client), Title: "Lovelace", WeddingDate: "2099-06-01", ContractAmount: "5000"})
	inv, err := env.DB.CreateInvoice(ctx, org, user, store.InvoiceInput{BookingID: recID(b), Number: "D-1", DueDate: "2099-05-01", Amount: "1000"})
	require.NoError(t, err)
	inv2, err := env.DB.CreateInvoice(ctx, org, user, store.InvoiceInput{BookingID: recID(b), Number: "B-2", DueDate: "2099-05-20", Amount: "4000"})
	require.NoError(t, err)
	state := func(invoiceID int64) (int64, string) {
		t.Helper()
		i, err := env.DB.Invoice(ctx, org, invoiceID)
		require.NoError(t, err)
		return i.AmountPaid, i.Status
	}
	requireState := func(invoiceID, paid int64, status string) {
		t.Helper()
		gotPaid, gotStatus := state(invoiceID)
		require.Equal(t, paid, gotPaid)
		require.Equal(t, status, gotStatus)
	}

	p1, err := env.DB.CreatePayment(ctx, org, user, store.PaymentInput{InvoiceID: recID(inv), Amount: "400", Fee: "12.30", PaidAt: "2027-02-01T10:00"})
	require.NoError(t, err)
	pay, err := env.DB.Payment(ctx, org, p1)
	require.NoError(t, err)
	require.Equal(t, b, *pay.BookingID, "a payment of an invoice takes the invoice's booking")
	require.Equal(t, "D-1", pay.InvoiceNumber)
	require.Equal(t, "Lovelace", pay.BookingLabel())
	requireState(inv, 40000, "open")

	p2, err := env.DB.CreatePayment(ctx, org, user, store.PaymentInput{InvoiceID: recID(inv), BookingID: recID(b), Amount: "600", PaidAt: "2027-02-02T10:00"})
	require.NoError(t, err)
	requireState(inv, 100000, "paid")

	// Pending and failed payments count for nothing.
	_, err = env.DB.CreatePayment(ctx, org, user, store.PaymentInput{InvoiceID: recID(inv), Amount: "50", Status: "pending", PaidAt: "2027-02-03T10:00"})
	require.NoError(t, err)
	requireState(inv, 100000, "paid")

	// A partial refund reopens it.
	require.NoError(t, env.DB.UpdatePayment(ctx, org, user, p2, store.PaymentInput{
		InvoiceID: recID(inv), Amount: "600", RefundedAmount: "100", Status: "partially_refunded", PaidAt: "2027-02-02T10:00",
	}))
	requireState(inv, 90000, "open")
	require.Equal(t, []any{"succeeded", "partially_refunded"}, recAudit(t, env, org, "update", "payment", p2)["status"])

	// Moving a payment to another invoice recomputes both.
	require.NoError(t, env.DB.UpdatePayment(ctx, org, user, p1, store.PaymentInput{InvoiceID: recID(inv2), Amount: "400", PaidAt: "2027-02-01T10:00"}))
	requireState(inv, 50000, "open")
	requireState(inv2, 40000, "open")

	// Lowering the invoice amount below what was paid makes it paid.
	require.NoError(t, env.DB.UpdateInvoice(ctx, org, user, inv, store.InvoiceInput{BookingID: recID(b), Number: "D-1", DueDate: "2099-05-01", Amount: "500"}))
	requireState(inv, 50000, "paid")

	// A void invoice stays void whatever its payments do.
	require.NoError(t, env.DB.UpdateInvoice(ctx, org, user, inv2, store.InvoiceInput{BookingID: recID(b), Number: "B-2", DueDate: "2099-05-20", Amount: "4000", Status: "void"}))
	_, err = env.DB.CreatePayment(ctx, org, user, store.PaymentInput{InvoiceID: recID(inv2), Amount: "3600", PaidAt: "2027-02-05T10:00"})
	require.NoError(t, err)
	requireState(inv2, 400000, "void")

	require.NoError(t, env.DB.DeletePayment(ctx, org, user, p2))
	requireState(inv, 0, "open")

	bk, err := env.DB.Booking(ctx, org, b)
	require.NoError(t, err)
	require.Equal(t, int64(400000), bk.Paid, "400 + 3600 settled; pending 50 and the deleted payment do not count")

	// Deleting the invoice keeps its payments, unlinked.
	require.NoError(t, env.DB.DeleteInvoice(ctx, org, user, inv2))
	pay, err = env.DB.Payment(ctx, org, p1)
	require.NoError(t, err)
	require.Nil(t, pay.InvoiceID)
	require.Equal(t, b, *pay.BookingID)
}

func TestPaymentList(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, user := env.NewOrg(t, "Alpha Studio", "Asia/Tokyo", "JPY")
	mk := func(amount, paidAt, status string) int64 {
		pid, err := env.DB.CreatePayment(ctx, org, user, store.PaymentInput{Amount: amount, PaidAt: paidAt, Status: status})
		require.NoError(t, err)
		return pid
	}
	a := mk("5000", "2027-03-01T00:30", "succeeded") // 15:30 UTC on February 28th
	b := mk("1000", "2027-03-15T12:00", "failed")
	c := mk("3000", "2027-04-01T08:00", "succeeded")
	ids := func(q store.ListQuery) []int64 {
		t.Helper()
		page, err := env.DB.ListPayments(ctx, org, q)
		require.NoError(t, err)
		var out []int64
		for _, x := range page.Items {
			out = append(out, x.ID)
		}
		return out
	}
	require.Equal(t, []int64{c, b, a}, ids(store.ListQuery{}))
	require.Equal(t, []int64{a, b}, ids(store.ListQuery{From: "2027-03-01", To: "2027-03-31", Sort: "date"}))
	require.Equal(t, []int64{a, c, b}, ids(store.ListQuery{Sort: "-amount"}))
	require.Equal(t, []int64{c, a}, ids(store.ListQuery{Status: "succeeded"}))
	require.Equal(t, []int64{c, b, a}, ids(store.ListQuery{Source: "manual"}))
	require.Empty(t, ids(store.ListQuery{Source: "stripe"}))
	p, err := env.DB.Payment(ctx, org, a)
	require.NoError(t, err)
	require.Equal(t, time.Date(2027, 2, 28, 15, 30, 0, 0, time.UTC), p.PaidAt.UTC())
	require.Equal(t, "¥5,000", store.FormatMoney(p.Amount, p.Currency))
}

func TestReviewCRUD(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, user := env.NewOrg(t, "Alpha Studio", "Europe/London", "GBP")
	other, otherUser := env.NewOrg(t, "Beta Florals", "America/Chicago", "USD")
	client := recClient(t, env, org, user, "Ada Lovelace")
	b := recBooking(t, env, org, user, store.BookingInput{ClientID: recID(client), WeddingDate: "2099-06-01", ContractAmount: "5000"})
	fb := recBooking(t, env, other, otherUser, store.BookingInput{WeddingDate: "2099-06-01", ContractAmount: "1"})

	for _, r := range []string{"", "0", "6", "4.5", "five"} {
		_, err := env.DB.CreateReview(ctx, org, user, store.ReviewInput{Rating: r})
		ve := recFields(t, err, "rating")
		require.Equal(t, "Rating must be 1 to 5.", ve.Fields["rating"])
	}
	_, err := env.DB.CreateReview(ctx, org, user, store.ReviewInput{Rating: "5", BookingID: recID(fb), ReceivedAt: "yesterday"})
	recFields(t, err, "booking_id", "received_at")

	rid, err := env.DB.CreateReview(ctx, org, user, store.ReviewInput{Rating: "5", BookingID: recID(b), Body: "Wonderful!", ReceivedAt: "2027-07-01T18:00"})
	require.NoError(t, err)
	r, err := env.DB.Review(ctx, org, rid)
	require.NoError(t, err)
	require.Equal(t, client, *r.ClientID, "the booking's client by default")
	require.Equal(t, "Ada Lovelace", r.ClientName)
	require.Equal(t, "manual", r.Source)
	low, err := env.DB.CreateReview(ctx, org, user, store.ReviewInput{Rating: "2", Source: "google", ReceivedAt: "2027-07-02T18:00"})
	require.NoError(t, err)

	require.NoError(t, env.DB.UpdateReview(ctx, org, user, rid, store.ReviewInput{Rating: "4", BookingID: recID(b), Body: "Wonderful!", ReceivedAt: "2027-07-01T18:00"}))
	require.Equal(t, []any{float64(5), float64(4)}, recAudit(t, env, org, "update", "review", rid)["rating"])

	page, err := env.DB.ListReviews(ctx, org, store.ListQuery{Sort: "-rating"})
	require.NoError(t, err)
	require.Equal(t, 2, page.Total)
	require.Equal(t, rid, page.Items[0].ID)
	page, err = env.DB.ListReviews(ctx, org, store.ListQuery{Source: "google"})
	require.NoError(t, err)
	require.Equal(t, low, page.Items[0].ID)
	require.Equal(t, 1, page.Total)

	_, err = env.DB.Review(ctx, other, rid)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, env.DB.UpdateReview(ctx, other, otherUser, rid, store.ReviewInput{Rating: "1"}), store.ErrNotFound)
	require.NoError(t, env.DB.DeleteReview(ctx, org, user, rid))
	_, err = env.DB.Review(ctx, org, rid)
	require.ErrorIs(t, err, store.ErrNotFound)
}
