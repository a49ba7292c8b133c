package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store/storetest"
)

// seedEveryTable inserts at least one row for org into every tenant table, as the superuser.
// A new tenant table must be added here: TestTenantIsolation fails for a table left empty.
func seedEveryTable(t *testing.T, env *storetest.Env, org, user int64) {
	t.Helper()
	ctx := context.Background()
	stmts := []string{
		`insert into invites (org_id, token_hash, role, expires_at) values ($1, 'x', 'member', now() + interval '1 day')`,
		`insert into share_links (org_id, token_hash, label) values ($1, 'y', 'Planner')`,
		`insert into integrations (org_id, public_id, provider) values ($1, 'int_seed_' || $1::bigint::text, 'stripe')`,
		`insert into clients (org_id, name) values ($1, 'Ada & Bo')`,
		`insert into inquiries (org_id, source, received_at, currency) values ($1, 'website', now(), 'GBP')`,
		`insert into bookings (org_id, wedding_date, booked_at, contract_amount, currency) values ($1, '2027-06-05', now(), 500000, 'GBP')`,
		`insert into invoices (org_id, booking_id, due_date, amount) select $1, id, '2027-05-05', 350000 from bookings where org_id = $1 limit 1`,
		`insert into payments (org_id, amount, currency, paid_at) values ($1, 150000, 'GBP', now())`,
		`insert into reviews (org_id, rating, received_at) values ($1, 5, now())`,
		`insert into calendar_events (org_id, title, starts_at, ends_at) values ($1, 'Wedding', now(), now() + interval '8 hours')`,
		`insert into sync_runs (org_id, integration_id) select $1, id from integrations where org_id = $1 limit 1`,
		`insert into webhook_events (org_id, integration_id, provider_event_id, payload) select $1, id, 'evt_1', '{}' from integrations where org_id = $1 limit 1`,
	}
	stmts = append(stmts, extraSeeds...)
	for _, s := range stmts {
		_, err := env.Admin.Exec(ctx, s, org)
		require.NoError(t, err, s)
	}
	_ = user
}

// extraSeeds is where later tables add their seed rows (one statement each, $1 = org id).
var extraSeeds = []string{
	`insert into org_metric_state (org_id, change_seq) values ($1, 1)`,
	`insert into kpi_snapshots (org_id, version, change_seq, computed_at, local_date, data) values ($1, 1, 1, now(), current_date, '{}')`,
	`insert into alert_rules (org_id, kind, severity, params) values ($1, 'low_review', 3, '{"max_rating": 2}')`,
	`insert into alerts (org_id, rule_id, kind, subject, dedupe_key, severity, title, first_seen_at, last_seen_at) select $1, id, kind, 'review:1', id || ':review:1', 3, 'A 1-star review', now(), now() from alert_rules where org_id = $1 limit 1`,
	`insert into alert_events (org_id, alert_id, at, action) select $1, id, now(), 'raised' from alerts where org_id = $1 limit 1`,
	`insert into channels (org_id, kind, name) values ($1, 'inapp', 'Bell')`,
	`insert into deliveries (org_id, alert_id, kind, purpose, severity, rate_class, idempotency_key, scheduled_at) select $1, id, 'inapp', 'alert', 3, 'standard', 'seed-' || $1::bigint::text, now() from alerts where org_id = $1 limit 1`,
	`insert into alert_org_state (org_id) values ($1)`,
	`insert into csv_imports (org_id, integration_id, filename) select $1, id, 'export.csv' from integrations where org_id = $1 limit 1`,
	`insert into csv_import_rows (org_id, integration_id, external_id, content_hash) select $1, id, 'P1', 'h' from integrations where org_id = $1 limit 1`,
	`insert into payment_days (org_id, currency, day, net, payments) values ($1, 'USD', current_date, 100, 1)`,
	`insert into payment_totals_journal (org_id, booking_ids, currencies, paid_ats, counts, nets) values ($1, '{null}', '{USD}', array[now()], '{1}', '{100}')`,
	`insert into booking_fold_exclusions (org_id, journal_id, booking_id) select $1, id, 1 from payment_totals_journal where org_id = $1 limit 1`,
}
