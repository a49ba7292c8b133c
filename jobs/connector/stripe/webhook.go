package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	stripeapi "github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/webhook"
	"github.com/wedsync/wedsync/jobs/connector"
)

// Tolerance is how old a signed timestamp may be (Stripe's default, 300 s).
const Tolerance = webhook.DefaultTolerance

// Verify checks the Stripe-Signature header (t=..,v1=..: HMAC-SHA256 of "t.body" with the
// endpoint's whsec_ secret; any v1 may match) with stripe-go's webhook package and refuses
// timestamps older than Tolerance.
//
// The event's api_version is deliberately not compared with the SDK's: a supplier's account keeps
// the API version it was created with, and we read only long-stable charge fields, re-reading the
// charge itself through the API before using it (IgnoreAPIVersionMismatch).
func Verify(_ context.Context, p connector.Params, req connector.WebhookRequest) (connector.WebhookEvent, error) {
	secret := strings.TrimSpace(p.Credentials["webhook_secret"])
	if secret == "" {
		return connector.WebhookEvent{}, fmt.Errorf("stripe: no webhook signing secret stored: %w", connector.ErrBadSignature)
	}
	ev, err := webhook.ConstructEventWithOptions(req.Body, req.Header.Get("Stripe-Signature"), secret,
		webhook.ConstructEventOptions{Tolerance: Tolerance, IgnoreAPIVersionMismatch: true})
	switch {
	case errors.Is(err, webhook.ErrTooOld):
		return connector.WebhookEvent{}, fmt.Errorf("stripe: %w", connector.ErrStaleWebhook)
	case err != nil:
		return connector.WebhookEvent{}, fmt.Errorf("stripe: %v: %w", err, connector.ErrBadSignature)
	case ev.ID == "":
		return connector.WebhookEvent{}, fmt.Errorf("stripe: event without id: %w", connector.ErrBadSignature)
	}
	return connector.WebhookEvent{ID: ev.ID, Type: string(ev.Type)}, nil
}

// MapEvent applies a charge event. Deliveries are at least once and unordered, so the charge is
// read again through the API (its current state wins); a charge that no longer exists falls back
// to the event's copy. Events about other objects are acknowledged and ignored.
func (c *Client) MapEvent(ctx context.Context, ev connector.StoredEvent) (connector.EventResult, error) {
	if !strings.HasPrefix(ev.Type, "charge.") || strings.HasPrefix(ev.Type, "charge.dispute.") {
		return connector.EventResult{}, nil
	}
	var env struct {
		Data struct {
			Object json.RawMessage `json:"object"`
		} `json:"data"`
	}
	if err := json.Unmarshal(ev.Payload, &env); err != nil {
		return connector.EventResult{}, &connector.Error{Class: connector.ClassBadData, Err: fmt.Errorf("stripe: event %s: %w", ev.ID, err)}
	}
	var copyInEvent stripeapi.Charge
	if err := json.Unmarshal(env.Data.Object, &copyInEvent); err != nil || copyInEvent.ID == "" {
		return connector.EventResult{}, &connector.Error{Class: connector.ClassBadData, Err: fmt.Errorf("stripe: event %s: no charge in data.object", ev.ID)}
	}
	ch, err := c.get(ctx, copyInEvent.ID)
	var ce *connector.Error
	switch {
	case errors.As(err, &ce) && ce.Status == http.StatusNotFound:
		ch = &copyInEvent
	case err != nil:
		return connector.EventResult{}, err
	}
	return connector.EventResult{Records: []connector.Record{MapCharge(ch)}}, nil
}

func (c *Client) get(ctx context.Context, id string) (*stripeapi.Charge, error) {
	params := &stripeapi.ChargeRetrieveParams{}
	params.Context = ctx
	params.AddExpand("balance_transaction")
	ch := &stripeapi.Charge{}
	if err := c.backend.Call(http.MethodGet, "/v1/charges/"+url.PathEscape(id), c.key, params, ch); err != nil {
		err = classify(ctx, err, c.now())
		var ce *connector.Error
		if errors.As(err, &ce) && ce.Status == http.StatusNotFound {
			return nil, ce
		}
		return nil, err
	}
	return ch, nil
}

// compile-time checks
var (
	_ connector.Connector   = (*Client)(nil)
	_ connector.EventMapper = (*Client)(nil)
)
