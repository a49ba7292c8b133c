package calendly

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wedsync/wedsync/jobs/connector"
)

// Tolerance is how far a signed timestamp may be from the time of receipt.
const Tolerance = 3 * time.Minute

// SignatureHeader carries Calendly's webhook signature: t=<unix>,v1=<hex HMAC-SHA256>.
const SignatureHeader = "Calendly-Webhook-Signature"

// delivery is a Calendly webhook body.
type delivery struct {
	Event     string `json:"event"` // invitee.created, invitee.canceled, ...
	CreatedAt string `json:"created_at"`
	Payload   struct {
		URI            string          `json:"uri"` // the invitee
		Event          string          `json:"event"`
		ScheduledEvent *scheduledEvent `json:"scheduled_event"`
	} `json:"payload"`
}

// Verify checks the Calendly-Webhook-Signature header: an HMAC-SHA256 of "t.body" keyed with the
// integration's signing key, and t within Tolerance of the receipt. The event id is the event
// type plus the invitee (an invitee is created once and canceled once).
func Verify(_ context.Context, p connector.Params, req connector.WebhookRequest) (connector.WebhookEvent, error) {
	key := strings.TrimSpace(p.Credentials[SigningKeyKey])
	if key == "" {
		return connector.WebhookEvent{}, fmt.Errorf("calendly: no webhook signing key stored: %w", connector.ErrBadSignature)
	}
	ts, sigs := parseSignature(req.Header.Get(SignatureHeader))
	if ts == "" || len(sigs) == 0 {
		return connector.WebhookEvent{}, fmt.Errorf("calendly: %s missing or malformed: %w", SignatureHeader, connector.ErrBadSignature)
	}
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(ts + "."))
	mac.Write(req.Body)
	want := mac.Sum(nil)
	ok := false
	for _, s := range sigs {
		got, err := hex.DecodeString(s)
		ok = ok || (err == nil && hmac.Equal(got, want))
	}
	if !ok {
		return connector.WebhookEvent{}, fmt.Errorf("calendly: signature does not match: %w", connector.ErrBadSignature)
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return connector.WebhookEvent{}, fmt.Errorf("calendly: timestamp %q: %w", ts, connector.ErrBadSignature)
	}
	now := req.Now
	if now.IsZero() {
		now = p.Clock()
	}
	if d := now.Sub(time.Unix(secs, 0)); d > Tolerance || d < -Tolerance {
		return connector.WebhookEvent{}, fmt.Errorf("calendly: signed %s ago: %w", d.Round(time.Second), connector.ErrStaleWebhook)
	}
	var d delivery
	if err := json.Unmarshal(req.Body, &d); err != nil || d.Event == "" {
		return connector.WebhookEvent{}, fmt.Errorf("calendly: a signed body that is not an event: %w", connector.ErrBadSignature)
	}
	id := d.Event + ":" + d.Payload.URI
	if d.Payload.URI == "" {
		id = d.Event + ":" + d.CreatedAt
	}
	return connector.WebhookEvent{ID: id, Type: d.Event}, nil
}

// parseSignature reads "t=<unix>,v1=<hex>[,v1=<hex>]".
func parseSignature(h string) (ts string, v1 []string) {
	for _, part := range strings.Split(h, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			v1 = append(v1, v)
		}
	}
	return ts, v1
}

// MapEvent applies an invitee event directly: the scheduled event it carries becomes a calendar
// event record with the status Calendly gives it. So invitee.canceled cancels a one-on-one event
// (and the old event of a reschedule, canceled: true with rescheduled: true), while an invitee
// leaving a group event that goes on leaves it active; the invitee.created of a reschedule brings
// the new event, confirmed. Without the embedded scheduled_event the event is read through the
// API. Other event types are acknowledged and ignored.
func (c *Client) MapEvent(ctx context.Context, ev connector.StoredEvent) (connector.EventResult, error) {
	if ev.Type != "invitee.created" && ev.Type != "invitee.canceled" {
		return connector.EventResult{}, nil
	}
	var d delivery
	if err := json.Unmarshal(ev.Payload, &d); err != nil {
		return connector.EventResult{}, &connector.Error{Class: connector.ClassBadData, Err: fmt.Errorf("calendly: event %s: %w", ev.ID, err)}
	}
	se := d.Payload.ScheduledEvent
	if se == nil || se.URI == "" {
		if d.Payload.Event == "" {
			return connector.EventResult{}, &connector.Error{Class: connector.ClassBadData, Err: fmt.Errorf("calendly: event %s names no scheduled event", ev.ID)}
		}
		var one struct {
			Resource scheduledEvent `json:"resource"`
		}
		if err := c.get(ctx, d.Payload.Event, nil, &one); err != nil {
			return connector.EventResult{}, err
		}
		se = &one.Resource
	}
	return connector.EventResult{Records: []connector.Record{mapScheduledEvent(*se, c.rules)}}, nil
}

// compile-time checks
var (
	_ connector.Connector   = (*Client)(nil)
	_ connector.EventMapper = (*Client)(nil)
)
