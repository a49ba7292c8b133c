-- Coalescing recomputes with a "queued" flag instead of River's unique jobs.
--
-- River counts a running job as a duplicate, so a write landing between a recompute's last look at
-- the change counter and River marking it completed would add no job and be lost. Instead a writer
-- inserts a recompute job only when none is queued (flag false -> true, under the row lock), and
-- the job clears the flag before it reads the counter: every write is either seen by a running
-- computation or has queued the next one.
alter table org_metric_state add column queued boolean not null default false;

-- sys_lagging_metric_orgs is the safety net: organizations whose newest snapshot is behind their
-- change counter for longer than p_grace (a recompute job that failed for good).
create function sys_lagging_metric_orgs(p_now timestamptz, p_grace interval)
returns table (org_id bigint)
language sql stable security definer set search_path = public, pg_temp as $$
    select s.org_id
    from org_metric_state s
    left join kpi_snapshots k on k.org_id = s.org_id and k.version = s.snapshot_version
    where s.change_seq > s.computed_seq
      and (k.org_id is null or k.computed_at < p_now - p_grace)
$$;
