package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/wedsync/wedsync/handlers/live"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/views"
)

func (s *Server) shareLinks(c echo.Context) error {
	return s.renderShareLinks(c, http.StatusOK, views.ShareForm{}, "", nil)
}

func (s *Server) renderShareLinks(c echo.Context, status int, f views.ShareForm, newLink string, errs views.FormErrors) error {
	v := viewerOf(c)
	links, err := s.db.ShareLinks(c.Request().Context(), v.Org.ID)
	if err != nil {
		return err
	}
	now, loc := s.db.Now(), v.Org.Location()
	rows := make([]views.ShareLinkRow, len(links))
	for i, l := range links {
		st := "active"
		switch {
		case l.RevokedAt != nil:
			st = "revoked"
		case !l.Active(now):
			st = "expired"
		}
		rows[i] = views.ShareLinkRow{ID: l.ID, Label: l.Label, HideMoney: l.HideMoney, Status: st, CreatedAt: l.CreatedAt.In(loc)}
		if l.ExpiresAt != nil {
			t := l.ExpiresAt.In(loc)
			rows[i].ExpiresAt = &t
		}
	}
	return render(c, status, views.SharePage(s.page(c, "Share", "share"), rows, f, newLink, errs))
}

func (s *Server) createShareLink(c echo.Context) error {
	v := viewerOf(c)
	f := views.ShareForm{Label: c.FormValue("label"), ExpiresIn: c.FormValue("expires_in"), HideMoney: c.FormValue("hide_money") != ""}
	token, err := s.db.CreateShareLink(c.Request().Context(), v.Org.ID, v.User.ID,
		store.ShareLinkInput{Label: f.Label, ExpiresIn: f.ExpiresIn, HideMoney: f.HideMoney})
	if errs, ok := formErrors(err); ok {
		return s.renderShareLinks(c, http.StatusUnprocessableEntity, f, "", errs)
	} else if err != nil {
		return err
	}
	return s.renderShareLinks(c, http.StatusOK, views.ShareForm{}, strings.TrimRight(s.cfg.BaseURL, "/")+"/s/"+token, nil)
}

func (s *Server) revokeShareLink(c echo.Context) error {
	v := viewerOf(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "There is no such link.")
	}
	if err := s.db.RevokeShareLink(c.Request().Context(), v.Org.ID, v.User.ID, id, live.ShareLinkClosedChannel); err != nil {
		return err
	}
	s.flash(c, "Link revoked. Anyone who had it open has been disconnected.")
	return redirect(c, "/share")
}

// shareViewer resolves /s/:token for the read-only pages; gone links get a clear 410 page.
func (s *Server) shareViewer(c echo.Context) (store.ShareLink, store.Org, error) {
	ctx := c.Request().Context()
	link, err := s.db.ShareLinkByToken(ctx, c.Param("token"))
	switch {
	case errors.Is(err, store.ErrLinkGone):
		return link, store.Org{}, echo.NewHTTPError(http.StatusGone, "This shared dashboard link was revoked or has expired. Ask the person who shared it for a new one.")
	case errors.Is(err, store.ErrNotFound):
		return link, store.Org{}, echo.NewHTTPError(http.StatusNotFound, "There is no shared dashboard at this address.")
	case err != nil:
		return link, store.Org{}, err
	}
	org, err := s.db.Org(ctx, link.OrgID)
	return link, org, err
}
