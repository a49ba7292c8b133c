-- Integrations: sealed credentials with masked hints, health bookkeeping, sync runs that can be
-- resumed by the job that started them, and the two cross-organization entry points (the
-- scheduler finding due integrations, the webhook router resolving a public id).

-- Credentials are one AES-256-GCM sealed JSON object ("kid.base64(nonce|ciphertext)", see
-- store/secret), bound to the integration id. Hints are masked forms ("sk_live_…4242") that the
-- pages may show; the secrets themselves are never rendered.
alter table integrations alter column credentials type text using convert_from(credentials, 'UTF8');
alter table integrations
    add column credential_hints  jsonb       not null default '{}',
    add column paused_reason     text        not null default ''
               check (paused_reason in ('', 'user', 'failures')),
    add column failing_since     timestamptz,
    add column last_attempt_at   timestamptz,
    add column last_test_at      timestamptz,
    add column last_test_ok      boolean,
    add column last_test_class   text        not null default '',
    add column last_test_message text        not null default '',
    add constraint integrations_name_length check (length(name) <= 100);
create index integrations_due_idx on integrations (next_run_at) where status not in ('paused', 'needs_reauth');

-- A sync run belongs to the River job that does it: a job rescued after a crash continues its
-- own run instead of starting a second one.
alter table sync_runs
    add column trigger       text    not null default 'schedule'
               check (trigger in ('schedule', 'manual', 'webhook')),
    add column job_id        bigint,
    add column pages         integer not null default 0,
    add column skipped_count integer not null default 0;
create index sync_runs_running_idx on sync_runs (integration_id, job_id) where status = 'running';

create index webhook_events_integration_idx on webhook_events (integration_id, received_at desc);

-- sys_due_integrations lists integrations whose next run is due (not paused, not waiting for
-- new credentials), oldest first. The scheduler enqueues one unique sync job for each.
create function sys_due_integrations(p_now timestamptz, p_limit integer)
returns table (id bigint, org_id bigint)
language sql stable security definer set search_path = public, pg_temp as $$
    select i.id, i.org_id
    from integrations i
    where i.status not in ('paused', 'needs_reauth') and i.next_run_at <= p_now
    order by i.next_run_at, i.id
    limit p_limit
$$;

-- sys_webhook_integration resolves the integration a provider webhook is addressed to
-- (/webhooks/<provider>/<public id>); everything else is read in the organization's scope.
create function sys_webhook_integration(p_provider text, p_public_id text)
returns table (id bigint, org_id bigint)
language sql stable security definer set search_path = public, pg_temp as $$
    select i.id, i.org_id
    from integrations i
    where i.provider = p_provider and i.public_id = p_public_id
$$;
