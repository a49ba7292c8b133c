package store

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
)

// PauseIntegration stops scheduled syncs and webhook intake until ResumeIntegration.
func (db *DB) PauseIntegration(ctx context.Context, orgID, userID int64, publicID string) error {
	return db.setPaused(ctx, orgID, userID, publicID, true)
}

// ResumeIntegration clears a pause (by hand or after failures) and makes the integration due now.
func (db *DB) ResumeIntegration(ctx context.Context, orgID, userID int64, publicID string) error {
	return db.setPaused(ctx, orgID, userID, publicID, false)
}

func (db *DB) setPaused(ctx context.Context, orgID, userID int64, publicID string, pause bool) error {
	err := db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		var id int64
		var err error
		if pause {
			err = tx.QueryRow(ctx, `update integrations set status = 'paused', paused_reason = 'user', updated_at = now()
				where public_id = $1 returning id`, publicID).Scan(&id)
		} else {
			err = tx.QueryRow(ctx, `update integrations set status = 'healthy', paused_reason = '', consecutive_failures = 0,
					failing_since = null, next_run_at = now(), updated_at = now()
				where public_id = $1 and status = 'paused' returning id`, publicID).Scan(&id)
			if errors.Is(err, pgx.ErrNoRows) {
				// Not paused (or unknown): resuming is a no-op, unknown is still not found.
				return tx.QueryRow(ctx, "select id from integrations where public_id = $1", publicID).Scan(&id)
			}
		}
		if err != nil {
			return err
		}
		action := map[bool]string{true: "pause", false: "resume"}[pause]
		return audit(ctx, tx, orgID, userID, action, "integration", id, nil)
	})
	return wrap("pause integration", err)
}

// SetIntegrationConfig sets one plain config value outside the form (the demo and tests point
// "api_base" at a local fake this way; the forms only accept the provider's declared fields).
func (db *DB) SetIntegrationConfig(ctx context.Context, orgID, id int64, key, value string) error {
	err := db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `update integrations set config = config || jsonb_build_object($2::text, $3::text),
			updated_at = now() where id = $1`, id, key, value)
		if err == nil && tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		return err
	})
	return wrap("set integration config", err)
}
