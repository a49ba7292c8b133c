package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// WebhookEvent is a verified provider event, stored once per (integration, provider event id).
type WebhookEvent struct {
	ID              int64
	IntegrationID   int64
	ProviderEventID string
	Type            string
	Payload         json.RawMessage
	ReceivedAt      time.Time
	ProcessedAt     *time.Time
}

// InsertWebhookEvent stores a verified event inside the caller's transaction; inserted is false
// for a replay of an event already stored (nothing is written then).
func (db *DB) InsertWebhookEvent(ctx context.Context, tx pgx.Tx, orgID, integrationID int64, eventID, eventType string, payload []byte) (id int64, inserted bool, err error) {
	if !json.Valid(payload) {
		payload, _ = json.Marshal(map[string]string{"raw": string(payload)})
	}
	err = tx.QueryRow(ctx, `insert into webhook_events (org_id, integration_id, provider_event_id, event_type, payload)
		values ($1, $2, $3, left($4, 200), $5) on conflict (integration_id, provider_event_id) do nothing returning id`,
		orgID, integrationID, eventID, eventType, payload).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, wrap("insert webhook event", err)
	}
	return id, true, nil
}

// webhookEventColumns are the columns readWebhookEvent scans.
const webhookEventColumns = `select id, integration_id, provider_event_id, event_type, payload, received_at, processed_at
	from webhook_events where id = $1`

func readWebhookEvent(ctx context.Context, tx pgx.Tx, query string, id int64) (WebhookEvent, error) {
	var e WebhookEvent
	err := tx.QueryRow(ctx, query, id).
		Scan(&e.ID, &e.IntegrationID, &e.ProviderEventID, &e.Type, &e.Payload, &e.ReceivedAt, &e.ProcessedAt)
	return e, err
}

// WebhookEvent reads one stored event of the organization; ErrNotFound if there is none.
func (db *DB) WebhookEvent(ctx context.Context, orgID, id int64) (WebhookEvent, error) {
	var e WebhookEvent
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		var err error
		e, err = readWebhookEvent(ctx, tx, webhookEventColumns, id)
		return err
	})
	return e, wrap("webhook event", err)
}

// LockWebhookEvent loads an event for processing inside the caller's transaction, locking it so
// two workers never apply it at once.
func (db *DB) LockWebhookEvent(ctx context.Context, tx pgx.Tx, id int64) (WebhookEvent, error) {
	e, err := readWebhookEvent(ctx, tx, webhookEventColumns+" for update", id)
	return e, wrap("lock webhook event", err)
}

// MarkWebhookEventProcessed records, in the transaction that applied it, that an event is done.
func (db *DB) MarkWebhookEventProcessed(ctx context.Context, tx pgx.Tx, id int64) error {
	_, err := tx.Exec(ctx, "update webhook_events set processed_at = now() where id = $1", id)
	return wrap("mark webhook event", err)
}

// RecentWebhookEvents lists an integration's newest events (without payloads).
func (db *DB) RecentWebhookEvents(ctx context.Context, orgID, integrationID int64, limit int) ([]WebhookEvent, error) {
	var out []WebhookEvent
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `select id, integration_id, provider_event_id, event_type, received_at, processed_at
			from webhook_events where integration_id = $1 order by received_at desc, id desc limit $2`, integrationID, limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (WebhookEvent, error) {
			var e WebhookEvent
			err := r.Scan(&e.ID, &e.IntegrationID, &e.ProviderEventID, &e.Type, &e.ReceivedAt, &e.ProcessedAt)
			return e, err
		})
		return err
	})
	return out, wrap("recent webhook events", err)
}

// AddRecordsSynced counts records a webhook event wrote, inside its transaction.
func (db *DB) AddRecordsSynced(ctx context.Context, tx pgx.Tx, integrationID int64, n int) error {
	if n == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, "update integrations set records_synced = records_synced + $2 where id = $1", integrationID, n)
	return wrap("add records synced", err)
}
