package google

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"google.golang.org/api/calendar/v3"
)

// Keys of the push channels inside the integration's sealed credentials.
const (
	// SecretChannelToken is the token every channel of the integration carries; Google sends it
	// back in X-Goog-Channel-Token.
	SecretChannelToken = "channel_token"
	// SecretChannels holds the open channels as JSON: calendar id → channel.
	SecretChannels = "channels"
)

// RenewBefore is how long before its expiry a channel is replaced.
const RenewBefore = 24 * time.Hour

// channel is an open events.watch channel of one calendar.
type channel struct {
	ID         string    `json:"id"`
	ResourceID string    `json:"resource_id"`
	Address    string    `json:"address"`
	Expires    time.Time `json:"expires"`
}

// EnsureChannels keeps a push channel open to the integration's webhook address for every
// calendar it reads: a missing channel, one to another address or one about to expire is
// replaced (the old one stopped). It returns the credentials to store when anything changed,
// nil otherwise; without a webhook address it does nothing.
func (c *Client) EnsureChannels(ctx context.Context) (map[string]string, error) {
	if c.webhookURL == "" {
		return nil, nil
	}
	open := map[string]channel{}
	if s := c.creds[SecretChannels]; s != "" {
		_ = json.Unmarshal([]byte(s), &open) // unreadable: open new ones
	}
	token := c.creds[SecretChannelToken]
	changed := false
	if token == "" {
		token, changed = randomHex(24), true
	}
	for _, cal := range c.calendars {
		ch, ok := open[cal]
		if ok && !changed && ch.Address == c.webhookURL && ch.Expires.After(c.now().Add(RenewBefore)) {
			continue
		}
		created, err := c.svc.Events.Watch(cal, &calendar.Channel{Id: "wedsync-" + randomHex(16), Type: "web_hook",
			Address: c.webhookURL, Token: token}).Context(ctx).Do()
		if err != nil {
			return nil, fmt.Errorf("google: watch %s: %w", cal, c.classify(err))
		}
		if ok { // best effort: an old channel left open expires by itself
			_ = c.svc.Channels.Stop(&calendar.Channel{Id: ch.ID, ResourceId: ch.ResourceID}).Context(ctx).Do()
		}
		open[cal] = channel{ID: created.Id, ResourceID: created.ResourceId, Address: c.webhookURL,
			Expires: time.UnixMilli(created.Expiration).UTC()}
		changed = true
	}
	if !changed {
		return nil, nil
	}
	b, err := json.Marshal(open)
	if err != nil {
		return nil, err
	}
	return map[string]string{SecretChannelToken: token, SecretChannels: string(b)}, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
