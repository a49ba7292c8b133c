package store

import (
	"context"
	"encoding/json"
	"fmt"
)

// OrgEventChannel carries small ephemeral events for one organization's open pages (sync
// progress, for example) to every instance. Unlike snapshots they are not stored: a page that
// was not connected simply misses them.
const OrgEventChannel = "org_event"

// OrgEvent is one ephemeral event: Name is the SSE event name (an sse-swap target) and HTML its
// fragment. Events must never carry money figures, since share-link viewers receive them too.
type OrgEvent struct {
	OrgID int64  `json:"org"`
	Name  string `json:"event"`
	HTML  string `json:"html"`
}

// maxOrgEventBytes keeps payloads under PostgreSQL's 8000-byte NOTIFY limit.
const maxOrgEventBytes = 7500

// PublishOrgEvent sends an event to the organization's open streams on every instance.
func (db *DB) PublishOrgEvent(ctx context.Context, ev OrgEvent) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("publish org event: %w", err)
	}
	if len(b) > maxOrgEventBytes {
		return fmt.Errorf("publish org event: %d bytes is over the %d-byte limit", len(b), maxOrgEventBytes)
	}
	_, err = db.Pool.Exec(ctx, "select pg_notify($1, $2)", OrgEventChannel, string(b))
	return wrap("publish org event", err)
}
