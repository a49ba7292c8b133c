package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
)

const ruleCols = `id, kind, name, severity, params, enabled`

func scanRule(row pgx.Row) (Rule, error) {
	var r Rule
	var params []byte
	if err := row.Scan(&r.ID, &r.Kind, &r.Name, &r.Severity, &params, &r.Enabled); err != nil {
		return r, err
	}
	err := json.Unmarshal(params, &r.Params)
	return r, err
}

func rulesTx(ctx context.Context, tx pgx.Tx, tail string, args ...any) ([]Rule, error) {
	rows, err := tx.Query(ctx, "select "+ruleCols+" from alert_rules "+tail, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Rule, error) { return scanRule(r) })
}

// EnsureAlertDefaults gives the organization its default rules and in-app channel, once: an
// organization that later deletes them does not get them back.
func (db *DB) EnsureAlertDefaults(ctx context.Context, orgID int64) error {
	var done bool
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, "select exists(select 1 from alert_org_state where defaults_installed_at is not null)").Scan(&done)
	})
	if err != nil || done {
		return wrap("alert defaults", err)
	}
	return wrap("alert defaults", db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		return ensureDefaultsTx(ctx, tx, orgID, db.now())
	}))
}

// lockAlertState creates and locks the organization's alert_org_state row, which serializes
// rule evaluations (and the installation of defaults) across instances.
func lockAlertState(ctx context.Context, tx pgx.Tx, orgID int64) error {
	if _, err := tx.Exec(ctx, "insert into alert_org_state (org_id) values ($1) on conflict do nothing", orgID); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, "select 1 from alert_org_state for update")
	return err
}

// rateLockClass is the first key of the advisory lock that serializes an organization's
// rate-limit decisions (claims and digests) across instances; the second key is the org id.
const rateLockClass = 73152201

// lockRate takes the organization's rate-limit lock until the transaction ends. It is separate
// from the evaluation lock, so deliveries never wait for a rule evaluation.
func lockRate(ctx context.Context, tx pgx.Tx, orgID int64) error {
	_, err := tx.Exec(ctx, "select pg_advisory_xact_lock($1, ($2::bigint % 2147483647)::int)", rateLockClass, orgID)
	return err
}

func ensureDefaultsTx(ctx context.Context, tx pgx.Tx, orgID int64, now time.Time) error {
	if err := lockAlertState(ctx, tx, orgID); err != nil {
		return err
	}
	var installed *time.Time
	if err := tx.QueryRow(ctx, "select defaults_installed_at from alert_org_state").Scan(&installed); err != nil {
		return err
	}
	if installed != nil {
		return nil
	}
	for _, r := range DefaultRules() {
		if _, err := tx.Exec(ctx, `insert into alert_rules (org_id, kind, severity, params, enabled) values ($1, $2, $3, $4, $5)`,
			orgID, r.Kind, r.Severity, r.Params, r.Enabled); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `insert into channels (org_id, kind, name, min_severity) values ($1, 'inapp', 'In-app bell', 1)`, orgID); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, "update alert_org_state set defaults_installed_at = $1", now)
	return err
}

// AlertRules lists the organization's rules in kind order.
func (db *DB) AlertRules(ctx context.Context, orgID int64) ([]Rule, error) {
	var out []Rule
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		var err error
		out, err = rulesTx(ctx, tx, `order by array_position(array['revenue_drop', 'capacity', 'overdue_payment',
			'unanswered_inquiry', 'low_review', 'sync_failure', 'wedding_day'], kind), id`)
		return err
	})
	return out, wrap("alert rules", err)
}

// AlertRule loads one rule.
func (db *DB) AlertRule(ctx context.Context, orgID, id int64) (Rule, error) {
	var r Rule
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		var err error
		r, err = scanRule(tx.QueryRow(ctx, "select "+ruleCols+" from alert_rules where id = $1", id))
		return err
	})
	return r, wrap("alert rule", err)
}

// CreateAlertRule validates and stores a rule. It is a regular write, so the recompute it
// enqueues evaluates the new rule at once.
func (db *DB) CreateAlertRule(ctx context.Context, orgID, userID int64, r Rule) (int64, error) {
	if err := validateRule(&r); err != nil {
		return 0, err
	}
	var id int64
	err := db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `insert into alert_rules (org_id, kind, name, severity, params, enabled)
			values ($1, $2, $3, $4, $5, $6) returning id`, orgID, r.Kind, r.Name, r.Severity, r.Params, r.Enabled).Scan(&id); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "create", "alert_rule", id, r)
	})
	return id, wrap("create alert rule", err)
}

// UpdateAlertRule validates and saves a rule (its kind cannot change). Alerts of a rule that is
// disabled resolve at the next evaluation.
func (db *DB) UpdateAlertRule(ctx context.Context, orgID, userID int64, r Rule) error {
	return wrap("update alert rule", db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "select kind from alert_rules where id = $1 for update", r.ID).Scan(&r.Kind); err != nil {
			return err
		}
		if err := validateRule(&r); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `update alert_rules set name = $2, severity = $3, params = $4, enabled = $5, updated_at = now()
			where id = $1`, r.ID, r.Name, r.Severity, r.Params, r.Enabled); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "update", "alert_rule", r.ID, r)
	}))
}

// DeleteAlertRule removes a rule; its alerts stay in the history, and open ones resolve.
func (db *DB) DeleteAlertRule(ctx context.Context, orgID, userID, id int64) error {
	return wrap("delete alert rule", db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		now := db.now()
		rows, err := tx.Query(ctx, `update alerts set status = 'resolved', resolved_at = $2, resolved_by = $3,
			next_escalation_at = null where rule_id = $1 and status <> 'resolved' returning id`, id, now, userID)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		if err := addEvents(ctx, tx, orgID, ids, now, "resolved", userID, "The rule was deleted."); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, "delete from alert_rules where id = $1", id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		return audit(ctx, tx, orgID, userID, "delete", "alert_rule", id, nil)
	}))
}

// addEvents records one history event for each alert.
func addEvents(ctx context.Context, tx pgx.Tx, orgID int64, alertIDs []int64, at time.Time, action string, userID int64, note string) error {
	if len(alertIDs) == 0 {
		return nil
	}
	var uid *int64
	if userID > 0 {
		uid = &userID
	}
	_, err := tx.Exec(ctx, `insert into alert_events (org_id, alert_id, at, action, user_id, note)
		select $1, a, $3, $4, $5, $6 from unnest($2::bigint[]) a`, orgID, alertIDs, at, action, uid, note)
	return err
}

// RuleOfKind returns the organization's first enabled rule of a kind, or ErrNotFound.
func (db *DB) RuleOfKind(ctx context.Context, orgID int64, kind RuleKind) (Rule, error) {
	if err := db.EnsureAlertDefaults(ctx, orgID); err != nil {
		return Rule{}, err
	}
	var r Rule
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		var err error
		r, err = scanRule(tx.QueryRow(ctx, "select "+ruleCols+" from alert_rules where kind = $1 and enabled order by id limit 1", kind))
		return err
	})
	return r, wrap("rule of kind", err)
}

// AlertOrgs lists the organizations that have a KPI snapshot, for the periodic evaluation
// (cross-organization).
func (db *DB) AlertOrgs(ctx context.Context) ([]int64, error) {
	rows, err := db.Pool.Query(ctx, "select org_id from sys_alert_orgs()")
	if err != nil {
		return nil, wrap("alert orgs", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return ids, wrap("alert orgs", err)
}
