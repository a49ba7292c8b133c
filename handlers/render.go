package handlers

import (
	"bytes"
	"net/http"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"github.com/wedsync/wedsync/views"
)

// render buffers the component, so a failed render becomes a clean 500 instead of half a page.
func render(c echo.Context, status int, comp templ.Component) error {
	var buf bytes.Buffer
	if err := comp.Render(c.Request().Context(), &buf); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// redirect sends a browser to url after a successful form post (HX-Redirect for htmx).
func redirect(c echo.Context, url string) error {
	if c.Request().Header.Get("HX-Request") != "" {
		c.Response().Header().Set("HX-Redirect", url)
		return c.NoContent(http.StatusOK)
	}
	return c.Redirect(http.StatusSeeOther, url)
}

// page fills the layout's view model for this request.
func (s *Server) page(c echo.Context, title, nav string) views.Page {
	ctx := c.Request().Context()
	p := views.Page{Title: title, Nav: nav, CSRF: s.csrfToken(c), Flash: s.sessions.PopString(ctx, sessFlash)}
	if v := viewerOf(c); v != nil {
		name := v.User.Name
		if name == "" {
			name = v.User.Email
		}
		p.Viewer = &views.Viewer{UserName: name, Email: v.User.Email, OrgName: v.Org.Name, Role: string(v.Role), CanAdmin: v.Role.CanAdmin()}
	}
	return p
}

// flash stores a one-time message for the next page.
func (s *Server) flash(c echo.Context, msg string) {
	s.sessions.Put(c.Request().Context(), sessFlash, msg)
}
