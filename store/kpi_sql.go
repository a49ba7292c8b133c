package store

// The KPI queries. Every one is scoped twice: explicitly by org_id = $1 (so the planner uses the
// (org_id, ...) indexes) and by row level security; each documents its other parameters.
// Local-date windows arrive as dates and become timestamptz bounds once per query with
// (date::timestamp at time zone tz), so the range predicates on received_at and booked_at stay
// sargable instead of converting every row. Money owed and revenue read the totals that the
// triggers of migrations 0006 and 0015 keep (bookings.paid_net and payment_days, plus the payment
// totals journal not folded yet) instead of every payment.
// Aggregates come back as exact integers; the rounding of rates happens once, exactly, in
// roundQuo.

// PaidNetSQL is the net paid towards booking b (a query's alias for bookings) in its currency:
// bookings.paid_net plus its entries of the payment totals journal not folded yet (migration
// 0015), which the query joins with JoinPaidPendingSQL. Exact whether or not folded. Raw SQL
// outside the store (the demo) reads a booking's balance with these too.
const PaidNetSQL = `(b.paid_net + coalesce(pp.net, 0))`

// JoinPaidPendingSQL joins booking b's pending journal entries as pp, for PaidNetSQL.
const JoinPaidPendingSQL = `left join booking_paid_pending pp on pp.booking_id = b.id and pp.currency = b.currency and pp.org_id = b.org_id`

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
// dates $3: segment i covers [$3[i], $3[i+1]). It reads payment_days_all (migrations 0006 and
// 0015): one row per local paid date once folded, so it costs the same for a thousand payments
// or millions, plus the journal rows not folded yet.
const sqlRevenue = `select width_bucket(d.day, $3::date[]), sum(d.net)::bigint
from payment_days_all d
where d.org_id = $1 and d.currency = $2::bpchar
	and d.day >= ($3::date[])[1] and d.day < ($3::date[])[cardinality($3::date[])]
group by 1`

// Folding the payment totals journal (migration 0015), as CompactTotals runs it: sqlFoldStart
// share-locks the organization, and reads its timezone and its journal rows' ids;
// sqlFoldLockBookings locks the bookings they name, in id order (as the bookings trigger, which
// holds its booking before touching the journal, so the two cannot deadlock); sqlFold folds.
const (
	sqlFoldStart = `select o.timezone,
	coalesce((select array_agg(j.id) from payment_totals_journal j where j.org_id = $1), '{}')
from organizations o where o.id = $1 for share of o`
	sqlFoldLockBookings = `select b.id from bookings b
where b.id in (select unnest(j.booking_ids) from payment_totals_journal j where j.id = any($1::bigint[]))
order by b.id for no key update of b`
)

// sqlFold ($1 org, $2 journal ids, $3 timezone) deletes the listed journal rows and adds their
// entries to payment_days, merged with the rows already there into one row per currency and
// local date, and to bookings.paid_net (entries in the booking's currency that
// booking_fold_exclusions does not mark as counted already: rarely any, so they are read once
// and looked up in a hash, not probed per entry). Only rows this statement deleted
// are added: one deleted meanwhile by another fold is skipped, not counted twice. The
// transaction sets wedsync.folding_paid_net first, so the bookings trigger takes the write of
// paid_net as a fold, not as a hand-written value to recompute.
const sqlFold = `with gone as (
	delete from payment_totals_journal j where j.org_id = $1 and j.id = any($2::bigint[])
	returning j.id, j.booking_ids, j.currencies, j.paid_ats, j.counts, j.nets),
entries as (
	select g.id as journal_id, u.booking_id, u.currency, u.paid_at, u.n, u.net
	from gone g, unnest(g.booking_ids, g.currencies, g.paid_ats, g.counts, g.nets) u (booking_id, currency, paid_at, n, net)),
fresh as (
	select currency, (paid_at at time zone $3)::date as day, sum(net) as net, sum(n) as payments
	from entries group by 1, 2),
old as (
	delete from payment_days d using fresh f
	where d.org_id = $1 and d.currency = f.currency and d.day = f.day
	returning d.currency, d.day, d.net, d.payments),
days as (
	insert into payment_days (org_id, currency, day, net, payments)
	select $1, x.currency, x.day, sum(x.net), sum(x.payments)
	from (select currency, day, net, payments from fresh union all select currency, day, net, payments from old) x
	group by x.currency, x.day
	having sum(x.net) <> 0 or sum(x.payments) <> 0),
counted as (
	select x.journal_id, x.booking_id from booking_fold_exclusions x where x.journal_id in (select id from gone)),
paid as (
	select e.booking_id, e.currency, sum(e.net) as net
	from entries e
	where e.booking_id is not null and (e.journal_id, e.booking_id) not in (select journal_id, booking_id from counted)
	group by 1, 2)
update bookings b set paid_net = b.paid_net + p.net
from paid p
where b.id = p.booking_id and b.currency = p.currency and b.org_id = $1 and p.net <> 0`

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
// their balance: contract minus the net paid in the booking's currency (PaidNetSQL), never below
// zero. The bookings are chosen first, so the pending payment totals are joined to at most $4
// of them. The client's name is looked up per booking (by primary key), never by scanning
// clients.
const sqlUpcoming = `select b.id, b.wedding_date, coalesce((select c.name from clients c where c.id = b.client_id), b.title),
	b.contract_amount, b.currency, greatest(0, b.contract_amount - ` + PaidNetSQL + `)::bigint
from (select * from bookings b
	where b.org_id = $1 and b.status <> 'cancelled' and b.wedding_date between $2::date and $3::date
	order by b.wedding_date, b.id
	limit $4) b ` + JoinPaidPendingSQL + `
order by b.wedding_date, b.id`

// sqlOwed ($2 currency) computes outstanding_balance over the organization's bookings in its
// currency: over counting bookings, contract less the net paid, never below zero per booking.
// The net paid is bookings.paid_net plus the booking's pending entries of booking_paid_pending
// (kept exact by the triggers of migrations 0006 and 0015): one pass over the bookings with
// paid_net, then a correction for the few bookings with pending entries: those bookings are
// read once by id and grouped with the entries, never joined to them, so neither a large
// organization nor mid-sync statistics can turn it into a pass over one side per row of the
// other. It adds foreign_currency_rows: bookings in another
// currency (rare, found on either side of the organization's currency in
// bookings_org_currency_idx) with their invoices, and payments in another currency (counted from
// payment_days_all).
const sqlOwed = `select
	coalesce(sum(b.contract_amount - b.paid_net) filter (where b.status <> 'cancelled' and b.paid_net < b.contract_amount), 0)::bigint
	+ coalesce((select sum(greatest(0, y.contract - y.paid - y.pending) - greatest(0, y.contract - y.paid))
		from (select x.id, max(x.contract) as contract, max(x.paid) as paid, sum(x.pending) as pending
			from (select pp.booking_id as id, null::bigint as contract, null::bigint as paid, pp.net as pending
					from booking_paid_pending pp where pp.org_id = $1 and pp.currency = $2::bpchar
				union all
				select pb.id, pb.contract_amount, pb.paid_net, 0
					from bookings pb
					where pb.id = any (array(select pp.booking_id from booking_paid_pending pp where pp.org_id = $1 and pp.currency = $2::bpchar))
						and pb.currency = $2::bpchar and pb.status <> 'cancelled') x
			group by x.id
			having max(x.contract) is not null) y), 0)::bigint,
	(select count(*) + coalesce(sum((select count(*) from invoices i where i.booking_id = fb.id and i.org_id = $1)), 0)
		from bookings fb where fb.org_id = $1 and (fb.currency < $2::bpchar or fb.currency > $2::bpchar))
	+ (select coalesce(sum(d.payments), 0) from payment_days_all d where d.org_id = $1 and d.currency <> $2::bpchar)
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
