-- Business records. Money is BIGINT minor units with an ISO 4217 code; times are timestamptz;
-- local dates (wedding_date, due_date) are plain dates in the organization's timezone.
-- Rows that can come from an integration are unique on (integration_id, external_id).

create table integrations (
    id            bigserial primary key,
    org_id        bigint      not null references organizations (id) on delete cascade,
    public_id     text        not null unique,
    provider      text        not null,
    name          text        not null default '',
    credentials   bytea,
    config        jsonb       not null default '{}',
    status        text        not null default 'healthy'
                  check (status in ('healthy', 'degraded', 'failing', 'needs_reauth', 'paused')),
    interval_minutes integer  not null default 15 check (interval_minutes between 5 and 1440),
    cursor        jsonb       not null default '{}',
    last_success_at timestamptz,
    last_error    text        not null default '',
    last_error_class text     not null default '',
    consecutive_failures integer not null default 0,
    next_run_at   timestamptz not null default now(),
    records_synced bigint     not null default 0,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now()
);
create index integrations_org_idx on integrations (org_id);

create table clients (
    id             bigserial primary key,
    org_id         bigint      not null references organizations (id) on delete cascade,
    name           text        not null check (length(name) between 1 and 200),
    email          text        not null default '' check (length(email) <= 320),
    phone          text        not null default '' check (length(phone) <= 50),
    notes          text        not null default '' check (length(notes) <= 5000),
    integration_id bigint      references integrations (id) on delete set null,
    external_id    text,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now(),
    unique (integration_id, external_id)
);
create index clients_org_idx on clients (org_id, name);

create table inquiries (
    id                bigserial primary key,
    org_id            bigint      not null references organizations (id) on delete cascade,
    client_id         bigint      references clients (id) on delete set null,
    source            text        not null default 'website' check (length(source) between 1 and 50),
    received_at       timestamptz not null,
    first_response_at timestamptz,
    wedding_date      date,
    status            text        not null default 'new'
                      check (status in ('new', 'contacted', 'proposal', 'booked', 'lost')),
    estimated_value   bigint      check (estimated_value >= 0),
    currency          char(3)     not null check (currency ~ '^[A-Z]{3}$'),
    notes             text        not null default '' check (length(notes) <= 5000),
    integration_id    bigint      references integrations (id) on delete set null,
    external_id       text,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    unique (integration_id, external_id)
);
create index inquiries_org_received_idx on inquiries (org_id, received_at);

create table bookings (
    id              bigserial primary key,
    org_id          bigint      not null references organizations (id) on delete cascade,
    inquiry_id      bigint      references inquiries (id) on delete set null,
    client_id       bigint      references clients (id) on delete set null,
    title           text        not null default '' check (length(title) <= 200),
    wedding_date    date        not null,
    booked_at       timestamptz not null,
    status          text        not null default 'confirmed'
                    check (status in ('confirmed', 'completed', 'cancelled')),
    contract_amount bigint      not null check (contract_amount >= 0),
    currency        char(3)     not null check (currency ~ '^[A-Z]{3}$'),
    integration_id  bigint      references integrations (id) on delete set null,
    external_id     text,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    unique (integration_id, external_id)
);
create index bookings_org_wedding_idx on bookings (org_id, wedding_date);
create index bookings_org_booked_idx on bookings (org_id, booked_at);

create table invoices (
    id             bigserial primary key,
    org_id         bigint      not null references organizations (id) on delete cascade,
    booking_id     bigint      not null references bookings (id) on delete cascade,
    number         text        not null default '' check (length(number) <= 50),
    due_date       date        not null,
    amount         bigint      not null check (amount >= 0),
    amount_paid    bigint      not null default 0 check (amount_paid >= 0),
    status         text        not null default 'open' check (status in ('open', 'paid', 'void')),
    integration_id bigint      references integrations (id) on delete set null,
    external_id    text,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now(),
    unique (integration_id, external_id)
);
create index invoices_org_due_idx on invoices (org_id, due_date);
create index invoices_booking_idx on invoices (booking_id);

create table payments (
    id              bigserial primary key,
    org_id          bigint      not null references organizations (id) on delete cascade,
    provider        text        not null default 'manual' check (length(provider) between 1 and 30),
    integration_id  bigint      references integrations (id) on delete set null,
    external_id     text,
    booking_id      bigint      references bookings (id) on delete set null,
    invoice_id      bigint      references invoices (id) on delete set null,
    amount          bigint      not null check (amount >= 0),
    refunded_amount bigint      not null default 0 check (refunded_amount >= 0),
    fee             bigint      not null default 0 check (fee >= 0),
    currency        char(3)     not null check (currency ~ '^[A-Z]{3}$'),
    status          text        not null default 'succeeded'
                    check (status in ('succeeded', 'pending', 'failed', 'refunded', 'partially_refunded')),
    paid_at         timestamptz not null,
    note            text        not null default '' check (length(note) <= 1000),
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    unique (integration_id, external_id),
    check (refunded_amount <= amount)
);
create index payments_org_paid_idx on payments (org_id, paid_at);
create index payments_booking_idx on payments (booking_id);
create index payments_invoice_idx on payments (invoice_id);

create table reviews (
    id             bigserial primary key,
    org_id         bigint      not null references organizations (id) on delete cascade,
    booking_id     bigint      references bookings (id) on delete set null,
    client_id      bigint      references clients (id) on delete set null,
    rating         smallint    not null check (rating between 1 and 5),
    body           text        not null default '' check (length(body) <= 5000),
    source         text        not null default 'manual' check (length(source) between 1 and 50),
    received_at    timestamptz not null,
    integration_id bigint      references integrations (id) on delete set null,
    external_id    text,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now(),
    unique (integration_id, external_id)
);
create index reviews_org_received_idx on reviews (org_id, received_at);

create table calendar_events (
    id             bigserial primary key,
    org_id         bigint      not null references organizations (id) on delete cascade,
    integration_id bigint      references integrations (id) on delete cascade,
    external_id    text,
    calendar_id    text        not null default '',
    title          text        not null default '',
    starts_at      timestamptz not null,
    ends_at        timestamptz not null,
    all_day        boolean     not null default false,
    status         text        not null default 'confirmed'
                   check (status in ('confirmed', 'tentative', 'cancelled')),
    kind           text        not null default 'other' check (kind in ('wedding', 'consultation', 'other')),
    booking_id     bigint      references bookings (id) on delete set null,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now(),
    unique (integration_id, external_id)
);
create index calendar_events_org_starts_idx on calendar_events (org_id, starts_at);

create table sync_runs (
    id             bigserial primary key,
    org_id         bigint      not null references organizations (id) on delete cascade,
    integration_id bigint      not null references integrations (id) on delete cascade,
    started_at     timestamptz not null default now(),
    finished_at    timestamptz,
    status         text        not null default 'running' check (status in ('running', 'succeeded', 'failed')),
    created_count  integer     not null default 0,
    updated_count  integer     not null default 0,
    deleted_count  integer     not null default 0,
    error_class    text        not null default '',
    error_message  text        not null default ''
);
create index sync_runs_integration_idx on sync_runs (integration_id, started_at desc);

create table webhook_events (
    id                bigserial primary key,
    org_id            bigint      not null references organizations (id) on delete cascade,
    integration_id    bigint      not null references integrations (id) on delete cascade,
    provider_event_id text        not null,
    event_type        text        not null default '',
    payload           jsonb       not null,
    received_at       timestamptz not null default now(),
    processed_at      timestamptz,
    unique (integration_id, provider_event_id)
);

do $$
declare t text;
begin
    foreach t in array array['integrations', 'clients', 'inquiries', 'bookings', 'invoices', 'payments',
                             'reviews', 'calendar_events', 'sync_runs', 'webhook_events'] loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format($p$create policy tenant on %I
            using (org_id = nullif(current_setting('app.org_id', true), '')::bigint)
            with check (org_id = nullif(current_setting('app.org_id', true), '')::bigint)$p$, t);
    end loop;
end $$;
