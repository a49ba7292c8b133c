-- Sync throughput (issue 7, point 9): the payments trigger of 0006 locks the bookings whose
-- paid_net changes before updating them, in id order, so two writers cannot deadlock. Its lock
-- query, `where b.id = any (bookings)`, can be planned (once per session: PL/pgSQL caches plans)
-- and, on a small bookings table, as a sequential scan that compares every row with every id of
-- the array. During a large sync each page then rescanned the whole table, dead row versions
-- included (every page leaves one per booking it paid), which made the trigger the largest
-- part of a sync's database time. The same lock, driven by the array's ids through the primary
-- key (a join with the unnested ids); nothing else changes.

create or replace function payments_totals_trigger() returns trigger
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
        perform 1 from unnest(bookings) u (id) join bookings b on b.id = u.id order by b.id for no key update of b;
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
