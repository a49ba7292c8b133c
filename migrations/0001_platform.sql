-- Platform: organizations, people, sessions, invites, share links, audit log.
-- Every table with org_id gets ROW LEVEL SECURITY enabled and FORCED with the tenant policy.

create table organizations (
    id             bigserial primary key,
    name           text        not null check (length(name) between 1 and 200),
    timezone       text        not null,
    currency       char(3)     not null check (currency ~ '^[A-Z]{3}$'),
    -- PostgreSQL day-of-week numbers (0 = Sunday .. 6 = Saturday).
    wedding_days   smallint[]  not null default '{5,6,0}',
    daily_capacity integer     not null default 1 check (daily_capacity between 1 and 100),
    is_operator    boolean     not null default false,
    created_at     timestamptz not null default now()
);
alter table organizations enable row level security;
alter table organizations force row level security;
create policy tenant on organizations
    using (id = nullif(current_setting('app.org_id', true), '')::bigint)
    with check (id = nullif(current_setting('app.org_id', true), '')::bigint);

-- Users are global: one person can belong to several organizations.
create table users (
    id            bigserial primary key,
    email         text        not null check (length(email) between 3 and 320),
    name          text        not null default '' check (length(name) <= 200),
    password_hash text        not null,
    created_at    timestamptz not null default now()
);
create unique index users_email_key on users (lower(email));

create table memberships (
    org_id     bigint      not null references organizations (id) on delete cascade,
    user_id    bigint      not null references users (id) on delete cascade,
    role       text        not null check (role in ('owner', 'admin', 'member')),
    created_at timestamptz not null default now(),
    primary key (org_id, user_id)
);
create index memberships_user_idx on memberships (user_id);

create table invites (
    id          bigserial primary key,
    org_id      bigint      not null references organizations (id) on delete cascade,
    token_hash  bytea       not null unique,
    role        text        not null check (role in ('admin', 'member')),
    email       text        not null default '',
    created_by  bigint      references users (id) on delete set null,
    created_at  timestamptz not null default now(),
    expires_at  timestamptz not null,
    used_at     timestamptz,
    used_by     bigint      references users (id) on delete set null
);

create table share_links (
    id          bigserial primary key,
    org_id      bigint      not null references organizations (id) on delete cascade,
    token_hash  bytea       not null unique,
    label       text        not null check (length(label) between 1 and 200),
    hide_money  boolean     not null default false,
    created_by  bigint      references users (id) on delete set null,
    created_at  timestamptz not null default now(),
    expires_at  timestamptz,
    revoked_at  timestamptz
);

create table audit_log (
    id         bigserial primary key,
    org_id     bigint      not null references organizations (id) on delete cascade,
    user_id    bigint      references users (id) on delete set null,
    action     text        not null,
    entity     text        not null,
    entity_id  bigint,
    detail     jsonb       not null default '{}',
    at         timestamptz not null default now()
);
create index audit_log_org_at_idx on audit_log (org_id, at desc);

-- Failed logins, for throttling across instances.
create table login_attempts (
    email        text        not null,
    attempted_at timestamptz not null default now()
);
create index login_attempts_email_idx on login_attempts (lower(email), attempted_at);

-- scs sessions (github.com/alexedwards/scs/pgxstore).
create table sessions (
    token  text primary key,
    data   bytea       not null,
    expiry timestamptz not null
);
create index sessions_expiry_idx on sessions (expiry);

do $$
declare t text;
begin
    foreach t in array array['memberships', 'invites', 'share_links', 'audit_log'] loop
        execute format('alter table %I enable row level security', t);
        execute format('alter table %I force row level security', t);
        execute format($p$create policy tenant on %I
            using (org_id = nullif(current_setting('app.org_id', true), '')::bigint)
            with check (org_id = nullif(current_setting('app.org_id', true), '')::bigint)$p$, t);
    end loop;
end $$;

-- The named cross-organization entry points. They run as the migration owner (superuser or
-- BYPASSRLS), so each one is narrow: it answers one question or does one thing.

-- sys_signup creates an organization and its owner in one step.
create function sys_signup(p_org_name text, p_timezone text, p_currency text,
                           p_email text, p_name text, p_password_hash text,
                           out org_id bigint, out user_id bigint)
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    insert into organizations (name, timezone, currency) values (p_org_name, p_timezone, p_currency)
        returning id into org_id;
    insert into users (email, name, password_hash) values (p_email, p_name, p_password_hash)
        returning id into user_id;
    insert into memberships (org_id, user_id, role) values (sys_signup.org_id, sys_signup.user_id, 'owner');
    insert into audit_log (org_id, user_id, action, entity, entity_id)
        values (sys_signup.org_id, sys_signup.user_id, 'create', 'organization', sys_signup.org_id);
end $$;

-- sys_user_memberships lists the organizations a user belongs to (for login).
create function sys_user_memberships(p_user_id bigint)
returns table (org_id bigint, org_name text, role text)
language sql stable security definer set search_path = public, pg_temp as $$
    select m.org_id, o.name, m.role
    from memberships m join organizations o on o.id = m.org_id
    where m.user_id = p_user_id
    order by m.created_at, m.org_id
$$;

-- sys_invite_by_token resolves an invite link.
create function sys_invite_by_token(p_token_hash bytea)
returns table (id bigint, org_id bigint, org_name text, role text, expires_at timestamptz, used_at timestamptz)
language sql stable security definer set search_path = public, pg_temp as $$
    select i.id, i.org_id, o.name, i.role, i.expires_at, i.used_at
    from invites i join organizations o on o.id = i.org_id
    where i.token_hash = p_token_hash
$$;

-- sys_share_link_by_token resolves a share link.
create function sys_share_link_by_token(p_token_hash bytea)
returns table (id bigint, org_id bigint, label text, hide_money boolean, expires_at timestamptz, revoked_at timestamptz)
language sql stable security definer set search_path = public, pg_temp as $$
    select s.id, s.org_id, s.label, s.hide_money, s.expires_at, s.revoked_at
    from share_links s where s.token_hash = p_token_hash
$$;
