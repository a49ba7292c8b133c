package store

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"
)

// ReplaceIntegrationSecret seals value under key together with the integration's other secrets
// (a webhook signing secret WedSync generated), leaving those as they are. The audit log notes
// the replacement, never the value.
func (db *DB) ReplaceIntegrationSecret(ctx context.Context, orgID, userID int64, keys Sealer, publicID, key, value string) error {
	err := db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		var id int64
		var sealed *string
		if err := tx.QueryRow(ctx, "select id, credentials from integrations where public_id = $1 for update", publicID).
			Scan(&id, &sealed); err != nil {
			return err
		}
		old := map[string]string{}
		if sealed != nil {
			if pt, err := keys.Open(*sealed, CredentialsAAD(id)); err == nil {
				_ = json.Unmarshal(pt, &old)
			}
		}
		if err := storeSecrets(ctx, tx, keys, id, old, map[string]string{key: value}); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "update", "integration", id, map[string]any{"secrets_replaced": []string{key}})
	})
	return wrap("replace integration secret", err)
}
