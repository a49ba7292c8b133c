package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/storetest"
)

// batchWorld is one organization with an integration, three bookings (one cancelled) with an
// invoice each, and a booking of another organization.
type batchWorld struct {
	org, integration, foreign int64
	bookings, invoices        []int64
}

func newBatchWorld(t *testing.T, env *storetest.Env, name string) batchWorld {
	t.Helper()
	ctx := context.Background()
	w := batchWorld{}
	var user int64
	w.org, user = env.NewOrg(t, name, "America/New_York", "USD")
	other, _ := env.NewOrg(t, name+" elsewhere", "UTC", "USD")
	w.integration = integCreateStripe(t, env, integKeys(t), w.org, user).ID
	for i, status := range []string{"confirmed", "confirmed", "cancelled"} {
		var b, inv int64
		require.NoError(t, env.Admin.QueryRow(ctx, `with c as (insert into clients (org_id, name, email) values ($1, $2, $3) returning id)
			insert into bookings (org_id, client_id, wedding_date, booked_at, contract_amount, currency, status, external_id)
			select $1, id, '2027-06-05'::date + $4::int, now(), 500000, 'USD', $5, $6 from c returning id`,
			w.org, fmt.Sprintf("Client %d", i), fmt.Sprintf("couple%d@example.com", i%2), i, status, fmt.Sprintf("crm-%d", i)).Scan(&b))
		require.NoError(t, env.Admin.QueryRow(ctx, `insert into invoices (org_id, booking_id, number, due_date, amount)
			values ($1, $2, $3, '2027-05-01', 150000) returning id`, w.org, b, fmt.Sprintf("INV-%d", i)).Scan(&inv))
		w.bookings, w.invoices = append(w.bookings, b), append(w.invoices, inv)
	}
	require.NoError(t, env.Admin.QueryRow(ctx, `insert into bookings (org_id, wedding_date, booked_at, contract_amount, currency)
		values ($1, '2027-06-06', now(), 100, 'USD') returning id`, other).Scan(&w.foreign))
	return w
}

// row makes a payment row; booking and invoice are indexes into the world (-1: none, 9: the
// other organization's booking).
func (w batchWorld) row(ext string, booking, invoice int, amount, refunded int64, status, currency string) store.PaymentRow {
	r := store.PaymentRow{IntegrationID: w.integration, ExternalID: ext, Provider: "stripe", Amount: amount,
		RefundedAmount: refunded, Fee: amount / 40, Currency: currency, Status: status,
		PaidAt: time.Date(2026, 3, 10, 23, 30, 0, 0, time.UTC), Note: "Card payment " + ext}
	switch {
	case booking == 9:
		r.BookingID = &w.foreign
	case booking >= 0:
		r.BookingID = &w.bookings[booking]
	}
	if invoice >= 0 {
		r.InvoiceID = &w.invoices[invoice]
	}
	return r
}

// state reads the world back with ids replaced by indexes, so two worlds compare equal.
func (w batchWorld) state(t *testing.T, env *storetest.Env) []string {
	t.Helper()
	ctx := context.Background()
	index := func(ids []int64, id *int64) int {
		for i, x := range ids {
			if id != nil && x == *id {
				return i
			}
		}
		return -1
	}
	var out []string
	rows, err := env.Admin.Query(ctx, `select external_id, provider, booking_id, invoice_id, amount, refunded_amount, fee, currency,
		status, paid_at, note from payments where org_id = $1 order by external_id`, w.org)
	require.NoError(t, err)
	for rows.Next() {
		var ext, provider, currency, status, note string
		var booking, invoice *int64
		var amount, refunded, fee int64
		var paid time.Time
		require.NoError(t, rows.Scan(&ext, &provider, &booking, &invoice, &amount, &refunded, &fee, &currency, &status, &paid, &note))
		out = append(out, fmt.Sprintf("payment %s %s b%d i%d %d-%d fee %d %s %s %s %q", ext, provider, index(w.bookings, booking),
			index(w.invoices, invoice), amount, refunded, fee, currency, status, paid.UTC().Format(time.RFC3339), note))
	}
	require.NoError(t, rows.Err())
	for i, inv := range w.invoices {
		var paid int64
		var status string
		require.NoError(t, env.Admin.QueryRow(ctx, "select amount_paid, status from invoices where id = $1", inv).Scan(&paid, &status))
		out = append(out, fmt.Sprintf("invoice %d paid %d %s", i, paid, status))
	}
	for i, b := range w.bookings {
		var net int64
		require.NoError(t, env.Admin.QueryRow(ctx, "select "+store.PaidNetSQL+" from bookings b "+store.JoinPaidPendingSQL+" where b.id = $1", b).Scan(&net))
		out = append(out, fmt.Sprintf("booking %d net %d", i, net))
	}
	var days []string
	require.NoError(t, env.Admin.QueryRow(ctx, `select coalesce(array_agg(format('%s %s %s %s', currency, day, net, payments) order by currency, day), '{}')
		from (select currency, day, sum(net) net, sum(payments) payments from payment_days_all where org_id = $1 group by 1, 2) d
		where net <> 0 or payments <> 0`, w.org).Scan(&days))
	return append(out, days...)
}

// TestUpsertPaymentsBatchMatchesRowByRow writes the same pages of payments one row at a time
// (UpsertPayment) in one organization and as batches in another, and finds the same payments,
// invoice amounts and statuses, booking totals, daily totals and counts: invoices followed as
// payments joined, left and moved between them, repeats within a page, refunds, invalid rows
// and references to another organization skipped.
func TestUpsertPaymentsBatchMatchesRowByRow(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	one, batch := newBatchWorld(t, env, "Row By Row"), newBatchWorld(t, env, "Batched")
	pages := func(w batchWorld) [][]store.PaymentRow {
		return [][]store.PaymentRow{{
			w.row("ch_1", 0, 0, 150000, 0, "succeeded", "USD"),
			w.row("ch_2", -1, 1, 60000, 0, "succeeded", "USD"), // takes the invoice's booking
			w.row("ch_3", 1, -1, 25000, 0, "pending", "USD"),
			w.row("ch_4", -1, -1, 9900, 0, "succeeded", "CAD"),
			w.row("ch_5", 9, -1, 1000, 0, "succeeded", "USD"),    // another organization's booking: skipped
			w.row("ch_6", 0, -1, 1000, 2000, "succeeded", "USD"), // refund above the amount: skipped
			w.row("ch_7", 2, 2, 45000, 0, "succeeded", "usd"),    // lower-case currency: skipped
		}, {
			w.row("ch_1", 0, 1, 150000, 50000, "partially_refunded", "USD"), // moves from invoice 0 to 1
			w.row("ch_2", -1, -1, 60000, 0, "succeeded", "USD"),             // leaves invoice 1
			w.row("ch_3", 1, 1, 25000, 0, "succeeded", "USD"),
			w.row("ch_3", 1, 2, 25000, 0, "succeeded", "USD"), // the same charge twice: the last wins
			w.row("ch_8", 2, 2, 150000, 150000, "refunded", "USD"),
			w.row("", 0, -1, 100, 0, "succeeded", "USD"), // no external id: skipped
		}, {
			w.row("ch_8", 2, 2, 150000, 0, "succeeded", "USD"),
			w.row("ch_9", -1, 0, 150000, 0, "failed", "USD"),
			w.row("ch_9", 9, 0, 150000, 0, "succeeded", "USD"),  // a repeat that is skipped leaves the one before
			w.row("ch_9", 0, 0, 150000, -5, "succeeded", "USD"), // so does an invalid one
		}}
	}
	type counts struct{ created, updated, skipped int }
	var perRow, batched []counts
	for _, page := range pages(one) {
		var c counts
		require.NoError(t, env.DB.WriteOrg(ctx, one.org, func(tx pgx.Tx) error {
			for _, r := range page {
				created, err := env.DB.UpsertPayment(ctx, tx, one.org, r)
				switch {
				case err != nil:
					c.skipped++
				case created:
					c.created++
				default:
					c.updated++
				}
			}
			return nil
		}))
		perRow = append(perRow, c)
	}
	for _, page := range pages(batch) {
		var res store.PaymentBatchResult
		require.NoError(t, env.DB.WriteOrg(ctx, batch.org, func(tx pgx.Tx) (err error) {
			res, err = env.DB.UpsertPaymentsBatch(ctx, tx, batch.org, upserts(page))
			return err
		}))
		for _, s := range res.Skipped {
			require.Error(t, s.Err)
			t.Logf("skipped row %d: %v", s.Index, s.Err)
		}
		batched = append(batched, counts{res.Created, res.Updated, len(res.Skipped)})
	}
	require.Equal(t, perRow, batched)
	require.Equal(t, []counts{{4, 0, 3}, {1, 4, 1}, {1, 1, 2}}, batched)
	require.Equal(t, one.state(t, env), batch.state(t, env))
	t.Logf("state: %q", batch.state(t, env))
}

func TestUpsertPaymentsBatchRefusesMixedIntegrationsAndForeignOnes(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	w := newBatchWorld(t, env, "Mixed")
	other := newBatchWorld(t, env, "Other")
	a := w.row("ch_a", -1, -1, 100, 0, "succeeded", "USD")
	b := a
	b.IntegrationID = other.integration
	require.NoError(t, env.DB.WriteOrg(ctx, w.org, func(tx pgx.Tx) error {
		_, err := env.DB.UpsertPaymentsBatch(ctx, tx, w.org, upserts([]store.PaymentRow{a, b}))
		require.ErrorContains(t, err, "one integration")
		_, err = env.DB.UpsertPaymentsBatch(ctx, tx, w.org, upserts([]store.PaymentRow{b}))
		require.ErrorIs(t, err, store.ErrNotFound, "another organization's integration")
		res, err := env.DB.UpsertPaymentsBatch(ctx, tx, w.org, nil)
		require.Zero(t, res.Created+res.Updated)
		return err
	}))
}

// TestBatchLinksMatchTheOneRowLookups: rows linked by a booking reference or a client's email
// get the booking the one-row look-ups (BookingByRef, BookingByClientEmail) find, in the order
// upsertRecord tries them; links by external id come first, and a row's own ids before those.
func TestBatchLinksMatchTheOneRowLookups(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	w := newBatchWorld(t, env, "Links Batch")
	refs := []string{integItoa(w.bookings[0]), "#" + integItoa(w.bookings[1]), integItoa(w.bookings[1]), "crm-1", "crm-2",
		integItoa(w.foreign), "nope", "#", " crm-2 ", "", integItoa(w.bookings[2])}
	emails := []string{"couple0@example.com", "COUPLE1@example.com", "nobody@example.com", ""}
	// Two bookings carry the second one's id as their external id (say, from two CRMs): the
	// one-row look-up then prefers the lower id, an external id match.
	_, err := env.Admin.Exec(ctx, "update bookings set external_id = $1 where id = any($2)", integItoa(w.bookings[1]), w.bookings[:2])
	require.NoError(t, err)
	// The integration delivered invoice 1 and booking 2 itself.
	_, err = env.Admin.Exec(ctx, "update invoices set integration_id = $1, external_id = 'inv-ext-1' where id = $2", w.integration, w.invoices[1])
	require.NoError(t, err)
	_, err = env.Admin.Exec(ctx, "update bookings set integration_id = $1, external_id = 'bk-ext-2' where id = $2", w.integration, w.bookings[2])
	require.NoError(t, err)

	var batch []store.PaymentUpsert
	var want []*int64
	require.NoError(t, env.DB.ReadOrg(ctx, w.org, func(tx pgx.Tx) error {
		for i, ref := range refs {
			for j, email := range emails {
				u := store.PaymentUpsert{PaymentRow: w.row(fmt.Sprintf("ch_%d_%d", i, j), -1, -1, 100, 0, "succeeded", "USD"),
					BookingRef: ref, ClientEmail: email}
				var b *int64
				var err error
				if strings.TrimSpace(ref) != "" {
					b, err = env.DB.BookingByRef(ctx, tx, strings.TrimSpace(ref))
					require.NoError(t, err)
				}
				if b == nil && email != "" {
					b, err = env.DB.BookingByClientEmail(ctx, tx, email)
					require.NoError(t, err)
				}
				batch, want = append(batch, u), append(want, b)
			}
		}
		return nil
	}))
	link := func(ext string, u store.PaymentUpsert, b int) {
		u.ExternalID = ext
		batch, want = append(batch, u), append(want, &w.bookings[b])
	}
	row := w.row("", -1, -1, 100, 0, "succeeded", "USD")
	link("ch_inv_ext", store.PaymentUpsert{PaymentRow: row, InvoiceExternalID: "inv-ext-1", BookingRef: "crm-2"}, 1)
	link("ch_bk_ext", store.PaymentUpsert{PaymentRow: row, BookingExternalID: "bk-ext-2", BookingRef: integItoa(w.bookings[0])}, 2)
	link("ch_unknown_ext", store.PaymentUpsert{PaymentRow: row, BookingExternalID: "crm-0", BookingRef: integItoa(w.bookings[0])}, 0)
	link("ch_own_id", store.PaymentUpsert{PaymentRow: w.row("", 1, -1, 100, 0, "succeeded", "USD"), BookingExternalID: "bk-ext-2"}, 1)

	var res store.PaymentBatchResult
	require.NoError(t, env.DB.WriteOrg(ctx, w.org, func(tx pgx.Tx) (err error) {
		res, err = env.DB.UpsertPaymentsBatch(ctx, tx, w.org, batch)
		return err
	}))
	require.Empty(t, res.Skipped)
	require.Equal(t, len(batch), res.Created)
	for i, u := range batch {
		var got *int64
		require.NoError(t, env.Admin.QueryRow(ctx, "select booking_id from payments where integration_id = $1 and external_id = $2",
			w.integration, u.ExternalID).Scan(&got))
		require.Equalf(t, want[i], got, "%s: ref %q, email %q", u.ExternalID, u.BookingRef, u.ClientEmail)
	}
}

func upserts(rows []store.PaymentRow) []store.PaymentUpsert {
	out := make([]store.PaymentUpsert, len(rows))
	for i, r := range rows {
		out[i] = store.PaymentUpsert{PaymentRow: r}
	}
	return out
}
