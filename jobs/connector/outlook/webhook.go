package outlook

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/wedsync/wedsync/jobs/connector"
)

// maxValidationToken bounds the validationToken echoed back (Graph's are a few hundred bytes).
const maxValidationToken = 4096

// notification is one Graph change (or lifecycle) notification.
type notification struct {
	SubscriptionID string `json:"subscriptionId"`
	ClientState    string `json:"clientState"`
	ChangeType     string `json:"changeType"`
	LifecycleEvent string `json:"lifecycleEvent"`
	Resource       string `json:"resource"`
}

// Verify handles Microsoft Graph's webhook requests. A request with ?validationToken= is the
// subscription handshake: it is answered with the token as text/plain and nothing is stored. A
// notification body {"value": [...]} is genuine when every notification carries the clientState
// sealed in the integration's credentials (compared in constant time). Graph gives
// notifications no id, so the event id is a hash of the body: a redelivery is stored once.
func Verify(_ context.Context, p connector.Params, req connector.WebhookRequest) (connector.WebhookEvent, error) {
	if req.Query.Has("validationToken") {
		tok := req.Query.Get("validationToken")
		if tok == "" || len(tok) > maxValidationToken {
			return connector.WebhookEvent{}, fmt.Errorf("outlook: unusable validationToken: %w", connector.ErrBadSignature)
		}
		return connector.WebhookEvent{Reply: tok, Handshake: true}, nil
	}
	secret := strings.TrimSpace(p.Credentials[ClientStateKey])
	if secret == "" {
		return connector.WebhookEvent{}, fmt.Errorf("outlook: no clientState stored: %w", connector.ErrBadSignature)
	}
	var body struct {
		Value []notification `json:"value"`
	}
	if err := json.Unmarshal(req.Body, &body); err != nil || len(body.Value) == 0 {
		return connector.WebhookEvent{}, fmt.Errorf("outlook: not a change notification: %w", connector.ErrBadSignature)
	}
	want := sha256.Sum256([]byte(secret))
	for _, n := range body.Value {
		got := sha256.Sum256([]byte(n.ClientState))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			return connector.WebhookEvent{}, fmt.Errorf("outlook: clientState does not match: %w", connector.ErrBadSignature)
		}
	}
	sum := sha256.Sum256(req.Body)
	typ := body.Value[0].ChangeType
	if typ == "" {
		typ = body.Value[0].LifecycleEvent
	}
	return connector.WebhookEvent{ID: "graph-" + hex.EncodeToString(sum[:16]), Type: typ}, nil
}

// MapEvent answers a notification with an incremental sync: Graph's basic notifications only
// name the changed event, and the delta query reads it (and anything missed) in order.
func (c *Client) MapEvent(context.Context, connector.StoredEvent) (connector.EventResult, error) {
	return connector.EventResult{Sync: true}, nil
}

// compile-time checks
var (
	_ connector.Connector   = (*Client)(nil)
	_ connector.EventMapper = (*Client)(nil)
)
