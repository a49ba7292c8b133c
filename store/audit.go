package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
)

// AuditEntry is one recorded change: who did what to which record, and when.
type AuditEntry struct {
	ID        int64
	UserEmail string
	Action    string
	Entity    string
	EntityID  int64
	Detail    string
	At        time.Time
}

// audit records a change inside the caller's transaction. userID 0 means the system.
func audit(ctx context.Context, tx pgx.Tx, orgID, userID int64, action, entity string, entityID int64, detail any) error {
	b, err := json.Marshal(detail)
	if err != nil || string(b) == "null" {
		b = []byte("{}")
	}
	var uid *int64
	if userID > 0 {
		uid = &userID
	}
	_, err = tx.Exec(ctx, `insert into audit_log (org_id, user_id, action, entity, entity_id, detail)
		values ($1, $2, $3, $4, $5, $6)`, orgID, uid, action, entity, entityID, b)
	return err
}

// AuditLog lists the newest changes first, limit rows from offset.
func (db *DB) AuditLog(ctx context.Context, orgID int64, limit, offset int) ([]AuditEntry, error) {
	var out []AuditEntry
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `select a.id, coalesce(u.email, 'system'), a.action, a.entity, coalesce(a.entity_id, 0), a.detail::text, a.at
			from audit_log a left join users u on u.id = a.user_id
			order by a.at desc, a.id desc limit $1 offset $2`, limit, offset)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (AuditEntry, error) {
			var e AuditEntry
			err := r.Scan(&e.ID, &e.UserEmail, &e.Action, &e.Entity, &e.EntityID, &e.Detail, &e.At)
			return e, err
		})
		return err
	})
	return out, wrap("audit log", err)
}
