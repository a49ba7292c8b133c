package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/storetest"
)

func recBooking(t *testing.T, env *storetest.Env, orgID, userID int64, in store.BookingInput) int64 {
	t.Helper()
	bid, err := env.DB.CreateBooking(context.Background(), orgID, userID, in)
	require.NoError(t, err)
	return bid
}

func TestBookingCRUDAndValidation(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, user := env.NewOrg(t, "Alpha Studio", "Pacific/Auckland", "NZD")
	other, otherUser := env.NewOrg(t, "Beta Florals", "America/Chicago", "USD")
	client := recClient(t, env, org, user, "Ada Lovelace")
	foreign := recClient(t, env, other, otherUser, "Grace Hopper")

	_, err := env.DB.CreateBooking(ctx, org, user, store.BookingInput{
		ClientID: recID(foreign), InquiryID: "abc", WeddingDate: "", ContractAmount: "1.234", Currency: "XYZ", Status: "done",
	})
	ve := recFields(t, err, "client_id", "inquiry_id", "wedding_date", "contract_amount", "currency", "status")
	require.Equal(t, "Choose an existing client.", ve.Fields["client_id"])

	// Booked on the 12th local time (the 11th in UTC): a wedding on the 11th is before it.
	_, err = env.DB.CreateBooking(ctx, org, user, store.BookingInput{WeddingDate: "2027-06-11", BookedAt: "2027-06-12T09:00", ContractAmount: "100"})
	ve = recFields(t, err, "wedding_date")
	require.Contains(t, ve.Fields["wedding_date"], "before")
	sameDay := recBooking(t, env, org, user, store.BookingInput{WeddingDate: "2027-06-12", BookedAt: "2027-06-12T09:00", ContractAmount: "100"})

	bid := recBooking(t, env, org, user, store.BookingInput{
		ClientID: recID(client), Title: "Lovelace wedding", WeddingDate: "2027-11-20", BookedAt: "2027-01-05T10:00", ContractAmount: "6,000.50",
	})
	b, err := env.DB.Booking(ctx, org, bid)
	require.NoError(t, err)
	require.Equal(t, "NZD", b.Currency, "currency defaults to the org's")
	require.Equal(t, int64(600050), b.ContractAmount)
	require.Equal(t, "confirmed", b.Status)
	require.Equal(t, "Ada Lovelace", b.ClientName)
	require.Equal(t, "Lovelace wedding", b.Label())
	require.Equal(t, "2027-11-20", b.WeddingDate.Format(time.DateOnly))
	require.Equal(t, int64(600050), int64(recAudit(t, env, org, "create", "booking", bid)["contract_amount"].(float64)))

	yen := recBooking(t, env, org, user, store.BookingInput{WeddingDate: "2027-08-01", BookedAt: "2027-01-05T10:00", ContractAmount: "300000", Currency: "jpy"})
	b, err = env.DB.Booking(ctx, org, yen)
	require.NoError(t, err)
	require.Equal(t, "JPY", b.Currency)
	require.Equal(t, int64(300000), b.ContractAmount)
	require.Equal(t, "Booking #"+recID(yen), b.Label())

	require.NoError(t, env.DB.UpdateBooking(ctx, org, user, bid, store.BookingInput{
		ClientID: recID(client), Title: "Lovelace wedding", WeddingDate: "2027-11-20", BookedAt: "2027-01-05T10:00",
		ContractAmount: "6500", Status: "completed", Currency: "NZD",
	}))
	d := recAudit(t, env, org, "update", "booking", bid)
	require.Equal(t, []any{float64(600050), float64(650000)}, d["contract_amount"])
	require.Contains(t, d, "status")
	require.NotContains(t, d, "title")

	// Once invoiced, the currency is fixed.
	_, err = env.DB.CreateInvoice(ctx, org, user, store.InvoiceInput{BookingID: recID(bid), DueDate: "2027-10-01", Amount: "1000"})
	require.NoError(t, err)
	err = env.DB.UpdateBooking(ctx, org, user, bid, store.BookingInput{WeddingDate: "2027-11-20", BookedAt: "2027-01-05T10:00", ContractAmount: "6500", Currency: "USD"})
	recFields(t, err, "currency")

	_, err = env.DB.Booking(ctx, other, bid)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, env.DB.DeleteBooking(ctx, other, otherUser, bid), store.ErrNotFound)

	opts, err := env.DB.BookingOptions(ctx, org)
	require.NoError(t, err)
	require.Len(t, opts, 3)
	require.Contains(t, opts, store.Option{ID: bid, Label: "2027-11-20 · Lovelace wedding"})

	// Deleting a booking deletes its invoices.
	require.NoError(t, env.DB.DeleteBooking(ctx, org, user, bid))
	inv, err := env.DB.ListInvoices(ctx, org, store.ListQuery{})
	require.NoError(t, err)
	require.Zero(t, inv.Total)
	_ = sameDay
}

func TestBookingListFilterSort(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, user := env.NewOrg(t, "Alpha Studio", "Europe/London", "GBP")
	ada := recClient(t, env, org, user, "Ada Lovelace")
	bo := recClient(t, env, org, user, "Bo Peep")
	a := recBooking(t, env, org, user, store.BookingInput{ClientID: recID(ada), WeddingDate: "2027-05-01", BookedAt: "2027-01-01T10:00", ContractAmount: "500"})
	b := recBooking(t, env, org, user, store.BookingInput{ClientID: recID(bo), WeddingDate: "2027-06-01", BookedAt: "2027-01-02T10:00", ContractAmount: "900", Status: "cancelled"})
	c := recBooking(t, env, org, user, store.BookingInput{WeddingDate: "2027-07-01", BookedAt: "2027-01-03T10:00", ContractAmount: "100"})
	ids := func(q store.ListQuery) []int64 {
		t.Helper()
		page, err := env.DB.ListBookings(ctx, org, q)
		require.NoError(t, err)
		var out []int64
		for _, x := range page.Items {
			out = append(out, x.ID)
		}
		return out
	}
	require.Equal(t, []int64{c, b, a}, ids(store.ListQuery{}))
	require.Equal(t, []int64{a, b, c}, ids(store.ListQuery{Sort: "date"}))
	require.Equal(t, []int64{b, a, c}, ids(store.ListQuery{Sort: "-amount"}))
	require.Equal(t, []int64{a, b, c}, ids(store.ListQuery{Sort: "name"}))
	require.Equal(t, []int64{b}, ids(store.ListQuery{Status: "cancelled"}))
	require.Equal(t, []int64{b, a}, ids(store.ListQuery{From: "2027-05-01", To: "2027-06-01"}))
	require.Equal(t, []int64{a}, ids(store.ListQuery{Q: "ADA"}))
	require.Equal(t, []int64{a}, ids(store.ListQuery{Page: 2, PerPage: 2}))
}

func TestBookingConvertInquiry(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, user := env.NewOrg(t, "Alpha Studio", "Europe/London", "GBP")
	other, otherUser := env.NewOrg(t, "Beta Florals", "America/Chicago", "USD")
	client := recClient(t, env, org, user, "Ada Lovelace")
	iid, err := env.DB.CreateInquiry(ctx, org, user, store.InquiryInput{
		ClientID: recID(client), ReceivedAt: "2027-01-10T10:00", WeddingDate: "2027-09-18", EstimatedValue: "4500.50", Status: "proposal",
	})
	require.NoError(t, err)

	// Another org cannot convert it.
	_, err = env.DB.ConvertInquiry(ctx, other, otherUser, iid, store.BookingInput{})
	require.ErrorIs(t, err, store.ErrNotFound)
	// Validation failures leave the inquiry untouched.
	_, err = env.DB.ConvertInquiry(ctx, org, user, iid, store.BookingInput{ContractAmount: "lots"})
	recFields(t, err, "contract_amount")
	inq, err := env.DB.Inquiry(ctx, org, iid)
	require.NoError(t, err)
	require.Equal(t, "proposal", inq.Status)

	bid, err := env.DB.ConvertInquiry(ctx, org, user, iid, store.BookingInput{Title: "Lovelace wedding", BookedAt: "2027-01-20T12:00"})
	require.NoError(t, err)
	b, err := env.DB.Booking(ctx, org, bid)
	require.NoError(t, err)
	require.Equal(t, iid, *b.InquiryID)
	require.Equal(t, client, *b.ClientID)
	require.Equal(t, "2027-09-18", b.WeddingDate.Format(time.DateOnly))
	require.Equal(t, int64(450050), b.ContractAmount)
	require.Equal(t, "GBP", b.Currency)
	inq, err = env.DB.Inquiry(ctx, org, iid)
	require.NoError(t, err)
	require.Equal(t, "booked", inq.Status)
	require.Equal(t, bid, *inq.BookingID)
	require.Equal(t, []any{"proposal", "booked"}, recAudit(t, env, org, "convert", "inquiry", iid)["status"])

	_, err = env.DB.ConvertInquiry(ctx, org, user, iid, store.BookingInput{})
	require.ErrorIs(t, err, store.ErrConflict)
}

func TestInvoiceCRUDAndValidation(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, user := env.NewOrg(t, "Alpha Studio", "Europe/London", "GBP")
	other, otherUser := env.NewOrg(t, "Beta Florals", "America/Chicago", "USD")
	foreignBooking := recBooking(t, env, other, otherUser, store.BookingInput{WeddingDate: "2099-06-01", ContractAmount: "1"})
	yen := recBooking(t, env, org, user, store.BookingInput{Title: "Tokyo", WeddingDate: "2099-06-01", ContractAmount: "300000", Currency: "JPY"})

	_, err := env.DB.CreateInvoice(ctx, org, user, store.InvoiceInput{BookingID: recID(foreignBooking), DueDate: "soon", Amount: "", Status: "late", Number: "1234567890123456789012345678901234567890123456789012"})
	ve := recFields(t, err, "booking_id", "due_date", "amount", "status", "number")
	require.Equal(t, "Choose an existing booking.", ve.Fields["booking_id"])
	_, err = env.DB.CreateInvoice(ctx, org, user, store.InvoiceInput{DueDate: "2027-01-01", Amount: "1"})
	recFields(t, err, "booking_id")
	// The amount is in the booking's currency: yen have no decimals.
	_, err = env.DB.CreateInvoice(ctx, org, user, store.InvoiceInput{BookingID: recID(yen), DueDate: "2099-05-01", Amount: "1000.50"})
	recFields(t, err, "amount")

	inv, err := env.DB.CreateInvoice(ctx, org, user, store.InvoiceInput{BookingID: recID(yen), Number: "INV-1", DueDate: "2099-05-01", Amount: "150,000"})
	require.NoError(t, err)
	got, err := env.DB.Invoice(ctx, org, inv)
	require.NoError(t, err)
	require.Equal(t, int64(150000), got.Amount)
	require.Equal(t, "JPY", got.Currency)
	require.Equal(t, "open", got.Status)
	require.Equal(t, "Tokyo", got.BookingLabel())
	require.Equal(t, int64(150000), got.Balance())

	require.NoError(t, env.DB.UpdateInvoice(ctx, org, user, inv, store.InvoiceInput{BookingID: recID(yen), Number: "INV-1", DueDate: "2099-05-01", Amount: "150000", Status: "void"}))
	got, err = env.DB.Invoice(ctx, org, inv)
	require.NoError(t, err)
	require.Equal(t, "void", got.Status)
	require.Equal(t, []any{false, true}, recAudit(t, env, org, "update", "invoice", inv)["void"])

	opts, err := env.DB.InvoiceOptions(ctx, org)
	require.NoError(t, err)
	require.Equal(t, []store.Option{{ID: inv, Label: "#INV-1 · Tokyo (due 2099-05-01)"}}, opts)

	_, err = env.DB.Invoice(ctx, other, inv)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, env.DB.DeleteInvoice(ctx, other, otherUser, inv), store.ErrNotFound)
	require.NoError(t, env.DB.DeleteInvoice(ctx, org, user, inv))
	_, err = env.DB.Invoice(ctx, org, inv)
	require.ErrorIs(t, err, store.ErrNotFound)
}
