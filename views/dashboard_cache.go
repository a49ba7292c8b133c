package views

import (
	"bytes"
	"context"
	"fmt"

	"github.com/wedsync/wedsync/store"
)

// Regions maps fragment names to their rendered HTML.
type Regions map[string]string

// regionsKey is the memo key of one variant's regions on a snapshot.
type regionsKey struct {
	period            string
	hideMoney, shared bool
}

// timeRelative are the regions that depend on the moment of rendering (d.Now), so they are
// rendered for every view rather than once per snapshot.
var timeRelative = map[string]bool{"freshness": true}

// CachedRegions returns the regions of the dashboard d shows (d.KPIs must be snap.KPIs),
// rendered once per snapshot and variant (period, hidden money, shared view) and then shared by
// every page view and live stream of that version: a page view stitches bytes instead of
// rendering charts. Regions that depend on the moment of rendering are left out.
func CachedRegions(ctx context.Context, snap *store.Snapshot, d DashboardData) (Regions, error) {
	if snap == nil || snap.KPIs == nil || d.KPIs != snap.KPIs {
		return nil, fmt.Errorf("views: cached regions of another snapshot")
	}
	key := regionsKey{period: d.period().Key, hideMoney: d.HideMoney, shared: d.Shared}
	v, err := snap.Memo(key, func() (any, error) {
		d.Regions = nil
		out := make(Regions, len(fragmentNames))
		var buf bytes.Buffer
		for _, name := range fragmentNames {
			if timeRelative[name] {
				continue
			}
			buf.Reset()
			// The rendering must not be cut short by the request that happens to build it.
			if err := Fragment(name, d).Render(context.WithoutCancel(ctx), &buf); err != nil {
				return nil, fmt.Errorf("views: render %s: %w", name, err)
			}
			out[name] = buf.String()
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(Regions), nil
}
