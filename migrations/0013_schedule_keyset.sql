-- The scheduler pages through every due integration in one sweep, keyset on (next run, id), so a
-- tenant base with more integrations due a minute than one batch never falls behind (10,000
-- organizations with three integrations on the default 15-minute schedule make 2,000 a minute).
-- The index serves the keyset order directly.
drop index integrations_due_idx;
create index integrations_due_idx on integrations (next_run_at, id) where status not in ('paused', 'needs_reauth');

drop function sys_due_integrations(timestamptz, integer);

-- sys_due_integrations lists integrations whose next run is due (not paused, not waiting for
-- new credentials), oldest first, after (p_after_run, p_after_id): pass the last row of the
-- previous page, or '-infinity' and 0 for the first.
create function sys_due_integrations(p_now timestamptz, p_after_run timestamptz, p_after_id bigint, p_limit integer)
returns table (id bigint, org_id bigint, next_run_at timestamptz)
language sql stable security definer set search_path = public, pg_temp as $$
    select i.id, i.org_id, i.next_run_at
    from integrations i
    where i.status not in ('paused', 'needs_reauth') and i.next_run_at <= p_now
      and (i.next_run_at, i.id) > (p_after_run, p_after_id)
    order by i.next_run_at, i.id
    limit p_limit
$$;
