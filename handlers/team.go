package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/views"
)

func (s *Server) team(c echo.Context) error { return s.renderTeam(c, http.StatusOK, "", nil) }

func (s *Server) renderTeam(c echo.Context, status int, newLink string, errs views.FormErrors) error {
	ctx := c.Request().Context()
	v := viewerOf(c)
	members, err := s.db.Members(ctx, v.Org.ID)
	if err != nil {
		return err
	}
	invites, err := s.db.Invites(ctx, v.Org.ID)
	if err != nil {
		return err
	}
	vm := make([]views.TeamMember, len(members))
	for i, m := range members {
		vm[i] = views.TeamMember{Name: m.Name, Email: m.Email, Role: string(m.Role), JoinedAt: m.JoinedAt}
	}
	now := s.db.Now()
	vi := make([]views.PendingInvite, len(invites))
	for i, in := range invites {
		status := "pending"
		switch {
		case in.UsedAt != nil:
			status = "used"
		case now.After(in.ExpiresAt):
			status = "expired"
		}
		vi[i] = views.PendingInvite{Role: string(in.Role), Email: in.Email, Status: status, ExpiresAt: in.ExpiresAt.In(v.Org.Location())}
	}
	return render(c, status, views.TeamPage(s.page(c, "Team", "team"), vm, vi, newLink, errs))
}

func (s *Server) createInvite(c echo.Context) error {
	v := viewerOf(c)
	token, err := s.db.CreateInvite(c.Request().Context(), v.Org.ID, v.User.ID, store.Role(c.FormValue("role")), c.FormValue("email"))
	if errs, ok := formErrors(err); ok {
		return s.renderTeam(c, http.StatusUnprocessableEntity, "", errs)
	} else if err != nil {
		return err
	}
	return s.renderTeam(c, http.StatusOK, strings.TrimRight(s.cfg.BaseURL, "/")+"/invite/"+token, nil)
}

func (s *Server) inviteForm(c echo.Context) error {
	return s.renderInvite(c, http.StatusOK, views.InviteForm{}, nil)
}

func (s *Server) renderInvite(c echo.Context, status int, f views.InviteForm, errs views.FormErrors) error {
	token := c.Param("token")
	inv, err := s.db.InviteByToken(c.Request().Context(), token)
	if errors.Is(err, store.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, "This invite link is not valid. Ask for a new one.")
	} else if err != nil {
		return err
	}
	if inv.UsedAt != nil || s.db.Now().After(inv.ExpiresAt) {
		return echo.NewHTTPError(http.StatusGone, "This invite link has expired or was already used. Ask an admin for a new one.")
	}
	signedInAs := ""
	if v := viewerOf(c); v != nil {
		signedInAs = v.User.Email
	}
	return render(c, status, views.InviteAcceptPage(s.page(c, "Join "+inv.OrgName, ""), token, inv.OrgName, string(inv.Role), signedInAs, f, errs))
}

func (s *Server) acceptInvite(c echo.Context) error {
	ctx := c.Request().Context()
	token := c.Param("token")
	var userID int64
	if v := viewerOf(c); v != nil && c.FormValue("mode") == "current" {
		userID = v.User.ID
	} else {
		f := views.InviteForm{Name: c.FormValue("name"), Email: c.FormValue("email")}
		if inv, err := s.db.InviteByToken(ctx, token); err != nil || inv.UsedAt != nil || s.db.Now().After(inv.ExpiresAt) {
			return s.renderInvite(c, http.StatusOK, f, nil) // renders the 404 or 410 page
		}
		u, err := s.db.CreateUser(ctx, f.Email, f.Name, c.FormValue("password"))
		if errs, ok := formErrors(err); ok {
			return s.renderInvite(c, http.StatusUnprocessableEntity, f, errs)
		} else if err != nil {
			return err
		}
		userID = u.ID
	}
	inv, err := s.db.AcceptInvite(ctx, token, userID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return echo.NewHTTPError(http.StatusNotFound, "This invite link is not valid. Ask for a new one.")
	case errors.Is(err, store.ErrInviteUnusable):
		return echo.NewHTTPError(http.StatusGone, "This invite link has expired or was already used. Ask an admin for a new one.")
	case err != nil:
		return err
	}
	if err := s.startSession(c, userID, inv.OrgID); err != nil {
		return err
	}
	s.flash(c, "Welcome to "+inv.OrgName+".")
	return redirect(c, "/dashboard")
}
