package google

import (
	"context"
	"crypto/subtle"
	"fmt"

	"github.com/wedsync/wedsync/jobs/connector"
)

// Verify checks a push notification: X-Goog-Channel-Token must equal the channel token stored
// with the credentials (compared in constant time). The "sync" message Google sends when a
// channel opens is a handshake; any other state ("exists", "not_exists") says the calendar
// changed, without saying how, and becomes an event whose processing runs an incremental sync.
// The event id is the channel id and message number, so a redelivery is stored once.
func Verify(_ context.Context, p connector.Params, req connector.WebhookRequest) (connector.WebhookEvent, error) {
	want := p.Credentials[SecretChannelToken]
	got := req.Header.Get("X-Goog-Channel-Token")
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return connector.WebhookEvent{}, fmt.Errorf("google: channel token: %w", connector.ErrBadSignature)
	}
	id, state := req.Header.Get("X-Goog-Channel-ID"), req.Header.Get("X-Goog-Resource-State")
	if id == "" || state == "" {
		return connector.WebhookEvent{}, fmt.Errorf("google: channel id or resource state missing: %w", connector.ErrBadSignature)
	}
	if state == "sync" {
		return connector.WebhookEvent{Handshake: true}, nil
	}
	return connector.WebhookEvent{ID: id + ":" + req.Header.Get("X-Goog-Message-Number"), Type: "calendar." + state}, nil
}

// MapEvent answers a notification with an incremental sync: Google's message carries no data.
func (c *Client) MapEvent(context.Context, connector.StoredEvent) (connector.EventResult, error) {
	return connector.EventResult{Sync: true}, nil
}
