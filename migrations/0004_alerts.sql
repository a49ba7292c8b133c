-- Business alerts: rules, alerts with their history, notification channels, deliveries, and the
-- per-organization state that serializes rule evaluation and the rolling-hour rate limits.
--
-- Severities are smallints so they compare: 1 LOW, 2 MEDIUM, 3 HIGH, 4 CRITICAL, 5 EMERGENCY.

-- A person's phone number for wedding-day escalation SMS, per organization (a planner may use a
-- different phone for each business). E.164 ("+447700900123").
alter table memberships add column phone text
    check (phone is null or phone ~ '^\+[1-9][0-9]{6,14}$');

create table alert_rules (
    id         bigserial primary key,
    org_id     bigint      not null references organizations (id) on delete cascade,
    kind       text        not null check (kind in ('revenue_drop', 'capacity', 'overdue_payment',
                           'unanswered_inquiry', 'low_review', 'sync_failure', 'wedding_day')),
    name       text        not null default '' check (length(name) <= 100),
    severity   smallint    not null check (severity between 1 and 5),
    params     jsonb       not null default '{}',
    enabled    boolean     not null default true,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index alert_rules_org_idx on alert_rules (org_id, kind);

-- One alert per rule and subject while it is not resolved: a repeat raises count and
-- last_seen_at. resolved_by is null with resolved_by_system when the condition cleared by itself.
create table alerts (
    id                 bigserial primary key,
    org_id             bigint      not null references organizations (id) on delete cascade,
    rule_id            bigint      references alert_rules (id) on delete set null,
    kind               text        not null,
    subject            text        not null check (length(subject) between 1 and 200),
    dedupe_key         text        not null,
    severity           smallint    not null check (severity between 1 and 5),
    title              text        not null check (length(title) between 1 and 300),
    body               text        not null default '' check (length(body) <= 4000),
    link               text        not null default '' check (length(link) <= 500),
    status             text        not null default 'open'
                       check (status in ('open', 'acknowledged', 'snoozed', 'resolved')),
    count              integer     not null default 1,
    first_seen_at      timestamptz not null,
    last_seen_at       timestamptz not null,
    acknowledged_at    timestamptz,
    acknowledged_by    bigint      references users (id) on delete set null,
    snoozed_at         timestamptz,
    snoozed_until      timestamptz,
    snoozed_by         bigint      references users (id) on delete set null,
    snooze_note        text        not null default '' check (length(snooze_note) <= 1000),
    resolved_at        timestamptz,
    resolved_by        bigint      references users (id) on delete set null,
    resolved_by_system boolean     not null default false,
    wedding_day        boolean     not null default false,
    escalation_level   integer     not null default 0,
    next_escalation_at timestamptz
);
create unique index alerts_open_dedupe_key on alerts (org_id, dedupe_key) where status <> 'resolved';
create index alerts_org_status_idx on alerts (org_id, status, last_seen_at desc);
create index alerts_org_resolved_idx on alerts (org_id, resolved_at desc) where status = 'resolved';
create index alerts_escalation_idx on alerts (next_escalation_at) where status = 'open' and next_escalation_at is not null;

-- The history of one alert: raised, acknowledged, snoozed, unsnoozed, resolved, escalated.
create table alert_events (
    id       bigserial primary key,
    org_id   bigint      not null references organizations (id) on delete cascade,
    alert_id bigint      not null references alerts (id) on delete cascade,
    at       timestamptz not null,
    action   text        not null check (action in ('raised', 'acknowledged', 'snoozed', 'unsnoozed',
                         'resolved', 'escalated')),
    user_id  bigint      references users (id) on delete set null,
    note     text        not null default '' check (length(note) <= 1000)
);
create index alert_events_alert_idx on alert_events (alert_id, at, id);

-- Channels: in-app (the bell), email, sms and webhook. target is the recipients (comma-separated
-- addresses or E.164 numbers) or the webhook URL. secret is sealed with store/secret (a webhook's
-- signing secret, an SMS channel's own Twilio auth token) and never rendered; secret_hint is its
-- masked form. Quiet hours are local times in the organization's timezone; EMERGENCY ignores them.
create table channels (
    id           bigserial primary key,
    org_id       bigint      not null references organizations (id) on delete cascade,
    kind         text        not null check (kind in ('inapp', 'email', 'sms', 'webhook')),
    name         text        not null check (length(name) between 1 and 100),
    target       text        not null default '' check (length(target) <= 2000),
    config       jsonb       not null default '{}',
    secret       text,
    secret_hint  text        not null default '',
    min_severity smallint    not null default 1 check (min_severity between 1 and 5),
    quiet_start  time,
    quiet_end    time,
    enabled      boolean     not null default true,
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    check ((quiet_start is null) = (quiet_end is null))
);
create index channels_org_idx on channels (org_id, kind);

-- One message on one channel to one target. idempotency_key is sent to receivers (webhook
-- header, email Message-ID) and makes a retried job a no-op once status is sent. counted_at is
-- when the delivery took a slot of its rate class's rolling hour; a delivery past the limit is
-- rate_limited and later linked to the digest (digest_id) that summarized it.
create table deliveries (
    id               bigserial primary key,
    org_id           bigint      not null references organizations (id) on delete cascade,
    alert_id         bigint      references alerts (id) on delete cascade,
    channel_id       bigint      references channels (id) on delete set null,
    user_id          bigint      references users (id) on delete set null,
    kind             text        not null check (kind in ('inapp', 'email', 'sms', 'webhook')),
    target           text        not null default '',
    purpose          text        not null check (purpose in ('alert', 'escalation', 'digest')),
    severity         smallint    not null check (severity between 1 and 5),
    rate_class       text        not null check (rate_class in ('standard', 'emergency')),
    status           text        not null default 'pending'
                     check (status in ('pending', 'sending', 'retrying', 'sent', 'failed', 'rate_limited', 'skipped')),
    idempotency_key  text        not null unique,
    attempts         integer     not null default 0,
    last_error       text        not null default '',
    escalation_level integer     not null default 0,
    payload          jsonb       not null default '{}',
    scheduled_at     timestamptz not null,
    counted_at       timestamptz,
    sent_at          timestamptz,
    digest_id        bigint      references deliveries (id) on delete set null,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now()
);
create index deliveries_alert_idx on deliveries (alert_id, id);
create index deliveries_rate_idx on deliveries (org_id, rate_class, counted_at) where counted_at is not null;
create index deliveries_held_idx on deliveries (org_id, rate_class) where status = 'rate_limited' and digest_id is null;

-- One row per organization: its lock serializes rule evaluation and rate-limit decisions on
-- every instance; defaults_installed_at records that the default rules and the in-app channel
-- were created (so deleting them all does not bring them back).
create table alert_org_state (
    org_id                bigint primary key references organizations (id) on delete cascade,
    defaults_installed_at timestamptz,
    evaluated_version     bigint      not null default 0,
    evaluated_at          timestamptz
);

do $$
declare t text;
begin
    foreach t in array array['alert_rules', 'alerts', 'alert_events', 'channels', 'deliveries', 'alert_org_state'] loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format($p$create policy tenant on %I
            using (org_id = nullif(current_setting('app.org_id', true), '')::bigint)
            with check (org_id = nullif(current_setting('app.org_id', true), '')::bigint)$p$, t);
    end loop;
end $$;

-- sys_alert_orgs lists the organizations that have a KPI snapshot, for the periodic evaluation.
create function sys_alert_orgs()
returns table (org_id bigint)
language sql stable security definer set search_path = public, pg_temp as $$
    select s.org_id from org_metric_state s where s.snapshot_version > 0 order by s.org_id
$$;

-- sys_alert_escalations_due lists organizations with an open wedding-day alert due to escalate.
create function sys_alert_escalations_due(p_now timestamptz)
returns table (org_id bigint)
language sql stable security definer set search_path = public, pg_temp as $$
    select distinct a.org_id from alerts a
    where a.status = 'open' and a.next_escalation_at is not null and a.next_escalation_at <= p_now
$$;

-- sys_alert_held_orgs lists organizations with rate-limited deliveries no digest has summarized.
create function sys_alert_held_orgs()
returns table (org_id bigint)
language sql stable security definer set search_path = public, pg_temp as $$
    select distinct d.org_id from deliveries d where d.status = 'rate_limited' and d.digest_id is null
$$;
