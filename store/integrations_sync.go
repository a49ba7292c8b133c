package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// SyncTarget is what a sync job needs of its integration: the integration, its sealed
// credentials and its cursor.
type SyncTarget struct {
	Integration
	// Sealed is the sealed credentials (nil when none are stored); open with OpenSecrets.
	Sealed *string
	// Cursor is where the next page starts (nil: from the beginning).
	Cursor json.RawMessage
}

// SyncTarget loads an integration for a sync job.
func (db *DB) SyncTarget(ctx context.Context, orgID, id int64) (SyncTarget, error) {
	var t SyncTarget
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, "select "+integrationCols+", credentials, cursor from integrations where id = $1", id)
		if err != nil {
			return err
		}
		t, err = pgx.CollectExactlyOneRow(rows, func(r pgx.CollectableRow) (SyncTarget, error) {
			var s SyncTarget
			var cursor []byte
			i := &s.Integration
			err := r.Scan(&i.ID, &i.PublicID, &i.Provider, &i.Name, &i.Config, &i.CredentialHints, &i.Status, &i.PausedReason,
				&i.IntervalMinutes, &i.LastSuccessAt, &i.LastAttemptAt, &i.FailingSince, &i.LastError, &i.LastErrorClass,
				&i.ConsecutiveFailures, &i.NextRunAt, &i.RecordsSynced, &i.LastTestAt, &i.LastTestOK, &i.LastTestClass,
				&i.LastTestMessage, &i.CreatedAt, &i.UpdatedAt, &s.Sealed, &cursor)
			if string(cursor) != "{}" && len(cursor) > 0 {
				s.Cursor = cursor
			}
			return s, err
		})
		return err
	})
	return t, wrap("sync target", err)
}

// DueIntegration identifies an integration whose scheduled sync is due.
type DueIntegration struct {
	ID, OrgID int64
	// NextRunAt is when it became due (zero from WebhookIntegration).
	NextRunAt time.Time
}

// DueIntegrations lists, across organizations, up to limit integrations due at now (not paused
// and not waiting for new credentials), oldest first, through sys_due_integrations. after is
// the last row of the previous page (the zero value starts at the beginning), so one sweep can
// page through every due integration.
func (db *DB) DueIntegrations(ctx context.Context, now time.Time, after DueIntegration, limit int) ([]DueIntegration, error) {
	afterRun := pgtype.Timestamptz{InfinityModifier: pgtype.NegativeInfinity, Valid: true}
	if !after.NextRunAt.IsZero() {
		afterRun = pgtype.Timestamptz{Time: after.NextRunAt, Valid: true}
	}
	rows, err := db.Pool.Query(ctx, "select id, org_id, next_run_at from sys_due_integrations($1, $2, $3, $4)",
		now, afterRun, after.ID, limit)
	if err != nil {
		return nil, wrap("due integrations", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[DueIntegration])
	return out, wrap("due integrations", err)
}

// WebhookIntegration resolves the integration a webhook is addressed to, across organizations,
// through sys_webhook_integration; ErrNotFound when there is none for that provider.
func (db *DB) WebhookIntegration(ctx context.Context, provider, publicID string) (DueIntegration, error) {
	var d DueIntegration
	err := db.Pool.QueryRow(ctx, "select id, org_id from sys_webhook_integration($1, $2)", provider, publicID).Scan(&d.ID, &d.OrgID)
	return d, wrap("webhook integration", err)
}

// SyncSucceeded closes a run and marks the integration healthy, next due at nextRun. The
// dashboard shows each source's health and freshness, so it runs the write hook (a recompute)
// when the health changes, on the first success, or when the organization is watched (a
// dashboard open within WatchWindow). A routine sync of an idle organization writes quietly:
// 10,000 idle organizations cost their syncs and nothing more, and once someone opens such a
// dashboard the refresh sweep recomputes its snapshot, which is then older than the sweep's
// maximum age. (Records a sync stores recompute through their own page's write.)
func (db *DB) SyncSucceeded(ctx context.Context, orgID, integrationID, runID int64, nextRun time.Time) error {
	err := db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `update sync_runs set status = 'succeeded', finished_at = now() where id = $1`, runID); err != nil {
			return err
		}
		var shown bool
		if err := tx.QueryRow(ctx, `select status not in ('healthy', 'paused') or consecutive_failures > 0 or last_success_at is null
				or exists (select 1 from org_metric_state where org_id = $2 and last_viewed_at > now() - $3::interval)
			from integrations where id = $1 for update`, integrationID, orgID, WatchWindow).Scan(&shown); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `update integrations set status = case when status = 'paused' then status else 'healthy' end,
				last_success_at = now(), consecutive_failures = 0, failing_since = null, last_error = '',
				last_error_class = '', next_run_at = $2, updated_at = now()
			where id = $1`, integrationID, nextRun); err != nil {
			return err
		}
		if shown && db.onWrite != nil {
			if err := db.onWrite(ctx, tx, orgID); err != nil {
				return fmt.Errorf("store: write hook: %w", err)
			}
		}
		return nil
	})
	return wrap("sync succeeded", err)
}

// SyncFailure describes a failed attempt.
type SyncFailure struct {
	Class   string
	Message string
	// Counts adds the failure to the integration's streak (rate limits do not).
	Counts bool
	// NextRunAt is when the integration is next due (the retry time, or the next interval).
	NextRunAt time.Time
	// Decide picks the status from the streak (failures in a row including this one, and when the
	// streak began): the job's policy for degraded, failing, needs_reauth or paused.
	Decide func(streak int, since time.Time) (status, pausedReason string)
}

// SyncFailed closes a run as failed (runID 0: no run) and updates the integration's streak and
// status in one transaction, returning the status decided.
func (db *DB) SyncFailed(ctx context.Context, orgID, integrationID, runID int64, f SyncFailure) (status string, err error) {
	err = db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		if runID > 0 {
			if _, err := tx.Exec(ctx, `update sync_runs set status = 'failed', finished_at = now(), error_class = $2,
				error_message = left($3, 2000) where id = $1`, runID, f.Class, f.Message); err != nil {
				return err
			}
		}
		var streak int
		var since time.Time
		var current string
		if err := tx.QueryRow(ctx, `update integrations set
				consecutive_failures = consecutive_failures + case when $2 then 1 else 0 end,
				failing_since = case when $2 then coalesce(failing_since, now()) else failing_since end,
				last_error = left($3, 2000), last_error_class = $4, next_run_at = $5, updated_at = now()
			where id = $1 returning consecutive_failures, coalesce(failing_since, now()), status`,
			integrationID, f.Counts, f.Message, f.Class, f.NextRunAt).Scan(&streak, &since, &current); err != nil {
			return err
		}
		status = current
		if current == IntegrationPaused || f.Decide == nil {
			return nil
		}
		var reason string
		status, reason = f.Decide(streak, since)
		_, err := tx.Exec(ctx, "update integrations set status = $2, paused_reason = $3 where id = $1", integrationID, status, reason)
		return err
	})
	return status, wrap("sync failed", err)
}

// TestResult is the outcome of "Test connection".
type TestResult struct {
	OK      bool
	Class   string
	Message string
}

// RecordTestResult stores the outcome of a connection test. A test that passes brings an
// integration waiting for new credentials back to healthy (the key was fixed at the provider).
func (db *DB) RecordTestResult(ctx context.Context, orgID, integrationID int64, r TestResult) error {
	err := db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `update integrations set last_test_at = now(), last_test_ok = $2, last_test_class = $3,
				last_test_message = left($4, 2000),
				status = case when $2 and status = 'needs_reauth' then 'healthy' else status end,
				next_run_at = case when $2 and status = 'needs_reauth' then now() else next_run_at end
			where id = $1`, integrationID, r.OK, r.Class, r.Message)
		return err
	})
	return wrap("record test result", err)
}

// BookingByRef finds the booking a provider's metadata names: a WedSync booking id ("42" or
// "#42") or the external id of a booking another integration delivered. Nil when none matches.
func (db *DB) BookingByRef(ctx context.Context, tx pgx.Tx, ref string) (*int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `select id from bookings
		where id = case when ltrim($1::text, '#') ~ '^[0-9]{1,18}$' then ltrim($1::text, '#')::bigint end
			or external_id = $1::text
		order by (external_id = $1::text) nulls first, id limit 1`, ref).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap("booking by ref", err)
	}
	return &id, nil
}

// BookingByClientEmail finds the booking of the client with that email (the confirmed one with
// the latest wedding date first). Nil when none matches.
func (db *DB) BookingByClientEmail(ctx context.Context, tx pgx.Tx, email string) (*int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `select b.id from bookings b join clients c on c.id = b.client_id
		where lower(c.email) = lower($1) and b.status <> 'cancelled'
		order by (b.status = 'confirmed') desc, b.wedding_date desc, b.id desc limit 1`, email).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, wrap("booking by client email", err)
	}
	return &id, nil
}
