package jobs

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/store"
)

// channelKeeper is implemented by connectors whose provider pushes changes through channels
// they must open and renew themselves (Google Calendar's events.watch). EnsureChannels returns
// the credentials to store (a channel token, channel ids) when anything changed.
type channelKeeper interface {
	EnsureChannels(ctx context.Context) (map[string]string, error)
}

// webhookURL is the integration's public webhook address, "" when the public origin is unknown.
func (d *syncDeps) webhookURL(in store.Integration) string {
	if d.cfg.PublicURL == "" {
		return ""
	}
	return strings.TrimSuffix(d.cfg.PublicURL, "/") + WebhookPath(in.Provider, in.PublicID)
}

// keepChannels wraps a channelKeeper so that every complete sync makes sure its push channels
// are open, sealing what they need with the credentials. Other connectors are returned as is.
func (d *syncDeps) keepChannels(orgID int64, in store.Integration, conn connector.Connector) connector.Connector {
	k, ok := conn.(channelKeeper)
	if !ok {
		return conn
	}
	return &channelConnector{Connector: conn, keeper: k, save: func(ctx context.Context, updates map[string]string) error {
		return d.db.SaveIntegrationSecrets(ctx, orgID, in.ID, d.keys, updates)
	}, warn: func(err error) {
		d.log.Warn("push channel not opened; changes arrive with the scheduled syncs", "integration", in.PublicID, "err", err)
	}}
}

// channelConnector opens push channels after the last page of a sync. A channel that cannot be
// opened does not fail the sync (the schedule still brings the changes); it is logged.
type channelConnector struct {
	connector.Connector
	keeper channelKeeper
	save   func(ctx context.Context, updates map[string]string) error
	warn   func(err error)
}

// Fetch fetches a page and, after the last one, ensures the channels.
func (c *channelConnector) Fetch(ctx context.Context, cur json.RawMessage) (connector.Page, error) {
	page, err := c.Connector.Fetch(ctx, cur)
	if err != nil || !page.Done {
		return page, err
	}
	updates, werr := c.keeper.EnsureChannels(ctx)
	if werr == nil && len(updates) > 0 {
		werr = c.save(context.WithoutCancel(ctx), updates)
	}
	if werr != nil {
		c.warn(werr)
	}
	return page, nil
}

// MapEvent keeps the wrapped connector's event mapping (an incremental sync when it has none).
func (c *channelConnector) MapEvent(ctx context.Context, ev connector.StoredEvent) (connector.EventResult, error) {
	if m, ok := c.Connector.(connector.EventMapper); ok {
		return m.MapEvent(ctx, ev)
	}
	return connector.EventResult{Sync: true}, nil
}
