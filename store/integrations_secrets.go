package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// SaveIntegrationSecrets merges updates into an integration's sealed credentials (a refreshed
// OAuth token, a new push-channel token) and reseals them. It changes nothing else, audits
// nothing (no person acted) and does not recompute the dashboard.
func (db *DB) SaveIntegrationSecrets(ctx context.Context, orgID, id int64, keys Sealer, updates map[string]string) error {
	err := db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		var sealed *string
		if err := tx.QueryRow(ctx, "select credentials from integrations where id = $1 for update", id).Scan(&sealed); err != nil {
			return err
		}
		old, err := OpenSecrets(keys, id, sealed)
		if err != nil {
			return fmt.Errorf("open stored credentials: %w", err)
		}
		return storeSecrets(ctx, tx, keys, id, old, updates)
	})
	return wrap("save integration secrets", err)
}
