package views

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store"
)

func TestCachedRegionsStitchTheSamePage(t *testing.T) {
	ctx := context.Background()
	d := sampleData()
	snap := &store.Snapshot{OrgID: d.KPIs.OrgID, Version: d.Version, KPIs: d.KPIs}
	variants := map[string]func(*DashboardData){
		"member": func(*DashboardData) {},
		"qtd":    func(d *DashboardData) { d.Period = "qtd" },
		"hidden": func(d *DashboardData) { d.HideMoney, d.Shared, d.BaseLink = true, true, "/s/x" },
	}
	for name, mod := range variants {
		t.Run(name, func(t *testing.T) {
			v := d
			mod(&v)
			want, _ := renderPage(t, v)
			regions, err := CachedRegions(ctx, snap, v)
			require.NoError(t, err)
			require.NotContains(t, regions, "freshness", "relative times are rendered for each view")
			again, err := CachedRegions(ctx, snap, v)
			require.NoError(t, err)
			require.Equal(t, regions["chart-revenue"], again["chart-revenue"])
			v.Regions = regions
			got, _ := renderPage(t, v)
			require.Equal(t, want, got, "a page of cached regions is the page")
		})
	}

	// Another variant gets its own regions; a later view still says how old the figures are.
	member, err := CachedRegions(ctx, snap, d)
	require.NoError(t, err)
	hidden := d
	hidden.HideMoney = true
	h, err := CachedRegions(ctx, snap, hidden)
	require.NoError(t, err)
	require.NotEqual(t, member["chart-revenue"], h["chart-revenue"])
	later := d
	later.Regions, later.Now = member, d.Now.Add(3*time.Hour)
	page, _ := renderPage(t, later)
	require.Contains(t, page, "(3 h ago)", "freshness follows the view's time")

	_, err = CachedRegions(ctx, &store.Snapshot{KPIs: sampleKPIs()}, d)
	require.Error(t, err, "regions of one snapshot are never served for another")
}
