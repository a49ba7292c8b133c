package outlook

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"
)

// Subscription lifetimes: Graph allows at most 10080 minutes for Outlook events; the connector
// asks for SubscriptionLife and renews after a sync once less than RenewBefore is left.
const (
	SubscriptionLife = 3 * 24 * time.Hour
	RenewBefore      = 24 * time.Hour
)

// SubscriptionResource is what the subscription watches: every event of the mailbox, whichever
// calendar it is in.
const SubscriptionResource = "me/events"

// subscription is the change-notification subscription as the cursor remembers it.
type subscription struct {
	ID              string    `json:"id,omitempty"`
	NotificationURL string    `json:"notification_url,omitempty"`
	ExpiresAt       time.Time `json:"expires_at,omitempty"`
	// Error is why the last create or renew failed (kept for support; the sync itself succeeded
	// and the next one tries again).
	Error string `json:"error,omitempty"`
}

// subscriptionWire is Graph's subscription resource.
type subscriptionWire struct {
	ID                        string `json:"id,omitempty"`
	ChangeType                string `json:"changeType,omitempty"`
	NotificationURL           string `json:"notificationUrl,omitempty"`
	Resource                  string `json:"resource,omitempty"`
	ExpirationDateTime        string `json:"expirationDateTime"`
	ClientState               string `json:"clientState,omitempty"`
	LatestSupportedTLSVersion string `json:"latestSupportedTlsVersion,omitempty"`
}

// subscribe creates the change subscription after a finished sync, or renews it when it nears
// its expiry (a renewal Graph no longer knows creates a new one). Without a webhook URL or a
// stored clientState there is nothing to subscribe with: syncs stay scheduled only. A failure
// never fails the sync; it is kept in the cursor and the next sync tries again.
func (c *Client) subscribe(ctx context.Context, sub *subscription) *subscription {
	if c.webhookURL == "" {
		return sub
	}
	if c.clientState == "" {
		return &subscription{Error: "no clientState secret stored for this integration: notifications are off"}
	}
	now := c.now()
	if sub != nil && sub.ID != "" && sub.NotificationURL == c.webhookURL && sub.Error == "" && sub.ExpiresAt.Sub(now) > RenewBefore {
		return sub
	}
	expires := now.Add(SubscriptionLife).UTC().Truncate(time.Second)
	if sub != nil && sub.ID != "" && sub.NotificationURL == c.webhookURL {
		var got subscriptionWire
		err := c.do(ctx, http.MethodPatch, c.endpoint("/v1.0/subscriptions/"+url.PathEscape(sub.ID), nil),
			subscriptionWire{ExpirationDateTime: expires.Format(time.RFC3339)}, &got)
		var ae *apiError
		switch {
		case err == nil:
			return &subscription{ID: sub.ID, NotificationURL: c.webhookURL, ExpiresAt: parseExpiry(got.ExpirationDateTime, expires)}
		case !errors.As(err, &ae) || ae.status != http.StatusNotFound:
			return &subscription{ID: sub.ID, NotificationURL: sub.NotificationURL, ExpiresAt: sub.ExpiresAt, Error: err.Error()}
		}
		// Graph forgot it (expired or removed): create a new one.
	}
	var got subscriptionWire
	err := c.do(ctx, http.MethodPost, c.endpoint("/v1.0/subscriptions", nil), subscriptionWire{
		ChangeType: "created,updated,deleted", NotificationURL: c.webhookURL, Resource: SubscriptionResource,
		ExpirationDateTime: expires.Format(time.RFC3339), ClientState: c.clientState, LatestSupportedTLSVersion: "v1_2",
	}, &got)
	if err != nil {
		return &subscription{Error: err.Error()}
	}
	return &subscription{ID: got.ID, NotificationURL: c.webhookURL, ExpiresAt: parseExpiry(got.ExpirationDateTime, expires)}
}

func parseExpiry(s string, fallback time.Time) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC()
	}
	return fallback
}
