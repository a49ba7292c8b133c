-- Payment totals kept by triggers, so a KPI recompute reads a few thousand rows instead of every
-- payment (store/kpi_sql.go):
--
--   bookings.paid_net   the net paid towards each booking: Σ (amount - refunded_amount) over the
--                       booking's payments of the same organization in the booking's currency whose
--                       status is succeeded, partially_refunded or refunded (pending and failed
--                       count 0), METRICS.md's "net amount of payments linked to that booking";
--   payment_days        per organization, currency and local paid date (in the organization's
--                       timezone): Σ net amount and the number of payments of any status.
--
-- Both are exact after every committed statement:
--   * payments: statement-level AFTER INSERT / UPDATE / DELETE triggers with transition tables
--     (one call per statement, so COPY and multi-row writes stay cheap) first share-lock the
--     organizations (their timezone cannot change under them), then add the statement's net
--     change to paid_net with a relative UPDATE (paid_net = paid_net + change: a writer waiting
--     for another's row lock applies its change to the committed row, so none is lost), and
--     append one delta row per (organization, currency, local date) to payment_days.
--     Appending takes no lock that another writer waits for, so the payments of a busy
--     organization do not serialize on a hot row of today, in whatever order they touch dates.
--     ComputeKPIs compacts an organization's delta rows into one row per key before reading (any
--     set of rows of one key may be replaced by their sum, so concurrent compactions are safe).
--   * bookings: a BEFORE UPDATE trigger recomputes paid_net when the currency or organization
--     changes, or when anything but the payment triggers writes it; a new booking starts at 0
--     (the foreign key lets no payment point at a booking that does not exist yet).
--   * organizations: a change of timezone rebuilds the organization's payment_days.
-- The functions are SECURITY INVOKER: under the app role's row level security they see and touch
-- only the rows of the organization in scope, which are the only ones a scoped write can change
-- (payments of another organization never count towards a booking).

alter table bookings add column paid_net bigint not null default 0;

update bookings b set paid_net = s.net
from (select p.booking_id, p.org_id, p.currency, sum(p.amount - p.refunded_amount)::bigint as net
      from payments p
      where p.booking_id is not null and p.status in ('succeeded', 'partially_refunded', 'refunded')
      group by 1, 2, 3) s
where s.booking_id = b.id and s.org_id = b.org_id and s.currency = b.currency and s.net <> 0;

create table payment_days (
    org_id    bigint  not null references organizations (id) on delete cascade,
    currency  char(3) not null,
    day       date    not null,  -- the local paid date in the organization's timezone
    net       bigint  not null,  -- Σ net amount
    payments  bigint  not null,  -- number of payments, any status
    compacted boolean not null default false  -- false: a delta row not yet merged by ComputeKPIs
);
create index payment_days_org_idx on payment_days (org_id, currency, day) include (net, payments);
create index payment_days_fresh_idx on payment_days (org_id) where not compacted;
alter table payment_days enable row level security;
alter table payment_days force row level security;
create policy tenant on payment_days
    using (org_id = nullif(current_setting('app.org_id', true), '')::bigint)
    with check (org_id = nullif(current_setting('app.org_id', true), '')::bigint);

insert into payment_days (org_id, currency, day, net, payments, compacted)
select p.org_id, p.currency, (p.paid_at at time zone o.timezone)::date,
       coalesce(sum(p.amount - p.refunded_amount) filter (where p.status in ('succeeded', 'partially_refunded', 'refunded')), 0),
       count(*), true
from payments p join organizations o on o.id = p.org_id
group by 1, 2, 3;

-- payments_totals_trigger keeps bookings.paid_net and payment_days for one statement on payments.
-- The transition tables differ by operation (an INSERT has no old rows), so the first statement,
-- one per operation, lists the changes as signed rows: +1 and the net amount for a new row, -1
-- and minus the net for an old one (an UPDATE gives both for each row it changed, nothing for a
-- row it left as it was), with the organizations and the bookings whose net changes. The rest is
-- shared.
create function payments_totals_trigger() returns trigger
language plpgsql security invoker set search_path = public, pg_temp as $$
declare
    c_org     bigint[];
    c_booking bigint[];
    c_cur     bpchar[];
    c_at      timestamptz[];
    c_n       integer[];
    c_net     bigint[];
    orgs      bigint[];
    bookings  bigint[];
begin
    if tg_op = 'INSERT' then
        select array_agg(n.org_id), array_agg(n.booking_id), array_agg(n.currency), array_agg(n.paid_at), array_agg(1),
               array_agg(x.net), array_agg(distinct n.org_id order by n.org_id),
               array_agg(distinct n.booking_id order by n.booking_id) filter (where n.booking_id is not null and x.net <> 0)
        into c_org, c_booking, c_cur, c_at, c_n, c_net, orgs, bookings
        from paid_new n, lateral (select case when n.status in ('succeeded', 'partially_refunded', 'refunded')
                                              then n.amount - n.refunded_amount else 0 end) x (net);
    elsif tg_op = 'DELETE' then
        select array_agg(o.org_id), array_agg(o.booking_id), array_agg(o.currency), array_agg(o.paid_at), array_agg(-1),
               array_agg(x.net), array_agg(distinct o.org_id order by o.org_id),
               array_agg(distinct o.booking_id order by o.booking_id) filter (where o.booking_id is not null and x.net <> 0)
        into c_org, c_booking, c_cur, c_at, c_n, c_net, orgs, bookings
        from paid_old o, lateral (select case when o.status in ('succeeded', 'partially_refunded', 'refunded')
                                              then o.refunded_amount - o.amount else 0 end) x (net);
    else
        select array_agg(x.org_id), array_agg(x.booking_id), array_agg(x.currency), array_agg(x.paid_at), array_agg(x.n),
               array_agg(x.net), array_agg(distinct x.org_id order by x.org_id),
               array_agg(distinct x.booking_id order by x.booking_id) filter (where x.booking_id is not null and x.net <> 0)
        into c_org, c_booking, c_cur, c_at, c_n, c_net, orgs, bookings
        from paid_old o full join paid_new n on n.id = o.id
            cross join lateral (values
                (o.org_id, o.booking_id, o.currency, o.paid_at, -1,
                 case when o.status in ('succeeded', 'partially_refunded', 'refunded') then o.refunded_amount - o.amount else 0 end),
                (n.org_id, n.booking_id, n.currency, n.paid_at, 1,
                 case when n.status in ('succeeded', 'partially_refunded', 'refunded') then n.amount - n.refunded_amount else 0 end))
                x (org_id, booking_id, currency, paid_at, n, net)
        where x.org_id is not null
          and (o.booking_id, o.org_id, o.amount, o.refunded_amount, o.currency, o.status, o.paid_at)
              is distinct from (n.booking_id, n.org_id, n.amount, n.refunded_amount, n.currency, n.status, n.paid_at);
    end if;
    if c_org is null then
        return null;
    end if;

    -- The organizations' timezones cannot change until this transaction ends (see below).
    perform 1 from organizations g where g.id = any (orgs) order by g.id for share;

    -- paid_net += the net change of the booking's payments in its currency and organization.
    -- A relative UPDATE is safe under concurrency: a writer that waits for another's row lock
    -- applies its change to the row as committed, and matches the currency and organization of
    -- that row. Every booking with a change in any currency is updated (so locked), even when the
    -- change is not in its currency: a concurrent change of the booking's currency then waits for
    -- this transaction and recomputes paid_net from payments that include these. Several
    -- bookings are locked in id order first, so two such statements cannot deadlock.
    if cardinality(bookings) > 1 then
        perform 1 from bookings b where b.id = any (bookings) order by b.id for no key update;
    end if;
    if bookings is not null then
        update bookings b set paid_net = b.paid_net + coalesce((
                select sum(t.net) from unnest(d.o, d.c, d.net) t (o, c, net) where t.o = b.org_id and t.c = b.currency), 0)
        from (select g.b, array_agg(g.o) as o, array_agg(g.c) as c, array_agg(g.net) as net
              from (select u.b, u.o, u.c, sum(u.net) as net
                    from unnest(c_booking, c_org, c_cur, c_net) u (b, o, c, net)
                    where u.b is not null
                    group by 1, 2, 3 having sum(u.net) <> 0) g
              group by g.b) d
        where b.id = d.b;
    end if;

    -- One delta row per organization, currency and local paid date. A payment of an
    -- organization deleted in this transaction (a cascade) finds no organization and adds none;
    -- the organization's payment_days go with it.
    insert into payment_days (org_id, currency, day, net, payments)
    select u.o, u.c, (u.at at time zone g.timezone)::date, sum(u.net), sum(u.n)
    from unnest(c_org, c_cur, c_at, c_n, c_net) u (o, c, at, n, net)
        join organizations g on g.id = u.o
    group by 1, 2, 3
    having sum(u.net) <> 0 or sum(u.n) <> 0
    order by 1, 2, 3;
    return null;
end $$;

create trigger payments_totals_insert after insert on payments
    referencing new table as paid_new for each statement execute function payments_totals_trigger();
create trigger payments_totals_update after update on payments
    referencing old table as paid_old new table as paid_new for each statement execute function payments_totals_trigger();
create trigger payments_totals_delete after delete on payments
    referencing old table as paid_old for each statement execute function payments_totals_trigger();

create function payments_totals_truncate() returns trigger
language plpgsql security invoker set search_path = public, pg_temp as $$
begin
    update bookings set paid_net = 0 where paid_net <> 0;
    delete from payment_days;
    return null;
end $$;

create trigger payments_totals_truncate after truncate on payments
    for each statement execute function payments_totals_truncate();

create function bookings_paid_net_trigger() returns trigger
language plpgsql security invoker set search_path = public, pg_temp as $$
begin
    if tg_op = 'INSERT' then
        new.paid_net := 0;
    else
        select coalesce(sum(p.amount - p.refunded_amount), 0)::bigint into new.paid_net
        from payments p
        where p.booking_id = new.id and p.org_id = new.org_id and p.currency = new.currency
          and p.status in ('succeeded', 'partially_refunded', 'refunded');
    end if;
    return new;
end $$;

create trigger bookings_paid_net_insert before insert on bookings
    for each row when (new.paid_net <> 0) execute function bookings_paid_net_trigger();
-- pg_trigger_depth() = 0: a statement of its own, not the payment trigger's relative update.
create trigger bookings_paid_net_update before update of currency, org_id, paid_net on bookings
    for each row when (new.currency is distinct from old.currency or new.org_id is distinct from old.org_id
                       or (new.paid_net is distinct from old.paid_net and pg_trigger_depth() = 0))
    execute function bookings_paid_net_trigger();

-- A new timezone moves payments to other local dates: rebuild the organization's payment_days.
-- Concurrent payment writers hold a share lock on the organization, so this update waits for
-- them and the rebuild sees their payments; later writers wait for it and read the new timezone.
create function organizations_payment_days_trigger() returns trigger
language plpgsql security invoker set search_path = public, pg_temp as $$
begin
    delete from payment_days where org_id = new.id;
    insert into payment_days (org_id, currency, day, net, payments, compacted)
    select p.org_id, p.currency, (p.paid_at at time zone new.timezone)::date,
           coalesce(sum(p.amount - p.refunded_amount) filter (where p.status in ('succeeded', 'partially_refunded', 'refunded')), 0),
           count(*), true
    from payments p
    where p.org_id = new.id
    group by 1, 2, 3;
    return null;
end $$;

create trigger organizations_payment_days after update of timezone on organizations
    for each row when (new.timezone is distinct from old.timezone) execute function organizations_payment_days_trigger();

-- Indexes of the KPI queries that would otherwise read a whole table: the open invoices (most
-- invoices end up paid or void) and the unanswered inquiries (most get an answer).
create index invoices_open_due_idx on invoices (org_id, due_date) where status = 'open';
create index inquiries_unanswered_idx on inquiries (org_id, received_at)
    where first_response_at is null and status not in ('booked', 'lost');
-- Bookings in another currency than the organization's are rare: found on either side of it.
create index bookings_org_currency_idx on bookings (org_id, currency);
