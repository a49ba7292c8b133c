package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/views"
)

// handleError maps every error to an HTTP status in exactly one place and renders a page.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg := http.StatusInternalServerError, "Something went wrong on our side. It has been logged; please try again."
	var he *echo.HTTPError
	var ve *store.ValidationError
	switch {
	case errors.As(err, &he):
		status = he.Code
		if m, ok := he.Message.(string); ok {
			msg = m
		} else {
			msg = http.StatusText(status)
		}
	case errors.Is(err, store.ErrNotFound):
		status, msg = http.StatusNotFound, "That record does not exist, or it belongs to another organization."
	case errors.As(err, &ve):
		status, msg = http.StatusUnprocessableEntity, ve.Error()
	case errors.Is(err, store.ErrConflict):
		status, msg = http.StatusConflict, "That change conflicts with existing data. Reload and try again."
	case errors.Is(err, store.ErrThrottled):
		status, msg = http.StatusTooManyRequests, "Too many attempts. Wait a few minutes and try again."
	case dbUnavailable(err):
		status, msg = http.StatusServiceUnavailable, dbUnavailableMessage
		c.Response().Header().Set("Retry-After", dbRetryAfter)
	}
	if status >= 500 {
		s.log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	heading := http.StatusText(status)
	switch status {
	case http.StatusNotFound:
		heading = "Not found"
		if he != nil && he.Message == http.StatusText(http.StatusNotFound) {
			msg = "There is no page at this address."
		}
	case http.StatusForbidden:
		heading = "Not allowed"
	case http.StatusGone:
		heading = "This link no longer works"
	}
	p := views.Page{Title: heading}
	if v := viewerOf(c); v != nil {
		p.Viewer = &views.Viewer{UserName: v.User.Name, Email: v.User.Email, OrgName: v.Org.Name, Role: string(v.Role), CanAdmin: v.Role.CanAdmin()}
		p.CSRF = s.sessions.GetString(c.Request().Context(), sessCSRF)
	}
	if rerr := render(c, status, views.MessagePage(p, status, heading, msg)); rerr != nil {
		_ = c.String(status, msg)
	}
}
