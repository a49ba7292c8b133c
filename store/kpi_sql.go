package store

// The KPI queries. Every one is scoped twice: explicitly by org_id = $1 (so the planner uses the
// (org_id, ...) indexes) and by row level security; each documents its other parameters.
// Local-date windows arrive as dates and become timestamptz bounds once per query with
// (date::timestamp at time zone tz), so the range predicates on received_at and booked_at stay
// sargable instead of converting every row. Money owed and revenue read the totals that the
// triggers of migration 0006 keep (bookings.paid_net, payment_days) instead of every payment.
// Aggregates come back as exact integers; the rounding of rates happens once, exactly, in
// roundQuo.

// netStatuses are the payment statuses whose net amount (amount - refunded_amount) counts; the
// others (pending, failed) count 0 and are simply left out of the sums.
const netStatuses = `('succeeded', 'partially_refunded', 'refunded')`

// sqlOrg reads the organization's settings and today's local date ($1 org, $2 now). It also
// turns JIT off for the rest of the transaction (compiling costs more than these aggregates
// save), gives hash aggregates enough memory for one row per booking without spilling, and
// turns parallel plans off: the queries are small enough that starting workers costs about what
// it saves, and up to ten recomputes run at once, which would oversubscribe the CPUs.
const sqlOrg = `select o.timezone, o.currency, o.wedding_days, o.daily_capacity,
	($2::timestamptz at time zone o.timezone)::date, s.done
from organizations o,
	(select set_config('jit', 'off', true) || set_config('work_mem', '16MB', true)
		|| set_config('max_parallel_workers_per_gather', '0', true) as done) s
where o.id = $1`

// Segments: the local dates $dates (ascending, distinct) cut time into consecutive segments,
// segment i covering [dates[i], dates[i+1]) as timestamptz bounds in the timezone $2. The
// windows of every KPI and period are unions of whole segments, so each table is read once per
// query, each segment by one index range scan, and no row's timestamp is ever converted.
func segmentsFrom(dates string) string {
	return `(select u.i, (u.d::timestamp at time zone $2) as lo,
		(lead(u.d) over (order by u.i))::timestamp at time zone $2 as hi
	from unnest(` + dates + `::date[]) with ordinality as u(d, i)) s`
}

// sqlRevenue sums the net amount of org-currency payments ($2 currency) per segment of the local
// dates $3: segment i covers [$3[i], $3[i+1]). It reads payment_days (migration 0006), one row
// per local paid date once compacted, so it costs the same for a thousand payments or millions.
const sqlRevenue = `select width_bucket(d.day, $3::date[]), sum(d.net)::bigint
from payment_days d
where d.org_id = $1 and d.currency = $2::bpchar
	and d.day >= ($3::date[])[1] and d.day < ($3::date[])[cardinality($3::date[])]
group by 1`

// sqlCompactPaymentDays merges the organization's delta rows of payment_days (one per statement
// that wrote payments) into one row per currency and local date. It deletes every row of the
// keys that have delta rows and inserts their sums: replacing any set of rows of a key by their
// sum keeps the totals, and a row deleted by a concurrent compaction is skipped, not counted
// twice, so it is safe to run at any time, concurrently with writers and other compactions.
const sqlCompactPaymentDays = `with fresh as (
	select distinct currency, day from payment_days where org_id = $1 and not compacted),
gone as (
	delete from payment_days d using fresh f
	where d.org_id = $1 and d.currency = f.currency and d.day = f.day
	returning d.currency, d.day, d.net, d.payments)
insert into payment_days (org_id, currency, day, net, payments, compacted)
select $1, currency, day, sum(net), sum(payments), true from gone
group by currency, day
having sum(net) <> 0 or sum(payments) <> 0`

// sqlBookingSegments ($2 tz, $3 currency) counts the counting bookings booked in each segment of
// $4, and counts and sums the contracts of those in the organization's currency.
var sqlBookingSegments = `select s.i, x.n, x.n_cur, x.value
from ` + segmentsFrom("$4") + `
cross join lateral (select count(*) as n, count(*) filter (where b.currency = $3::bpchar) as n_cur,
		coalesce(sum(b.contract_amount) filter (where b.currency = $3::bpchar), 0)::bigint as value
	from bookings b
	where b.org_id = $1 and b.status <> 'cancelled' and b.booked_at >= s.lo and b.booked_at < s.hi) x
where s.hi is not null`

// sqlInquirySegments ($2 tz) counts the inquiries received in each segment of $3 and how many
// of them are booked.
var sqlInquirySegments = `select s.i, x.n, x.booked
from ` + segmentsFrom("$3") + `
cross join lateral (select count(*) as n, count(*) filter (where i.status = 'booked') as booked
	from inquiries i
	where i.org_id = $1 and i.received_at >= s.lo and i.received_at < s.hi) x
where s.hi is not null`

// sqlResponseMedian ($2 tz) returns the count of answered inquiries received in $3 .. $4 (exclusive) and
// the smallest and largest of the one or two middle response times, in exact microseconds.
const sqlResponseMedian = `with d as (
	select (extract(epoch from i.first_response_at - i.received_at) * 1000000)::bigint as us
	from inquiries i
	where i.org_id = $1 and i.first_response_at is not null
		and i.received_at >= ($3::date::timestamp at time zone $2) and i.received_at < ($4::date::timestamp at time zone $2)),
r as (select us, row_number() over (order by us) as rn, count(*) over () as n from d)
select (select count(*) from d), coalesce(min(us), 0), coalesce(max(us), 0)
from r where rn in ((n + 1) / 2, (n + 2) / 2)`

// sqlLeadSources ($2 tz) groups the inquiries received in $3 .. $4 (exclusive) by source.
const sqlLeadSources = `select i.source, count(*), count(*) filter (where i.status = 'booked')
from inquiries i
where i.org_id = $1 and i.received_at >= ($3::date::timestamp at time zone $2) and i.received_at < ($4::date::timestamp at time zone $2)
group by i.source order by 2 desc, 1`

// sqlUnanswered counts open inquiries without a first response received at least 24 hours
// before $2 (now).
const sqlUnanswered = `select count(*) from inquiries i
where i.org_id = $1 and i.first_response_at is null and i.status not in ('booked', 'lost')
	and i.received_at <= $2::timestamptz - interval '24 hours'`

// sqlWeddingDates counts counting bookings per wedding date in $2 .. $3 (inclusive).
const sqlWeddingDates = `select b.wedding_date, count(*) from bookings b
where b.org_id = $1 and b.status <> 'cancelled' and b.wedding_date between $2::date and $3::date
group by 1 order by 1`

// sqlUpcoming lists the first $4 counting bookings with a wedding in $2 .. $3 (inclusive) and
// their balance:
// contract minus the net paid in the booking's currency (bookings.paid_net), never below zero.
// The client's name is looked up per booking (by primary key), never by scanning clients.
const sqlUpcoming = `select b.id, b.wedding_date, coalesce((select c.name from clients c where c.id = b.client_id), b.title),
	b.contract_amount, b.currency, greatest(0, b.contract_amount - b.paid_net)::bigint
from bookings b
where b.org_id = $1 and b.status <> 'cancelled' and b.wedding_date between $2::date and $3::date
order by b.wedding_date, b.id
limit $4`

// sqlOwed ($2 currency) computes outstanding_balance, in one pass over the organization's
// bookings in its currency: over counting bookings, contract less bookings.paid_net (the net of
// their payments in that currency, kept exact by the triggers of migration 0006), never below
// zero per booking. It adds foreign_currency_rows: bookings in another currency (rare, found on
// either side of the organization's currency in bookings_org_currency_idx) with their invoices,
// and payments in another currency (counted from payment_days).
const sqlOwed = `select
	coalesce(sum(b.contract_amount - b.paid_net) filter (where b.status <> 'cancelled' and b.paid_net < b.contract_amount), 0)::bigint,
	(select count(*) + coalesce(sum((select count(*) from invoices i where i.booking_id = fb.id and i.org_id = $1)), 0)
		from bookings fb where fb.org_id = $1 and (fb.currency < $2::bpchar or fb.currency > $2::bpchar))
	+ (select coalesce(sum(d.payments), 0) from payment_days d where d.org_id = $1 and d.currency <> $2::bpchar)
from bookings b
where b.org_id = $1 and b.currency = $2::bpchar`

// sqlInvoices sums the balances of open invoices in currency $2 (an invoice is in its booking's
// currency) per due date, with the three figures that need them: overdue (due before $3 =
// today, and how many), scheduled (due $3 .. $4 inclusive) and committed (due $5 .. $6
// exclusive: the forecast's months, which the caller sums by month). Open invoices are read
// through a partial index, and the bookings in another currency (rare) through
// bookings_org_currency_idx, on either side of the organization's currency.
const sqlInvoices = `select i.due_date,
	coalesce(sum(i.amount - i.amount_paid) filter (where i.due_date < $3::date), 0)::bigint,
	count(*) filter (where i.due_date < $3::date),
	coalesce(sum(i.amount - i.amount_paid) filter (where i.due_date >= $3::date and i.due_date <= $4::date), 0)::bigint,
	coalesce(sum(i.amount - i.amount_paid) filter (where i.due_date >= $5::date), 0)::bigint
from invoices i
where i.org_id = $1 and i.status = 'open' and i.due_date < greatest($4::date + 1, $6::date)
	and i.booking_id not in (select b.id from bookings b
		where b.org_id = $1 and (b.currency < $2::bpchar or b.currency > $2::bpchar))
group by 1`

// sqlReviews ($2 tz) counts reviews received in $3 .. $4 (exclusive) and sums their ratings.
const sqlReviews = `select count(*), coalesce(sum(r.rating), 0)::bigint from reviews r
where r.org_id = $1 and r.received_at >= ($3::date::timestamp at time zone $2) and r.received_at < ($4::date::timestamp at time zone $2)`

// sqlEarliestWedding returns the earliest counting wedding date, or null.
const sqlEarliestWedding = `select min(b.wedding_date) from bookings b where b.org_id = $1 and b.status <> 'cancelled'`

// sqlSeasonCounts counts counting bookings per wedding date in $2 .. $3 (exclusive); the caller
// adds them up by month (grouping by the date itself is cheaper than extracting its parts).
const sqlSeasonCounts = `select b.wedding_date, count(*)
from bookings b where b.org_id = $1 and b.status <> 'cancelled' and b.wedding_date >= $2::date and b.wedding_date < $3::date
group by 1`

// sqlFreshness lists the active (not paused) integrations.
const sqlFreshness = `select provider, last_success_at, status from integrations
where org_id = $1 and status <> 'paused' order by provider, id`
