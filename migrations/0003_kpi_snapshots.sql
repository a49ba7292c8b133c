-- KPI snapshots and the per-organization change counter that makes coalesced recomputes safe.
--
-- Every write transaction bumps change_seq and inserts a unique recompute_metrics job. River counts
-- a running job as a duplicate, so a write that lands while a recompute runs adds no job; the
-- running job compares change_seq before it finishes and computes again, so no write is lost.

create table org_metric_state (
    org_id           bigint primary key references organizations (id) on delete cascade,
    change_seq       bigint      not null default 0,
    computed_seq     bigint      not null default -1,
    snapshot_version bigint      not null default 0,
    recomputes       bigint      not null default 0,
    last_viewed_at   timestamptz
);

create table kpi_snapshots (
    org_id      bigint      not null references organizations (id) on delete cascade,
    version     bigint      not null,
    change_seq  bigint      not null,
    computed_at timestamptz not null,
    local_date  date        not null,
    data        jsonb       not null,
    primary key (org_id, version)
);

do $$
declare t text;
begin
    foreach t in array array['org_metric_state', 'kpi_snapshots'] loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format($p$create policy tenant on %I
            using (org_id = nullif(current_setting('app.org_id', true), '')::bigint)
            with check (org_id = nullif(current_setting('app.org_id', true), '')::bigint)$p$, t);
    end loop;
end $$;

-- sys_stale_metric_orgs lists organizations someone watched recently whose snapshot went stale:
-- the local day rolled over since it was computed, or it is older than max_age. Idle
-- organizations (nobody watching) are left alone.
create function sys_stale_metric_orgs(p_now timestamptz, p_watch_window interval, p_max_age interval)
returns table (org_id bigint)
language sql stable security definer set search_path = public, pg_temp as $$
    select s.org_id
    from org_metric_state s
    join organizations o on o.id = s.org_id
    left join kpi_snapshots k on k.org_id = s.org_id and k.version = s.snapshot_version
    where s.last_viewed_at > p_now - p_watch_window
      and (k.org_id is null
           or k.local_date <> (p_now at time zone o.timezone)::date
           or k.computed_at < p_now - p_max_age)
$$;
