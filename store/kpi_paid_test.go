package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/storetest"
)

// The triggers of migrations 0006 and 0015 keep bookings.paid_net plus the booking's entries of
// the payment totals journal not folded yet (store.PaidNetSQL) equal to the net of the booking's payments
// of its organization in its currency, and payment_days_all (payment_days plus the journal) equal
// to the net and number of payments per organization, currency and local paid date. These tests
// compare both with their definitions, recomputed from scratch, after every kind of write.

// requirePaidNetExact fails when any booking's net paid (store.PaidNetSQL) or any total of
// payment_days_all differs from the payments.
func requirePaidNetExact(t *testing.T, env *storetest.Env, step string) {
	t.Helper()
	var bad, total int
	require.NoError(t, env.Admin.QueryRow(context.Background(), `select count(*) filter (where `+store.PaidNetSQL+` <> coalesce((
			select sum(p.amount - p.refunded_amount) from payments p
			where p.booking_id = b.id and p.org_id = b.org_id and p.currency = b.currency
				and p.status in ('succeeded', 'partially_refunded', 'refunded')), 0)), count(*)
		from bookings b `+store.JoinPaidPendingSQL).Scan(&bad, &total))
	require.Zerof(t, bad, "%s: %d of %d bookings have a wrong paid_net", step, bad, total)
	var diff []string
	rows, err := env.Admin.Query(context.Background(), `with want as (
			select p.org_id, p.currency, (p.paid_at at time zone o.timezone)::date as day,
				coalesce(sum(p.amount - p.refunded_amount) filter (where p.status in ('succeeded', 'partially_refunded', 'refunded')), 0) as net,
				count(*) as n
			from payments p join organizations o on o.id = p.org_id group by 1, 2, 3),
		got as (select org_id, currency, day, sum(net) as net, sum(payments) as n from payment_days_all group by 1, 2, 3
			having sum(net) <> 0 or sum(payments) <> 0)
		select format('%s %s %s: want %s/%s, got %s/%s', coalesce(w.org_id, g.org_id), coalesce(w.currency, g.currency),
			coalesce(w.day, g.day), w.net, w.n, g.net, g.n)
		from want w full join got g using (org_id, currency, day)
		where w.net is distinct from g.net or w.n is distinct from g.n limit 5`)
	require.NoError(t, err)
	diff, err = pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Emptyf(t, diff, "%s: payment_days differ from the payments", step)
}

// paidOrg is an organization with bookings, for the paid_net tests.
func paidOrg(t *testing.T, env *storetest.Env, name, cur string, n int) (int64, []int64) {
	t.Helper()
	ctx := context.Background()
	org, _ := env.NewOrg(t, name, "Europe/London", cur)
	rows, err := env.Admin.Query(ctx, `insert into bookings (org_id, wedding_date, booked_at, contract_amount, currency)
		select $1, date '2027-06-05' + i, now(), 100000 * i, case when i % 5 = 0 then 'EUR' else $2 end
		from generate_series(1, $3::int) i returning id`, org, cur, n)
	require.NoError(t, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	require.NoError(t, err)
	return org, ids
}

func TestBookingPaidNetStaysExact(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, ids := paidOrg(t, env, "Paid Studio", "GBP", 40)
	other, otherIDs := paidOrg(t, env, "Other Studio", "USD", 10)
	rng := rand.New(rand.NewPCG(7, 7))
	statuses := []string{"succeeded", "partially_refunded", "refunded", "pending", "failed"}
	asApp := func(step string, fn func(tx pgx.Tx) error) {
		t.Helper()
		require.NoError(t, env.DB.QuietWriteOrg(ctx, org, fn), step)
		requirePaidNetExact(t, env, step)
	}
	asAdmin := func(step, sql string, args ...any) {
		t.Helper()
		_, err := env.Admin.Exec(ctx, sql, args...)
		require.NoError(t, err, step)
		requirePaidNetExact(t, env, step)
	}

	// COPY as the superuser, for both organizations at once.
	var rows [][]any
	for i := range 3000 {
		o, b := org, ids[rng.IntN(len(ids))]
		if i%4 == 0 {
			o, b = other, otherIDs[rng.IntN(len(otherIDs))]
		}
		amount := 1 + rng.Int64N(100_000)
		status := statuses[rng.IntN(len(statuses))]
		refunded := int64(0)
		switch status {
		case "partially_refunded":
			refunded = rng.Int64N(amount)
		case "refunded":
			refunded = amount
		}
		var booking any = b
		if i%7 == 0 {
			booking = nil
		}
		cur := []string{"GBP", "USD", "EUR"}[rng.IntN(3)]
		rows = append(rows, []any{o, booking, amount, refunded, cur, status, time.Now()})
	}
	_, err := env.Admin.CopyFrom(ctx, pgx.Identifier{"payments"},
		[]string{"org_id", "booking_id", "amount", "refunded_amount", "currency", "status", "paid_at"}, pgx.CopyFromRows(rows))
	require.NoError(t, err)
	requirePaidNetExact(t, env, "copy")

	asAdmin("insert select", `insert into payments (org_id, booking_id, amount, currency, paid_at)
		select $1, b.id, 1000, b.currency, now() from bookings b where b.org_id = $1`, org)

	// The app role's writes, under row level security.
	asApp("multi-row insert", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `insert into payments (org_id, booking_id, amount, refunded_amount, currency, status, paid_at)
			values ($1, $2, 500, 100, 'GBP', 'partially_refunded', now()), ($1, $3, 700, 0, 'GBP', 'succeeded', now()),
			($1, $2, 900, 0, 'GBP', 'pending', now())`, org, ids[0], ids[1])
		return err
	})
	var integration int64
	require.NoError(t, env.Admin.QueryRow(ctx, `insert into integrations (org_id, public_id, provider) values ($1, 'int_paid', 'stripe')
		returning id`, org).Scan(&integration))
	upsert := `insert into payments (org_id, integration_id, external_id, booking_id, amount, currency, status, paid_at)
		values ($1, $2, 'ch_1', $3, $4, 'GBP', $5, now())
		on conflict (integration_id, external_id) do update set booking_id = excluded.booking_id,
			amount = excluded.amount, status = excluded.status`
	asApp("upsert insert", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, upsert, org, integration, ids[2], 40_000, "succeeded")
		return err
	})
	asApp("upsert update moves the payment", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, upsert, org, integration, ids[3], 45_000, "succeeded")
		return err
	})
	asApp("upsert update fails the payment", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, upsert, org, integration, ids[3], 45_000, "failed")
		return err
	})
	asApp("bulk refund", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `update payments set status = 'refunded', refunded_amount = amount where id % 3 = 0`)
		return err
	})
	asApp("relink", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `update payments set booking_id = $1 where id % 5 = 1`, ids[4])
		return err
	})
	asApp("currency of payments", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `update payments set currency = 'EUR' where id % 11 = 2`)
		return err
	})
	asApp("delete payments", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `delete from payments where id % 4 = 3`)
		return err
	})
	asApp("currency of a booking", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `update bookings set currency = 'EUR' where id = any ($1)`, ids[5:9])
		return err
	})
	asApp("delete a booking", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `delete from bookings where id = $1`, ids[4])
		return err
	})
	asApp("paid_net written by hand", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `update bookings set paid_net = 123456789 where id = $1`, ids[6])
		return err
	})
	asApp("a new booking with paid_net", func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `insert into bookings (org_id, wedding_date, booked_at, contract_amount, currency, paid_net)
			values ($1, '2027-01-01', now(), 1, 'GBP', 999)`, org)
		return err
	})

	// The app role saw none of the other organization's rows, and changed none of them.
	var otherNet int64
	require.NoError(t, env.Admin.QueryRow(ctx, `select coalesce(sum(`+store.PaidNetSQL+`), 0) from bookings b `+store.JoinPaidPendingSQL+` where b.org_id = $1`, other).Scan(&otherNet))
	require.Positive(t, otherNet)
	var otherDays int
	require.NoError(t, env.DB.ReadOrg(ctx, org, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `select count(*) from payment_days_all where org_id = $1`, other).Scan(&otherDays)
	}))
	require.Zero(t, otherDays)

	asAdmin("a payment moves to another organization", `update payments set org_id = $2 where booking_id = $1`, otherIDs[0], org)
	asAdmin("payments move in time", `update payments set paid_at = paid_at - interval '20 hours' where id % 3 = 1`)

	// Folding keeps every total, empties the journal, and leaves one row per key.
	require.NoError(t, env.DB.CompactTotals(ctx, org))
	requirePaidNetExact(t, env, "compact")
	var pending, dup int
	require.NoError(t, env.Admin.QueryRow(ctx, `select (select count(*) from payment_totals_journal where org_id = $1),
		(select count(*) - count(distinct (currency, day)) from payment_days where org_id = $1)`, org).Scan(&pending, &dup))
	require.Zero(t, pending)
	require.Zero(t, dup)

	// A new timezone moves payments to other local dates.
	require.NoError(t, env.DB.QuietWriteOrg(ctx, org, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `update organizations set timezone = 'Pacific/Auckland'`)
		return err
	}))
	requirePaidNetExact(t, env, "timezone")

	// Deleting an organization takes its payments, bookings, payment_days and journal with it.
	asAdmin("delete an organization", `delete from organizations where id = $1`, other)
	var orphans int
	require.NoError(t, env.Admin.QueryRow(ctx, `select count(*) from payment_days_all where org_id = $1`, other).Scan(&orphans))
	require.Zero(t, orphans)

	asAdmin("truncate", `truncate payments`)
	var left int64
	require.NoError(t, env.Admin.QueryRow(ctx, `select (select count(*) from bookings where paid_net <> 0)
		+ (select count(*) from payment_totals_journal) + (select count(*) from payment_days)`).Scan(&left))
	require.Zero(t, left)
}

// TestBookingPaidNetConcurrentWriters runs many READ COMMITTED transactions of the app role
// that insert, update and delete payments of the same few bookings at once, with compactions
// and changes of a booking's currency (there and back) in between. Writers only append delta
// rows, which sum up; compactions and currency changes lock the booking before its delta rows, so
// they neither deadlock nor count a delta twice.
func TestBookingPaidNetConcurrentWriters(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, ids := paidOrg(t, env, "Busy Studio", "GBP", 4)
	const workers, rounds = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds+60)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 99))
			for range rounds {
				a := rng.IntN(len(ids) - 1)
				b := a + 1 + rng.IntN(len(ids)-a-1) // a < b: several bookings are always taken in id order
				err := env.DB.QuietWriteOrg(ctx, org, func(tx pgx.Tx) error {
					switch rng.IntN(4) {
					case 0: // one statement, two bookings
						_, err := tx.Exec(ctx, `insert into payments (org_id, booking_id, amount, currency, paid_at)
							values ($1, $2, $4, 'GBP', now()), ($1, $3, $4, 'GBP', now())`, org, ids[a], ids[b], 1+rng.Int64N(1000))
						return err
					case 1: // two statements, in booking order
						for _, id := range []int64{ids[a], ids[b]} {
							if _, err := tx.Exec(ctx, `insert into payments (org_id, booking_id, amount, currency, paid_at)
								values ($1, $2, $3, 'GBP', now())`, org, id, 1+rng.Int64N(1000)); err != nil {
								return err
							}
						}
						return nil
					case 2:
						_, err := tx.Exec(ctx, `update payments set amount = amount + 7, status = $2,
							paid_at = paid_at - interval '1 day' where id = (
							select id from payments where booking_id = $1 order by random() limit 1)`,
							ids[a], []string{"succeeded", "failed", "pending"}[rng.IntN(3)])
						return err
					default:
						_, err := tx.Exec(ctx, `delete from payments where id = (
							select id from payments where booking_id = $1 order by random() limit 1)`, ids[a])
						return err
					}
				})
				if err != nil {
					errs <- fmt.Errorf("worker %d: %w", w, err)
				}
			}
		}()
	}
	wg.Add(1)
	go func() { // an admin corrects a booking's currency, then corrects it back
		defer wg.Done()
		for i := range 10 {
			for _, cur := range []string{"EUR", "GBP"} {
				err := env.DB.QuietWriteOrg(ctx, org, func(tx pgx.Tx) error {
					_, err := tx.Exec(ctx, `update bookings set currency = $2 where id = $1`, ids[i%len(ids)], cur)
					return err
				})
				if err != nil {
					errs <- fmt.Errorf("currency: %w", err)
				}
			}
			time.Sleep(3 * time.Millisecond)
		}
	}()
	wg.Add(1)
	go func() { // compactions run alongside the writers, as recomputes do
		defer wg.Done()
		for range 30 {
			if err := env.DB.CompactTotals(ctx, org); err != nil {
				errs <- fmt.Errorf("compact: %w", err)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	var n int
	require.NoError(t, env.Admin.QueryRow(ctx, `select count(*) from payments`).Scan(&n))
	require.Greater(t, n, workers*rounds/4)
	requirePaidNetExact(t, env, "after concurrent writers")
}

// TestBookingPaidNetCurrencyChangeRace changes a booking's currency while another transaction
// adds a payment in the new currency, in both orders: whichever commits last, paid_net counts it.
func TestBookingPaidNetCurrencyChangeRace(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, ids := paidOrg(t, env, "Racing Studio", "GBP", 2)
	scoped := func() pgx.Tx {
		tx, err := env.DB.BeginScoped(ctx, org, pgx.TxOptions{})
		require.NoError(t, err)
		return tx
	}
	pay := func(tx pgx.Tx, booking int64) {
		_, err := tx.Exec(ctx, `insert into payments (org_id, booking_id, amount, currency, paid_at) values ($1, $2, 700, 'EUR', now())`, org, booking)
		require.NoError(t, err)
	}
	toEUR := func(tx pgx.Tx, booking int64) {
		_, err := tx.Exec(ctx, `update bookings set currency = 'EUR' where id = $1`, booking)
		require.NoError(t, err)
	}
	// The one that starts first commits last; the other waits for it on the booking's row.
	for i, first := range []string{"payment", "currency"} {
		booking := ids[i]
		a := scoped()
		if first == "payment" {
			pay(a, booking)
		} else {
			toEUR(a, booking)
		}
		done := make(chan error, 1)
		go func() {
			b := scoped()
			defer b.Rollback(ctx) //nolint:errcheck
			if first == "payment" {
				toEUR(b, booking)
			} else {
				pay(b, booking)
			}
			done <- b.Commit(ctx)
		}()
		time.Sleep(200 * time.Millisecond)
		require.NoError(t, a.Commit(ctx))
		require.NoError(t, <-done)
		requirePaidNetExact(t, env, first+" first")
		var net int64
		require.NoError(t, env.Admin.QueryRow(ctx, `select `+store.PaidNetSQL+` from bookings b `+store.JoinPaidPendingSQL+` where b.id = $1`, booking).Scan(&net))
		require.Equal(t, int64(700), net, first+" first")
	}
}

// TestKPIsExactBeforeFolding computes the KPIs from the payment totals journal as the payments
// left it (nothing folded), then folds and computes them again: the dashboard shows the same
// figures either way, so a recompute that reads payments committed after its fold is still
// exact.
func TestKPIsExactBeforeFolding(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, ids := paidOrg(t, env, "Unfolded Studio", "GBP", 12)
	_, err := env.Admin.Exec(ctx, `update bookings set wedding_date = current_date + (id % 25)::int where org_id = $1`, org)
	require.NoError(t, err)
	now := time.Now()
	for page := range 3 {
		require.NoError(t, env.DB.QuietWriteOrg(ctx, org, func(tx pgx.Tx) error {
			for i, id := range ids {
				cur := "GBP"
				if i%7 == 3 {
					cur = "EUR" // counts towards a EUR booking, and as a foreign-currency payment
				}
				_, err := tx.Exec(ctx, `insert into payments (org_id, booking_id, amount, refunded_amount, currency, status, paid_at)
					values ($1, $2, $3, $4, $5, $6, $7)`, org, id, 20000+int64(page*1000+i), int64(i%3)*500, cur,
					[]string{"succeeded", "partially_refunded", "pending"}[i%3], now.Add(-time.Duration(page*40+i)*time.Hour))
				if err != nil {
					return err
				}
			}
			return nil
		}))
	}
	var pending int
	require.NoError(t, env.Admin.QueryRow(ctx, `select count(*) from payment_totals_journal where org_id = $1`, org).Scan(&pending))
	require.Equal(t, 3*len(ids), pending, "one journal row per statement")

	unfolded := computeWithoutFolding(t, env, org, now)
	folded, err := env.DB.ComputeKPIs(ctx, org, now)
	require.NoError(t, err)
	require.NoError(t, env.Admin.QueryRow(ctx, `select count(*) from payment_totals_journal where org_id = $1`, org).Scan(&pending))
	require.Zero(t, pending, "ComputeKPIs folds the journal first")
	require.Positive(t, folded.OutstandingBalance)
	require.Positive(t, folded.RevenueMTD+folded.RevenueLTM)
	folded.ComputedAt, unfolded.ComputedAt = time.Time{}, time.Time{}
	require.Equal(t, folded, unfolded)
	requirePaidNetExact(t, env, "folded")
}

// computeWithoutFolding is ComputeKPIs without its fold: the KPI queries read the journal's
// pending rows.
func computeWithoutFolding(t *testing.T, env *storetest.Env, org int64, now time.Time) *store.KPIs {
	t.Helper()
	ctx := context.Background()
	tx, err := env.DB.BeginScoped(ctx, org, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	require.NoError(t, err)
	defer tx.Rollback(ctx) //nolint:errcheck
	k, err := store.ComputeKPIsTx(ctx, tx, org, now)
	require.NoError(t, err)
	return k
}
