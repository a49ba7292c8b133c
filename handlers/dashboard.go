package handlers

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"
	"github.com/wedsync/wedsync/handlers/live"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/views"
)

// dashboard is the signed-in organization's live dashboard. It reads the latest snapshot only:
// no aggregation runs per page view.
func (s *Server) dashboard(c echo.Context) error {
	v := viewerOf(c)
	d, err := s.dashboardData(c, v.Org, "/dashboard", false, false)
	if err != nil {
		return err
	}
	p := s.page(c, "Dashboard", "dashboard")
	p.LiveURL = "/dashboard/stream?period=" + d.Period
	return render(c, http.StatusOK, views.DashboardPage(p, d))
}

// sharedDashboard is the read-only live dashboard of a share link.
func (s *Server) sharedDashboard(c echo.Context) error {
	link, org, err := s.shareViewer(c)
	if err != nil {
		return err
	}
	d, err := s.dashboardData(c, org, "/s/"+c.Param("token"), true, link.HideMoney)
	if err != nil {
		return err
	}
	p := views.Page{Title: org.Name, LiveURL: "/s/" + c.Param("token") + "/stream?period=" + d.Period,
		Viewer: &views.Viewer{OrgName: org.Name, Shared: true}}
	c.Response().Header().Set("Referrer-Policy", "no-referrer")
	c.Response().Header().Set("X-Robots-Tag", "noindex")
	return render(c, http.StatusOK, views.DashboardPage(p, d))
}

func (s *Server) dashboardData(c echo.Context, org store.Org, base string, shared, hideMoney bool) (views.DashboardData, error) {
	ctx := c.Request().Context()
	period := periodParam(c)
	d := views.DashboardData{OrgName: org.Name, Period: period, HideMoney: hideMoney, Shared: shared, BaseLink: base, Now: s.db.Now()}
	snap, err := s.db.LatestSnapshot(ctx, org.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if s.jobs != nil {
			if err := s.jobs.EnqueueRecompute(ctx, org.ID); err != nil {
				s.log.Warn("enqueue first recompute", "org", org.ID, "err", err)
			}
		}
	case err != nil:
		return d, err
	default:
		d.KPIs, d.Version, d.Periods = snap.KPIs, snap.Version, snap.KPIs.Periods
		if d.Regions, err = views.CachedRegions(ctx, snap, d); err != nil {
			return d, err
		}
	}
	if err := s.db.MarkViewed(ctx, org.ID, s.db.Now()); err != nil {
		s.log.Warn("mark viewed", "org", org.ID, "err", err)
	}
	return d, nil
}

// dashboardStream is the member's SSE stream.
func (s *Server) dashboardStream(c echo.Context) error {
	v := viewerOf(c)
	return s.stream(c, v.Org.ID, live.Variant{Period: periodParam(c)}, 0)
}

// sharedStream is a share link's SSE stream; revoking the link closes it.
func (s *Server) sharedStream(c echo.Context) error {
	link, _, err := s.shareViewer(c)
	if err != nil {
		return err
	}
	return s.stream(c, link.OrgID, live.Variant{Shared: true, HideMoney: link.HideMoney, Period: periodParam(c)}, link.ID)
}

func (s *Server) stream(c echo.Context, orgID int64, variant live.Variant, linkID int64) error {
	if s.hub == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "Live updates are not available on this instance.")
	}
	r := c.Request()
	sub, first, err := s.hub.Subscribe(r.Context(), orgID, variant, linkID)
	if errors.Is(err, live.ErrClosed) {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "This server is restarting. The page reconnects by itself.")
	} else if err != nil {
		return err
	}
	// Stream owns sub from here. Over plain HTTP/1.1 it hijacks the connection after the first
	// frame and returns at once; the hub's writer pool writes the stream from then on.
	if err := s.hub.Stream(c.Response(), r, sub, first, s.streamOpts); err != nil {
		s.log.Debug("stream ended", "org", orgID, "err", err)
	}
	return nil
}

// RenderFragments renders every live region of a snapshot for one variant: the hub calls it
// once per organization, version and variant.
func (s *Server) RenderFragments(ctx context.Context, snap *store.Snapshot, v live.Variant) ([]live.Fragment, error) {
	// Fragments never show the organization's name or links that depend on the viewer, so the
	// view model needs nothing beyond the snapshot and the variant.
	d := views.DashboardData{KPIs: snap.KPIs, Version: snap.Version, Periods: snap.KPIs.Periods,
		Period: v.Period, HideMoney: v.HideMoney, Shared: v.Shared, Now: s.db.Now()}
	regions, err := views.CachedRegions(ctx, snap, d) // shared with the page views of this version
	if err != nil {
		return nil, err
	}
	names := views.FragmentNames()
	out := make([]live.Fragment, 0, len(names))
	for _, name := range names {
		if html, ok := regions[name]; ok {
			out = append(out, live.Fragment{Name: name, HTML: []byte(html)})
			continue
		}
		var buf bytes.Buffer
		if err := views.Fragment(name, d).Render(ctx, &buf); err != nil {
			return nil, err
		}
		out = append(out, live.Fragment{Name: name, HTML: buf.Bytes()})
	}
	// Members' streams also carry the alert bell, so a (re)connecting page gets the current
	// count; a change of the open alerts writes through the store's write hook, which makes a new
	// snapshot version and so a fresh rendering. Share-link viewers never get it.
	if !v.Shared {
		n, err := s.db.UnreadAlertCount(ctx, snap.OrgID)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := views.AlertBell(n).Render(ctx, &buf); err != nil {
			return nil, err
		}
		out = append(out, live.Fragment{Name: "alert-bell", HTML: buf.Bytes()})
	}
	return out, nil
}

// periodParam is the dashboard's period switch value, "mtd" unless a known period is asked for.
func periodParam(c echo.Context) string {
	if p := c.QueryParam("period"); slices.Contains(store.PeriodKeys, p) {
		return p
	}
	return "mtd"
}
