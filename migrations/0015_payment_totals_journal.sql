-- Sync throughput (issue 7, point 9): payment totals kept by a journal, one row per statement.
--
-- Migrations 0006 and 0014 kept bookings.paid_net and payment_days exact with a statement-level
-- trigger on payments that locked and updated every booking whose net changed and appended one
-- payment_days row per (organization, currency, local date). A sync page of a hundred charges
-- touches about a hundred bookings and as many dates, so each page wrote three rows per payment,
-- and the trigger cost more database time than the payments themselves (measured on the sync
-- benchmark: 3.0 of 5.7 ms a page; with one journal row instead, 0.1).
--
-- Now the trigger appends one row per statement and organization to payment_totals_journal: the
-- signed changes (booking, currency, paid_at, +1/-1, net) as arrays. It locks no booking and
-- writes one row. The totals are the folded part plus the journal's pending rows:
--   * payment_days_all: payment_days plus the pending rows by local date, in the organization's
--     current timezone;
--   * booking_paid_pending: per booking, the pending net in each currency (a booking counts the
--     one it is in), minus the entries booking_fold_exclusions says were counted already.
-- Both are exact after every committed statement, as before.
--
-- Folding (store.CompactTotals, run by ComputeKPIs) share-locks the organization (its timezone),
-- lists its journal rows, locks the bookings they name in id order, then in one statement
-- deletes those journal rows and adds their sums to payment_days (one row per currency and
-- date) and to bookings.paid_net. A journal row deleted meanwhile by another fold is skipped, not
-- counted twice; rows that arrived after the list wait for the next fold. The fold sets
-- wedsync.folding_paid_net for its transaction, so the bookings trigger takes its write as a fold.
--
-- A change of a booking's currency or organization, or a hand-written paid_net, recomputes
-- paid_net from the payments (bookings_paid_net_trigger) and, in the same statement (so with the
-- same snapshot), records the journal rows naming the booking in booking_fold_exclusions: their
-- entries for it are in the sum already. The booking is locked before the trigger runs, and a
-- fold locks it before deleting journal rows, so the two cannot deadlock.
--
-- A change of timezone rebuilds payment_days from the payments minus the pending journal rows
-- (one statement, one snapshot: a payment and its journal row commit together), which then fold
-- in under the new timezone. Folds share-lock the organization, so the change waits for a fold
-- and a fold for it; payment writers need no lock, they store paid_at, not a date.

create table payment_totals_journal (
    id          bigint generated always as identity primary key,
    org_id      bigint        not null references organizations (id) on delete cascade,
    -- One entry per changed payment row, in the same position of each array: its booking (null
    -- for none), currency, paid_at, +1 for a new row or -1 for an old one, and its signed net.
    booking_ids bigint[]      not null,
    currencies  bpchar[]      not null,
    paid_ats    timestamptz[] not null,
    counts      integer[]     not null,
    nets        bigint[]      not null
);
create index payment_totals_journal_org_idx on payment_totals_journal (org_id);
-- A page's row (a hundred entries, about 3 KB) stays in the table's page, uncompressed, rather
-- than being compressed and moved to the TOAST table, which cost more than the rest of the row.
alter table payment_totals_journal set (toast_tuple_target = 8160);
alter table payment_totals_journal enable row level security;
alter table payment_totals_journal force row level security;
create policy tenant on payment_totals_journal
    using (org_id = nullif(current_setting('app.org_id', true), '')::bigint)
    with check (org_id = nullif(current_setting('app.org_id', true), '')::bigint);

create table booking_fold_exclusions (
    org_id     bigint not null references organizations (id) on delete cascade,
    journal_id bigint not null references payment_totals_journal (id) on delete cascade,
    booking_id bigint not null,
    primary key (journal_id, booking_id)
);
alter table booking_fold_exclusions enable row level security;
alter table booking_fold_exclusions force row level security;
create policy tenant on booking_fold_exclusions
    using (org_id = nullif(current_setting('app.org_id', true), '')::bigint)
    with check (org_id = nullif(current_setting('app.org_id', true), '')::bigint);

-- Most synced payments name no invoice, and some no booking: their rows need no entry in these
-- indexes, whose every use looks up one invoice or booking.
drop index payments_invoice_idx;
create index payments_invoice_idx on payments (invoice_id) where invoice_id is not null;
drop index payments_booking_idx;
create index payments_booking_idx on payments (booking_id) where booking_id is not null;

-- payment_days holds folded rows only from now on: merge the delta rows of 0006 once.
create temporary table folded_days on commit drop as
select org_id, currency, day, sum(net) as net, sum(payments) as payments
from payment_days group by 1, 2, 3 having sum(net) <> 0 or sum(payments) <> 0;
delete from payment_days;
drop index payment_days_fresh_idx;
alter table payment_days drop column compacted;
insert into payment_days (org_id, currency, day, net, payments)
select org_id, currency, day, net, payments from folded_days;

-- The views apply row level security as the caller: a scoped reader sees its organization's rows.
create view payment_totals_pending with (security_invoker = true) as
select j.id as journal_id, j.org_id, u.booking_id, u.currency, u.paid_at, u.n, u.net
from payment_totals_journal j,
    unnest(j.booking_ids, j.currencies, j.paid_ats, j.counts, j.nets) as u (booking_id, currency, paid_at, n, net);

create view payment_days_all with (security_invoker = true) as
select d.org_id, d.currency, d.day, d.net, d.payments
from payment_days d
union all
select p.org_id, p.currency, (p.paid_at at time zone o.timezone)::date, p.net, p.n::bigint
from payment_totals_pending p join organizations o on o.id = p.org_id;

create view booking_paid_pending with (security_invoker = true) as
select p.org_id, p.booking_id, p.currency, sum(p.net)::bigint as net
from payment_totals_pending p
where p.booking_id is not null
    and not exists (select 1 from booking_fold_exclusions x where x.journal_id = p.journal_id and x.booking_id = p.booking_id)
group by p.org_id, p.booking_id, p.currency;

-- payments_totals_trigger appends a statement's changes to the journal: one row per
-- organization, each changed payment as +1 and its net for a new row, -1 and minus its net for an
-- old one (an UPDATE gives both for each row it changed, nothing for a row it left as it was).
-- A payment of an organization deleted in this transaction (a cascade) finds no organization and
-- adds nothing; the organization's journal goes with it. It takes no lock: the journal's rows
-- are summed whatever the order they commit in, and the timezone they are dated in is read when
-- they are folded or read (a change of timezone, below, needs no writer to wait).
create or replace function payments_totals_trigger() returns trigger
language plpgsql security invoker set search_path = public, pg_temp as $$
begin
    if tg_op = 'INSERT' then
        insert into payment_totals_journal (org_id, booking_ids, currencies, paid_ats, counts, nets)
        select n.org_id, array_agg(n.booking_id), array_agg(n.currency), array_agg(n.paid_at), array_agg(1),
               array_agg(case when n.status in ('succeeded', 'partially_refunded', 'refunded')
                              then n.amount - n.refunded_amount else 0 end)
        from paid_new n join organizations g on g.id = n.org_id
        group by n.org_id
        order by n.org_id;
    elsif tg_op = 'DELETE' then
        insert into payment_totals_journal (org_id, booking_ids, currencies, paid_ats, counts, nets)
        select o.org_id, array_agg(o.booking_id), array_agg(o.currency), array_agg(o.paid_at), array_agg(-1),
               array_agg(case when o.status in ('succeeded', 'partially_refunded', 'refunded')
                              then o.refunded_amount - o.amount else 0 end)
        from paid_old o join organizations g on g.id = o.org_id
        group by o.org_id
        order by o.org_id;
    elsif exists (select 1 from paid_new) then
        -- An INSERT ... ON CONFLICT DO UPDATE fires this trigger too, usually with no row updated.
        insert into payment_totals_journal (org_id, booking_ids, currencies, paid_ats, counts, nets)
        select x.org_id, array_agg(x.booking_id), array_agg(x.currency), array_agg(x.paid_at), array_agg(x.n), array_agg(x.net)
        from paid_old o full join paid_new n on n.id = o.id
            cross join lateral (values
                (o.org_id, o.booking_id, o.currency, o.paid_at, -1,
                 case when o.status in ('succeeded', 'partially_refunded', 'refunded') then o.refunded_amount - o.amount else 0 end),
                (n.org_id, n.booking_id, n.currency, n.paid_at, 1,
                 case when n.status in ('succeeded', 'partially_refunded', 'refunded') then n.amount - n.refunded_amount else 0 end))
                x (org_id, booking_id, currency, paid_at, n, net)
            join organizations g on g.id = x.org_id
        where (o.booking_id, o.org_id, o.amount, o.refunded_amount, o.currency, o.status, o.paid_at)
              is distinct from (n.booking_id, n.org_id, n.amount, n.refunded_amount, n.currency, n.status, n.paid_at)
        group by x.org_id
        order by x.org_id;
    end if;
    return null;
end $$;

create or replace function payments_totals_truncate() returns trigger
language plpgsql security invoker set search_path = public, pg_temp as $$
begin
    update bookings set paid_net = 0 where paid_net <> 0;
    delete from payment_totals_journal;
    delete from payment_days;
    return null;
end $$;

create or replace function bookings_paid_net_trigger() returns trigger
language plpgsql security invoker set search_path = public, pg_temp as $$
begin
    if tg_op = 'INSERT' then
        new.paid_net := 0;
    else
        with counted as (
            insert into booking_fold_exclusions (org_id, journal_id, booking_id)
            select j.org_id, j.id, new.id from payment_totals_journal j where new.id = any (j.booking_ids)
            on conflict do nothing)
        select coalesce(sum(p.amount - p.refunded_amount), 0)::bigint into new.paid_net
        from payments p
        where p.booking_id = new.id and p.org_id = new.org_id and p.currency = new.currency
          and p.status in ('succeeded', 'partially_refunded', 'refunded');
    end if;
    return new;
end $$;

-- As in 0006, except that a fold's write of paid_net is not a hand-written one.
drop trigger bookings_paid_net_update on bookings;
create trigger bookings_paid_net_update before update of currency, org_id, paid_net on bookings
    for each row when (new.currency is distinct from old.currency or new.org_id is distinct from old.org_id
                       or (new.paid_net is distinct from old.paid_net and pg_trigger_depth() = 0
                           and current_setting('wedsync.folding_paid_net', true) is distinct from 'on'))
    execute function bookings_paid_net_trigger();

-- A new timezone moves payments to other local dates: payment_days becomes the payments minus
-- the journal's pending rows, by local date in the new timezone (one statement, one snapshot).
create or replace function organizations_payment_days_trigger() returns trigger
language plpgsql security invoker set search_path = public, pg_temp as $$
begin
    delete from payment_days where org_id = new.id;
    insert into payment_days (org_id, currency, day, net, payments)
    select new.id, x.currency, (x.paid_at at time zone new.timezone)::date, sum(x.net), sum(x.n)
    from (select p.currency, p.paid_at, 1 as n,
                 case when p.status in ('succeeded', 'partially_refunded', 'refunded') then p.amount - p.refunded_amount else 0 end as net
          from payments p where p.org_id = new.id
          union all
          select j.currency, j.paid_at, -j.n, -j.net from payment_totals_pending j where j.org_id = new.id) x
    group by 1, 2, 3
    having sum(x.net) <> 0 or sum(x.n) <> 0;
    return null;
end $$;
