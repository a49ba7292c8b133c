package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/storetest"
)

// recIntegration adds an integration row for upserts to hang on.
func recIntegration(t *testing.T, env *storetest.Env, orgID int64, provider string) int64 {
	t.Helper()
	var iid int64
	require.NoError(t, env.DB.QuietWriteOrg(context.Background(), orgID, func(tx pgx.Tx) error {
		return tx.QueryRow(context.Background(), `insert into integrations (org_id, public_id, provider)
			values ($1, 'int_' || $1::bigint::text || '_' || $2, $2) returning id`, orgID, provider).Scan(&iid)
	}))
	return iid
}

// sync runs fn in one scoped write transaction, like a sync job's page.
func recSync(t *testing.T, env *storetest.Env, orgID int64, fn func(ctx context.Context, tx pgx.Tx) error) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, env.DB.WriteOrg(ctx, orgID, func(tx pgx.Tx) error { return fn(ctx, tx) }))
}

func recCount(t *testing.T, env *storetest.Env, table string, orgID int64) int {
	t.Helper()
	var n int
	require.NoError(t, env.Admin.QueryRow(context.Background(), "select count(*) from "+pgx.Identifier{table}.Sanitize()+" where org_id = $1", orgID).Scan(&n))
	return n
}

// TestRecordUpsertsAreIdempotent replays the same page twice: the second pass creates nothing
// and leaves one row per external id, with the latest values.
func TestRecordUpsertsAreIdempotent(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, _ := env.NewOrg(t, "Alpha Studio", "Europe/London", "GBP")
	integ := recIntegration(t, env, org, "stripe")
	paidAt := time.Date(2027, 2, 1, 10, 0, 0, 0, time.UTC)

	page := func(title string, wantCreated bool) {
		recSync(t, env, org, func(ctx context.Context, tx pgx.Tx) error {
			created, err := env.DB.UpsertClient(ctx, tx, org, store.ClientRow{IntegrationID: integ, ExternalID: "cus_1", Name: "Ada " + title, Email: "ada@example.com"})
			require.NoError(t, err)
			require.Equal(t, wantCreated, created)
			client, err := env.DB.ExternalRecordID(ctx, tx, "client", integ, "cus_1")
			require.NoError(t, err)
			value := int64(450000)
			created, err = env.DB.UpsertInquiry(ctx, tx, org, store.InquiryRow{IntegrationID: integ, ExternalID: "inq_1", ClientID: &client,
				ReceivedAt: paidAt.Add(-30 * 24 * time.Hour), EstimatedValue: &value, Currency: "GBP"})
			require.NoError(t, err)
			require.Equal(t, wantCreated, created)
			created, err = env.DB.UpsertBooking(ctx, tx, org, store.BookingRow{IntegrationID: integ, ExternalID: "bk_1", ClientID: &client,
				Title: title, WeddingDate: time.Date(2027, 9, 18, 0, 0, 0, 0, time.UTC), BookedAt: paidAt, ContractAmount: 500000, Currency: "GBP"})
			require.NoError(t, err)
			require.Equal(t, wantCreated, created)
			booking, err := env.DB.ExternalRecordID(ctx, tx, "booking", integ, "bk_1")
			require.NoError(t, err)
			created, err = env.DB.UpsertInvoice(ctx, tx, org, store.InvoiceRow{IntegrationID: integ, ExternalID: "in_1", BookingID: booking,
				Number: "S-1", DueDate: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), Amount: 100000})
			require.NoError(t, err)
			require.Equal(t, wantCreated, created)
			invoice, err := env.DB.ExternalRecordID(ctx, tx, "invoice", integ, "in_1")
			require.NoError(t, err)
			created, err = env.DB.UpsertPayment(ctx, tx, org, store.PaymentRow{IntegrationID: integ, ExternalID: "pi_1", Provider: "stripe",
				InvoiceID: &invoice, Amount: 100000, Fee: 2900, Currency: "GBP", PaidAt: paidAt})
			require.NoError(t, err)
			require.Equal(t, wantCreated, created)
			created, err = env.DB.UpsertReview(ctx, tx, org, store.ReviewRow{IntegrationID: integ, ExternalID: "rv_1", ClientID: &client,
				BookingID: &booking, Rating: 5, Source: "google", ReceivedAt: paidAt})
			require.NoError(t, err)
			require.Equal(t, wantCreated, created)
			created, err = env.DB.UpsertCalendarEvent(ctx, tx, org, store.CalendarEventRow{IntegrationID: integ, ExternalID: "ev_1",
				Title: title, StartsAt: paidAt, EndsAt: paidAt.Add(8 * time.Hour), Kind: "wedding", BookingID: &booking})
			require.NoError(t, err)
			require.Equal(t, wantCreated, created)
			return nil
		})
	}
	page("first", true)
	page("second", false)

	for _, table := range []string{"clients", "inquiries", "bookings", "invoices", "payments", "reviews", "calendar_events"} {
		require.Equal(t, 1, recCount(t, env, table, org), table)
	}
	bookings, err := env.DB.ListBookings(ctx, org, store.ListQuery{})
	require.NoError(t, err)
	require.Equal(t, "second", bookings.Items[0].Title)
	require.Equal(t, "bk_1", bookings.Items[0].ExternalID)
	require.Equal(t, int64(100000), bookings.Items[0].Paid)
	invoices, err := env.DB.ListInvoices(ctx, org, store.ListQuery{})
	require.NoError(t, err)
	require.Equal(t, int64(100000), invoices.Items[0].AmountPaid)
	require.Equal(t, "paid", invoices.Items[0].Status)
	payments, err := env.DB.ListPayments(ctx, org, store.ListQuery{Source: "stripe"})
	require.NoError(t, err)
	require.Equal(t, bookings.Items[0].ID, *payments.Items[0].BookingID, "the invoice's booking")

	// A refund arriving later is an update, and the invoice follows it.
	invoiceID := invoices.Items[0].ID
	recSync(t, env, org, func(ctx context.Context, tx pgx.Tx) error {
		created, err := env.DB.UpsertPayment(ctx, tx, org, store.PaymentRow{IntegrationID: integ, ExternalID: "pi_1", Provider: "stripe",
			InvoiceID: &invoiceID, Amount: 100000, RefundedAmount: 100000, Status: "refunded", Currency: "GBP", PaidAt: paidAt})
		require.False(t, created)
		return err
	})
	inv, err := env.DB.Invoice(ctx, org, invoiceID)
	require.NoError(t, err)
	require.Equal(t, int64(0), inv.AmountPaid)
	require.Equal(t, "open", inv.Status)

	// A deletion reported by the provider removes the row and recomputes the invoice.
	recSync(t, env, org, func(ctx context.Context, tx pgx.Tx) error {
		deleted, err := env.DB.DeleteExternalRecord(ctx, tx, "payment", integ, "pi_1")
		require.True(t, deleted)
		require.NoError(t, err)
		deleted, err = env.DB.DeleteExternalRecord(ctx, tx, "payment", integ, "pi_1")
		require.False(t, deleted)
		require.NoError(t, err)
		_, err = env.DB.ExternalRecordID(ctx, tx, "payment", integ, "pi_1")
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = env.DB.ExternalRecordID(ctx, tx, "clients; drop table clients", integ, "x")
		require.Error(t, err)
		return nil
	})
	require.Zero(t, recCount(t, env, "payments", org))
}

func TestRecordUpsertsRefuseBadRows(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	org, _ := env.NewOrg(t, "Alpha Studio", "Europe/London", "GBP")
	other, otherUser := env.NewOrg(t, "Beta Florals", "America/Chicago", "USD")
	integ := recIntegration(t, env, org, "stripe")
	otherInteg := recIntegration(t, env, other, "stripe")
	foreignBooking := recBooking(t, env, other, otherUser, store.BookingInput{WeddingDate: "2099-06-01", ContractAmount: "1"})
	at := time.Date(2027, 2, 1, 10, 0, 0, 0, time.UTC)
	ctx := context.Background()
	err := env.DB.QuietWriteOrg(ctx, org, func(tx pgx.Tx) error {
		_, err := env.DB.UpsertPayment(ctx, tx, org, store.PaymentRow{IntegrationID: integ, Amount: 1, Currency: "GBP", PaidAt: at})
		require.ErrorContains(t, err, "external id")
		_, err = env.DB.UpsertPayment(ctx, tx, org, store.PaymentRow{IntegrationID: integ, ExternalID: "p", Amount: 1, RefundedAmount: 2, Currency: "GBP", PaidAt: at})
		require.Error(t, err)
		_, err = env.DB.UpsertReview(ctx, tx, org, store.ReviewRow{IntegrationID: integ, ExternalID: "r", Rating: 7, ReceivedAt: at})
		require.Error(t, err)
		_, err = env.DB.UpsertBooking(ctx, tx, org, store.BookingRow{IntegrationID: integ, ExternalID: "b", Currency: "gbp", BookedAt: at, WeddingDate: at})
		require.Error(t, err)
		// Foreign keys are checked without row level security, so the store checks references itself.
		_, err = env.DB.UpsertPayment(ctx, tx, org, store.PaymentRow{IntegrationID: integ, ExternalID: "p", Amount: 1, Currency: "GBP", PaidAt: at, BookingID: &foreignBooking})
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = env.DB.UpsertClient(ctx, tx, org, store.ClientRow{IntegrationID: otherInteg, ExternalID: "c", Name: "Ada"})
		require.ErrorIs(t, err, store.ErrNotFound)
		// Over-long and NUL-bearing text from a provider is cleaned, not fatal.
		created, err := env.DB.UpsertClient(ctx, tx, org, store.ClientRow{IntegrationID: integ, ExternalID: "c", Name: string(make([]rune, 300)) + "Ada\x00"})
		require.NoError(t, err)
		require.True(t, created)
		return nil
	})
	require.NoError(t, err)
}

func TestCalendarEventsRange(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, _ := env.NewOrg(t, "Alpha Studio", "Europe/London", "GBP")
	other, _ := env.NewOrg(t, "Beta Florals", "America/Chicago", "USD")
	integ := recIntegration(t, env, org, "google_calendar")
	otherInteg := recIntegration(t, env, other, "google_calendar")
	day := time.Date(2027, 6, 12, 0, 0, 0, 0, time.UTC)
	recSync(t, env, org, func(ctx context.Context, tx pgx.Tx) error {
		for i, e := range []struct {
			ext        string
			start, end time.Duration
		}{{"before", -48 * time.Hour, -24 * time.Hour}, {"overlap", -2 * time.Hour, 2 * time.Hour}, {"inside", 10 * time.Hour, 18 * time.Hour}, {"after", 24 * time.Hour, 30 * time.Hour}} {
			_, err := env.DB.UpsertCalendarEvent(ctx, tx, org, store.CalendarEventRow{IntegrationID: integ, ExternalID: e.ext, Title: e.ext,
				StartsAt: day.Add(e.start), EndsAt: day.Add(e.end), Status: []string{"confirmed", "tentative", "cancelled", ""}[i]})
			require.NoError(t, err)
		}
		return nil
	})
	recSync(t, env, other, func(ctx context.Context, tx pgx.Tx) error {
		_, err := env.DB.UpsertCalendarEvent(ctx, tx, other, store.CalendarEventRow{IntegrationID: otherInteg, ExternalID: "x", StartsAt: day, EndsAt: day.Add(time.Hour)})
		return err
	})
	events, err := env.DB.ListCalendarEvents(ctx, org, day, day.Add(24*time.Hour))
	require.NoError(t, err)
	require.Len(t, events, 2)
	require.Equal(t, "overlap", events[0].Title)
	require.Equal(t, "inside", events[1].Title)
	require.Equal(t, "cancelled", events[1].Status)
	require.Equal(t, "other", events[1].Kind)
	require.Equal(t, integ, *events[0].IntegrationID)
}
