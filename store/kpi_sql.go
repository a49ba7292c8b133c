package store

// The KPI queries. Every one is scoped twice: explicitly by org_id = $1 (so the planner uses the
// (org_id, ...) indexes) and by row level security; each documents its other parameters.
// Local-date windows arrive as dates and become timestamptz bounds once per query with
// (date::timestamp at time zone tz), so the range predicates on paid_at, received_at and booked_at
// stay sargable instead of converting every row. Aggregates come back as exact integers; the
// rounding of rates happens once, exactly, in roundQuo.

// netStatuses are the payment statuses whose net amount (amount - refunded_amount) counts; the
// others (pending, failed) count 0 and are simply left out of the sums.
const netStatuses = `('succeeded', 'partially_refunded', 'refunded')`

// sqlOrg reads the organization's settings and today's local date ($1 org, $2 now). It also
// turns JIT off for the rest of the transaction (compiling costs more than these aggregates
// save) and gives hash aggregates enough memory for one row per booking without spilling.
const sqlOrg = `select o.timezone, o.currency, o.wedding_days, o.daily_capacity,
	($2::timestamptz at time zone o.timezone)::date, s.done
from organizations o,
	(select set_config('jit', 'off', true) || set_config('work_mem', '16MB', true) as done) s
where o.id = $1`

// sqlRevenue sums net org-currency payments ($2 tz, $3 currency) per segment between
// consecutive local dates of $4 (ascending): segment i covers [$4[i], $4[i+1]). Each segment is
// an index range scan on (org_id, paid_at), so only the window's rows are read, once.
const sqlRevenue = `select s.i, coalesce((select sum(p.amount - p.refunded_amount) from payments p
		where p.org_id = $1 and p.currency = $3::bpchar and p.status in ` + netStatuses + `
			and p.paid_at >= s.lo and p.paid_at < s.hi), 0)::bigint
from (select u.i, (u.d::timestamp at time zone $2) as lo, (lead(u.d) over (order by u.i))::timestamp at time zone $2 as hi
	from unnest($4::date[]) with ordinality as u(d, i)) s
where s.hi is not null`

// sqlBookings ($2 tz, $3 currency) counts counting bookings booked this month ($4 .. $5 exclusive)
// and in last year's window ($6 .. $7 exclusive), and sums and counts the org-currency ones booked
// in the LTM window ($8 .. $5).
const sqlBookings = `with w as (
	select ($4::date::timestamp at time zone $2) as mtd_lo, ($5::date::timestamp at time zone $2) as hi,
	       ($6::date::timestamp at time zone $2) as ly_lo, ($7::date::timestamp at time zone $2) as ly_hi,
	       ($8::date::timestamp at time zone $2) as ltm_lo)
select count(*) filter (where b.booked_at >= w.mtd_lo and b.booked_at < w.hi),
	count(*) filter (where b.booked_at >= w.ly_lo and b.booked_at < w.ly_hi),
	coalesce(sum(b.contract_amount) filter (where b.booked_at >= w.ltm_lo and b.booked_at < w.hi and b.currency = $3::bpchar), 0)::bigint,
	count(*) filter (where b.booked_at >= w.ltm_lo and b.booked_at < w.hi and b.currency = $3::bpchar)
from bookings b, w
where b.org_id = $1 and b.status <> 'cancelled'
	and ((b.booked_at >= w.ltm_lo and b.booked_at < w.hi) or (b.booked_at >= w.ly_lo and b.booked_at < w.ly_hi))`

// sqlInquiries ($2 tz) counts inquiries received this month ($3 .. $4 exclusive), in last year's window
// ($5 .. $6 exclusive) and in the 90-day window ($7 .. $4), with how many of those are booked.
const sqlInquiries = `with w as (
	select ($3::date::timestamp at time zone $2) as mtd_lo, ($4::date::timestamp at time zone $2) as hi,
	       ($5::date::timestamp at time zone $2) as ly_lo, ($6::date::timestamp at time zone $2) as ly_hi,
	       ($7::date::timestamp at time zone $2) as d90_lo)
select count(*) filter (where i.received_at >= w.mtd_lo and i.received_at < w.hi),
	count(*) filter (where i.received_at >= w.ly_lo and i.received_at < w.ly_hi),
	count(*) filter (where i.received_at >= w.d90_lo and i.received_at < w.hi),
	count(*) filter (where i.received_at >= w.d90_lo and i.received_at < w.hi and i.status = 'booked')
from inquiries i, w
where i.org_id = $1
	and ((i.received_at >= w.d90_lo and i.received_at < w.hi) or (i.received_at >= w.ly_lo and i.received_at < w.ly_hi))`

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

// sqlUpcoming lists counting bookings with a wedding in $2 .. $3 (inclusive) and their balance:
// contract minus the net of linked payments in the booking's currency, never below zero.
const sqlUpcoming = `select b.id, b.wedding_date, coalesce(c.name, b.title), b.contract_amount, b.currency,
	greatest(0, b.contract_amount - coalesce((select sum(p.amount - p.refunded_amount) from payments p
		where p.org_id = $1 and p.booking_id = b.id and p.currency = b.currency and p.status in ` + netStatuses + `), 0))::bigint
from bookings b left join clients c on c.id = b.client_id
where b.org_id = $1 and b.status <> 'cancelled' and b.wedding_date between $2::date and $3::date
order by b.wedding_date, b.id`

// sqlOwed ($2 currency) computes outstanding_balance (org-currency counting bookings less the
// net of their org-currency payments, never below zero per booking) and foreign_currency_rows
// (payments and bookings in another currency, and invoices of bookings in another currency) in
// one pass over the payments: the per-booking aggregate is full-joined to the bookings, so its
// NULL-booking group still carries the unlinked foreign payments.
const sqlOwed = `select
	coalesce(sum(greatest(0, b.contract_amount - coalesce(pp.net, 0))) filter (where b.id is not null), 0)::bigint,
	coalesce(sum(pp.foreign_rows), 0)::bigint
	+ (select count(*) from bookings fb where fb.org_id = $1 and fb.currency <> $2::bpchar)
	+ (select count(*) from invoices fi where fi.org_id = $1
		and fi.booking_id in (select fb.id from bookings fb where fb.org_id = $1 and fb.currency <> $2::bpchar))
from (select p.booking_id,
		sum(p.amount - p.refunded_amount) filter (where p.currency = $2::bpchar) as net,
		count(*) filter (where p.currency <> $2::bpchar) as foreign_rows
	from payments p
	where p.org_id = $1 and (p.currency <> $2::bpchar or (p.booking_id is not null and p.status in ` + netStatuses + `))
	group by p.booking_id) pp
full join (select id, contract_amount from bookings
	where org_id = $1 and status <> 'cancelled' and currency = $2::bpchar) b on b.id = pp.booking_id`

// sqlInvoices sums open invoice balances in currency $2: overdue (due before $3 = today) and
// scheduled (due $3 .. $4 inclusive). An invoice is in its booking's currency.
const sqlInvoices = `select
	coalesce(sum(i.amount - i.amount_paid) filter (where i.due_date < $3::date), 0)::bigint,
	count(*) filter (where i.due_date < $3::date),
	coalesce(sum(i.amount - i.amount_paid) filter (where i.due_date >= $3::date), 0)::bigint
from invoices i
where i.org_id = $1 and i.status = 'open' and i.due_date <= $4::date
	and not exists (select 1 from bookings b where b.id = i.booking_id and b.currency <> $2::bpchar)`

// sqlCommitted sums open invoice balances in currency $2 per due month for due dates in
// $3 .. $4 (exclusive).
const sqlCommitted = `select to_char(i.due_date, 'YYYY-MM'), sum(i.amount - i.amount_paid)::bigint
from invoices i
where i.org_id = $1 and i.status = 'open' and i.due_date >= $3::date and i.due_date < $4::date
	and (select b.currency from bookings b where b.id = i.booking_id) = $2::bpchar
group by 1`

// sqlReviews ($2 tz) counts reviews received in $3 .. $4 (exclusive) and sums their ratings.
const sqlReviews = `select count(*), coalesce(sum(r.rating), 0)::bigint from reviews r
where r.org_id = $1 and r.received_at >= ($3::date::timestamp at time zone $2) and r.received_at < ($4::date::timestamp at time zone $2)`

// sqlEarliestWedding returns the earliest counting wedding date, or null.
const sqlEarliestWedding = `select min(b.wedding_date) from bookings b where b.org_id = $1 and b.status <> 'cancelled'`

// sqlSeasonCounts counts counting bookings per (year, month) of wedding dates in $2 .. $3 (exclusive).
const sqlSeasonCounts = `select extract(year from b.wedding_date)::int, extract(month from b.wedding_date)::int, count(*)
from bookings b where b.org_id = $1 and b.status <> 'cancelled' and b.wedding_date >= $2::date and b.wedding_date < $3::date
group by 1, 2`

// sqlFreshness lists the active (not paused) integrations.
const sqlFreshness = `select provider, last_success_at, status from integrations
where org_id = $1 and status <> 'paused' order by provider, id`
