package demo_test

import (
	"context"
	"math"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/demo"
	"github.com/wedsync/wedsync/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

var ny = func() *time.Location { l, _ := time.LoadLocation(demo.Timezone); return l }()

// ensure runs demo.Ensure and reports how long it took.
func ensure(t *testing.T, env *storetest.Env, now time.Time) int64 {
	t.Helper()
	start := time.Now()
	orgID, created, err := demo.Ensure(context.Background(), env.DB, now)
	require.NoError(t, err)
	require.True(t, created)
	t.Logf("Ensure(now=%s) took %s", now.Format(time.RFC3339), time.Since(start).Round(time.Millisecond))
	return orgID
}

// scalar runs a one-value query as the superuser.
func scalar[T any](t *testing.T, env *storetest.Env, sql string, args ...any) T {
	t.Helper()
	var v T
	require.NoError(t, env.Admin.QueryRow(context.Background(), sql, args...).Scan(&v), sql)
	return v
}

func TestEnsureHistory(t *testing.T) {
	t.Parallel()
	for _, now := range []time.Time{
		time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC), // a Thursday
		time.Date(2027, 6, 12, 18, 30, 0, 0, time.UTC), // a Saturday afternoon in peak season
		time.Date(2027, 1, 2, 3, 0, 0, 0, time.UTC),    // still New Year's Day in New York (a Friday)
	} {
		t.Run(now.Format("2006-01-02"), func(t *testing.T) {
			t.Parallel()
			checkHistory(t, now)
		})
	}
}

func checkHistory(t *testing.T, now time.Time) {
	env := storetest.New(t)
	ctx := context.Background()
	org := ensure(t, env, now)
	today := dateIn(now)

	var name, tz, cur string
	var days []int16
	var capacity int
	require.NoError(t, env.Admin.QueryRow(ctx, `select name, timezone, currency, wedding_days, daily_capacity
		from organizations where id = $1`, org).Scan(&name, &tz, &cur, &days, &capacity))
	require.Equal(t, []any{demo.OrgName, demo.Timezone, "USD", []int16{5, 6, 0}, 1}, []any{name, tz, cur, days, capacity})
	u, err := env.DB.Authenticate(ctx, demo.Email, demo.Password)
	require.NoError(t, err)
	ms, err := env.DB.Memberships(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, []store.Membership{{OrgID: org, OrgName: demo.OrgName, Role: store.RoleOwner}}, ms)

	// Every complete calendar year of the history: 150-250 inquiries, 30-40% of them booked.
	rows, err := env.Admin.Query(ctx, `select extract(year from received_at at time zone $2)::int,
			count(*), count(*) filter (where status = 'booked')
		from inquiries where org_id = $1 group by 1 order by 1`, org, demo.Timezone)
	require.NoError(t, err)
	years := 0
	for rows.Next() {
		var y, n, booked int
		require.NoError(t, rows.Scan(&y, &n, &booked))
		t.Logf("%d: %d inquiries, %.1f%% booked", y, n, 100*float64(booked)/float64(n))
		if !time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Before(today.AddDate(-5, 0, 0)) && y < today.Year() {
			years++
			require.True(t, n >= 150 && n <= 250, "%d inquiries in %d", n, y)
			require.InDelta(t, 0.35, float64(booked)/float64(n), 0.05, "conversion in %d", y)
		}
	}
	require.NoError(t, rows.Err())
	require.GreaterOrEqual(t, years, 4)

	zero := func(what, sql string, extra ...any) {
		t.Helper()
		require.Zero(t, scalar[int64](t, env, sql, append([]any{org}, extra...)...), what)
	}
	zero("contract outside $2,500-$9,000", `select count(*) from bookings where org_id = $1
		and (contract_amount not between 250000 and 900000 or currency <> 'USD')`)
	zero("lead time outside 2-14 months", `select count(*) from bookings where org_id = $1
		and wedding_date - (booked_at at time zone 'America/New_York')::date not between 59 and 430`)
	zero("booking without its deposit and balance invoices", `select count(*) from bookings b where org_id = $1 and not (
		(select count(*) from invoices i where i.booking_id = b.id) = 2
		and exists(select 1 from invoices i where i.booking_id = b.id and i.amount = round(b.contract_amount * 0.3)
			and i.due_date = (b.booked_at at time zone 'America/New_York')::date)
		and exists(select 1 from invoices i where i.booking_id = b.id and i.due_date = b.wedding_date - 30
			and i.amount = b.contract_amount - round(b.contract_amount * 0.3)))`)
	zero("invoice whose amount_paid or status disagrees with its payments", `select count(*) from invoices i
		join bookings b on b.id = i.booking_id where i.org_id = $1 and (
		i.amount_paid <> coalesce((select sum(p.amount) from payments p where p.invoice_id = i.id
			and p.status in ('succeeded', 'refunded', 'partially_refunded')), 0)
		or (i.status = 'paid') <> (i.amount_paid >= i.amount)
		or (i.status = 'void') <> (b.status = 'cancelled' and i.amount_paid = 0))`)
	zero("payment without booking, or USD payment without invoice", `select count(*) from payments where org_id = $1
		and (booking_id is null or (invoice_id is null) <> (currency <> 'USD'))`)
	zero("card payment without Stripe's fee", `select count(*) from payments where org_id = $1 and provider = 'stripe'
		and status not in ('pending', 'failed') and fee <> round(amount * 0.029) + 30`)
	zero("refund that does not fit its status", `select count(*) from payments where org_id = $1 and not (
		(status = 'refunded' and refunded_amount = amount) or (status = 'partially_refunded' and refunded_amount between 1 and amount - 1)
		or (status not in ('refunded', 'partially_refunded') and refunded_amount = 0))`)
	zero("booked inquiry without booking or booking of an unbooked inquiry", `select count(*) from inquiries q where org_id = $1
		and (q.status = 'booked') <> exists(select 1 from bookings b where b.inquiry_id = q.id)`)
	zero("wedding status that does not fit its date", `select count(*) from bookings where org_id = $1
		and status <> 'cancelled' and (status = 'completed') <> (wedding_date < $2)`, today)
	zero("two counting weddings on one date", `select count(*) from (select wedding_date from bookings where org_id = $1
		and status <> 'cancelled' group by 1 having count(*) > 1) d`)

	counting := func(from, to time.Time) int64 {
		return scalar[int64](t, env, `select count(*) from bookings where org_id = $1 and status <> 'cancelled'
			and wedding_date between $2 and $3`, org, from, to)
	}
	weekend := weekendAfter(today)
	require.EqualValues(t, 1, counting(today, today), "weddings today")
	require.EqualValues(t, 1, counting(weekend[0], weekend[0]), "wedding on %s", weekend[0])
	require.EqualValues(t, 1, counting(weekend[1], weekend[1]), "wedding on %s", weekend[1])
	require.EqualValues(t, 2, counting(today.AddDate(0, 0, 1), weekend[1]), "weddings after today through the weekend")

	require.GreaterOrEqual(t, scalar[int64](t, env, `select count(*) from invoices where org_id = $1
		and status = 'open' and due_date < $2`, org, today), int64(1), "overdue invoices")
	require.Positive(t, scalar[int64](t, env, `select count(*) from invoices where org_id = $1
		and status = 'open' and due_date >= $2`, org, today), "future balances")
	require.Positive(t, scalar[int64](t, env, `select count(*) from bookings b join payments p on p.booking_id = b.id
		where b.org_id = $1 and b.status = 'cancelled' and p.refunded_amount > 0`, org), "cancellations with a refund")
	require.EqualValues(t, 2, scalar[int64](t, env, `select count(*) from payments where org_id = $1 and status = 'pending'`, org))
	require.EqualValues(t, 1, scalar[int64](t, env, `select count(*) from payments where org_id = $1 and status = 'failed'`, org))
	require.EqualValues(t, 1, scalar[int64](t, env, `select count(*) from payments where org_id = $1 and currency = 'CAD'`, org))

	var reviews, good, low int64
	require.NoError(t, env.Admin.QueryRow(ctx, `select count(*), count(*) filter (where rating >= 4), count(*) filter (where rating <= 2)
		from reviews r join bookings b on b.id = r.booking_id
		where r.org_id = $1 and b.status = 'completed' and (r.received_at at time zone 'America/New_York')::date > b.wedding_date`,
		org).Scan(&reviews, &good, &low))
	require.EqualValues(t, reviews, scalar[int64](t, env, "select count(*) from reviews where org_id = $1", org))
	require.Greater(t, float64(good)/float64(reviews), 0.8)
	require.Positive(t, low)

	unanswered := scalar[int64](t, env, `select count(*) from inquiries where org_id = $1 and first_response_at is null
		and received_at < $2::timestamptz - interval '1 day'`, org, now)
	require.True(t, unanswered >= 3 && unanswered <= 5, "%d unanswered inquiries", unanswered)
	zero("stale unanswered inquiry", `select count(*) from inquiries where org_id = $1 and first_response_at is null
		and (status <> 'new' or received_at < $2::timestamptz - interval '4 days')`, now)
	median := scalar[float64](t, env, `select percentile_cont(0.5) within group (order by extract(epoch from first_response_at - received_at) / 3600)
		from inquiries where org_id = $1`, org)
	require.True(t, median > 1 && median < 6, "median response %.1f hours", median)

	zero("timestamp after now", `select count(*) from (
		select greatest(received_at, first_response_at, created_at, updated_at) t from inquiries where org_id = $1
		union all select greatest(booked_at, created_at, updated_at) from bookings where org_id = $1
		union all select greatest(created_at, updated_at) from invoices where org_id = $1
		union all select greatest(paid_at, created_at, updated_at) from payments where org_id = $1
		union all select greatest(received_at, created_at, updated_at) from reviews where org_id = $1
		union all select greatest(created_at, updated_at) from clients where org_id = $1
		union all select greatest(created_at, updated_at) from calendar_events where org_id = $1
		union all select created_at from organizations where id = $1) x where t > $2`, now)
	zero("calendar event from an integration", `select count(*) from calendar_events where org_id = $1 and integration_id is not null`)
	require.EqualValues(t, 1, scalar[int64](t, env, `select count(*) from calendar_events where org_id = $1 and kind = 'wedding'
		and (starts_at at time zone 'America/New_York')::date = $2`, org, today), "today's wedding on the calendar")
	require.Positive(t, scalar[int64](t, env, `select count(*) from calendar_events where org_id = $1 and kind = 'consultation'`, org))

	var peak, saturdays float64
	require.NoError(t, env.Admin.QueryRow(ctx, `select avg((extract(month from wedding_date) between 5 and 10)::int),
		avg((extract(dow from wedding_date) = 6)::int) from bookings where org_id = $1`, org).Scan(&peak, &saturdays))
	t.Logf("weddings May-Oct %.0f%%, on Saturdays %.0f%%", 100*peak, 100*saturdays)
	require.Greater(t, peak, 0.6)
	require.Greater(t, saturdays, 0.4)

	checkForecastable(t, env, org, today)
}

// checkForecastable backtests the last 12 complete months: seasonal-naive scaled by trailing
// growth must beat plain seasonal-naive, and revenue must grow about 8-12% a year.
func checkForecastable(t *testing.T, env *storetest.Env, org int64, today time.Time) {
	rows, err := env.Admin.Query(context.Background(), `select to_char(paid_at at time zone 'America/New_York', 'YYYY-MM'),
			sum(amount - refunded_amount)
		from payments where org_id = $1 and currency = 'USD' and status in ('succeeded', 'refunded', 'partially_refunded')
		group by 1`, org)
	require.NoError(t, err)
	rev := map[string]float64{}
	for rows.Next() {
		var m string
		var v int64
		require.NoError(t, rows.Scan(&m, &v))
		rev[m] = float64(v)
	}
	require.NoError(t, rows.Err())
	month := func(k int) float64 { // k months before the current one
		return rev[time.Date(today.Year(), today.Month()-time.Month(k), 1, 0, 0, 0, 0, time.UTC).Format("2006-01")]
	}
	sum := func(from, to int) (s float64) {
		for k := from; k <= to; k++ {
			s += month(k)
		}
		return s
	}
	var naive, scaled float64
	for k := 1; k <= 12; k++ {
		actual, last := month(k), month(k+12)
		require.Positive(t, actual)
		growth := sum(k+1, k+12) / sum(k+13, k+24)
		naive += math.Abs(actual-last) / actual / 12 * 100
		scaled += math.Abs(actual-last*growth) / actual / 12 * 100
	}
	yoy := sum(1, 12)/sum(13, 24)*100 - 100
	t.Logf("revenue growth %.1f%% a year; backtest MAPE seasonal-naive %.1f%%, growth-scaled %.1f%%", yoy, naive, scaled)
	require.Less(t, scaled, naive)
	require.InDelta(t, 10, yoy, 5)
}

func dateIn(now time.Time) time.Time {
	y, m, d := now.In(ny).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// weekendAfter is the first two Fridays, Saturdays or Sundays after today.
func weekendAfter(today time.Time) (out []time.Time) {
	for d := today.AddDate(0, 0, 1); len(out) < 2; d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd == time.Friday || wd == time.Saturday || wd == time.Sunday {
			out = append(out, d)
		}
	}
	return out
}

// fingerprint is the row count and a hash of every row of the demo's tables.
func fingerprint(t *testing.T, env *storetest.Env) map[string][2]int64 {
	out := map[string][2]int64{}
	for _, table := range []string{"clients", "inquiries", "bookings", "invoices", "payments", "reviews", "calendar_events",
		"organizations", "users", "memberships"} {
		var n, h int64
		require.NoError(t, env.Admin.QueryRow(context.Background(),
			"select count(*), coalesce(sum(hashtext(t::text)::bigint), 0) from "+table+" t").Scan(&n, &h))
		out[table] = [2]int64{n, h}
	}
	return out
}

func TestEnsureDeterministic(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)
	a, b := storetest.New(t), storetest.New(t)
	ensure(t, a, now)
	ensure(t, b, now)
	fa, fb := fingerprint(t, a), fingerprint(t, b)
	// The password hash has a random salt; everything else must match.
	delete(fa, "users")
	delete(fb, "users")
	require.Equal(t, fa, fb)
	t.Logf("rows: %v", fa)
}

func TestEnsureTwice(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	now := time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)
	org := ensure(t, env, now)
	before := fingerprint(t, env)
	again, created, err := demo.Ensure(context.Background(), env.DB, now.Add(48*time.Hour))
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, org, again)
	require.Equal(t, before, fingerprint(t, env))
}

func TestEnsureConcurrent(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	now := time.Date(2027, 6, 12, 18, 30, 0, 0, time.UTC)
	var wg sync.WaitGroup
	orgs, created, errs := make([]int64, 3), make([]bool, 3), make([]error, 3)
	for i := range 3 {
		wg.Go(func() { orgs[i], created[i], errs[i] = demo.Ensure(context.Background(), env.DB, now) })
	}
	wg.Wait()
	n := 0
	for i := range 3 {
		require.NoError(t, errs[i])
		require.Equal(t, orgs[0], orgs[i])
		if created[i] {
			n++
		}
	}
	require.Equal(t, 1, n)
	require.EqualValues(t, 1, scalar[int64](t, env, "select count(*) from organizations"))
}

func TestEnsureCompletesEmptyDemo(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, _, err := env.DB.Signup(ctx, store.SignupInput{OrgName: demo.OrgName, Timezone: demo.Timezone, Currency: "USD",
		Email: demo.Email, Password: demo.Password})
	require.NoError(t, err)
	got, created, err := demo.Ensure(ctx, env.DB, time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, org, got)
	require.Positive(t, scalar[int64](t, env, "select count(*) from bookings where org_id = $1", org))
}
