-- CSV imports of CRM exports (HoneyBook, Dubsado: no API). An upload keeps its bytes here until
-- the import job finishes (then data is cleared); the mapping says which column holds which of
-- our fields; counters and the first row errors (line and reason) are written as the job goes,
-- so the page shows progress and a summary.
create table csv_imports (
    id              bigserial   primary key,
    org_id          bigint      not null references organizations (id) on delete cascade,
    integration_id  bigint      not null references integrations (id) on delete cascade,
    created_by      bigint      references users (id) on delete set null,
    filename        text        not null default '' check (length(filename) <= 255),
    data            bytea,
    size_bytes      integer     not null default 0,
    header          jsonb       not null default '[]',
    mapping         jsonb       not null default '{}',
    status          text        not null default 'uploaded'
                    check (status in ('uploaded', 'queued', 'running', 'succeeded', 'failed')),
    total_rows      integer     not null default 0,
    processed_rows  integer     not null default 0,
    created_count   integer     not null default 0,
    updated_count   integer     not null default 0,
    unchanged_count integer     not null default 0,
    error_count     integer     not null default 0,
    errors          jsonb       not null default '[]',
    failure         text        not null default '',
    created_at      timestamptz not null default now(),
    started_at      timestamptz,
    finished_at     timestamptz
);
create index csv_imports_integration_idx on csv_imports (integration_id, created_at desc);

-- The content hash of every project an integration imported: a row whose hash is unchanged is
-- not written again, so re-uploading a file changes nothing (and says so).
create table csv_import_rows (
    org_id         bigint      not null references organizations (id) on delete cascade,
    integration_id bigint      not null references integrations (id) on delete cascade,
    external_id    text        not null check (length(external_id) <= 200),
    content_hash   text        not null,
    import_id      bigint      references csv_imports (id) on delete set null,
    updated_at     timestamptz not null default now(),
    primary key (integration_id, external_id)
);

do $$
declare t text;
begin
    foreach t in array array['csv_imports', 'csv_import_rows'] loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format($p$create policy tenant on %I
            using (org_id = nullif(current_setting('app.org_id', true), '')::bigint)
            with check (org_id = nullif(current_setting('app.org_id', true), '')::bigint)$p$, t);
    end loop;
end $$;
