package handlers

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/wedsync/wedsync/store"
)

const (
	sessUserID = "user_id"
	sessOrgID  = "org_id"
	sessCSRF   = "csrf"
	sessFlash  = "flash"
)

// contentSecurityPolicy allows no inline scripts; htmx is configured to need none.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		return next(c)
	}
}

func (s *Server) requestLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		status := c.Response().Status
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		s.log.Log(c.Request().Context(), level, "http",
			"method", c.Request().Method, "route", c.Path(), "path", c.Request().URL.Path,
			"status", status, "ms", time.Since(start).Milliseconds())
		return nil
	}
}

// session loads and saves the scs session around the handler. Errors are rendered inside, so the
// session cookie is written before the error page.
func (s *Server) session(next echo.HandlerFunc) echo.HandlerFunc {
	return echo.WrapMiddleware(s.sessions.LoadAndSave)(func(c echo.Context) error {
		if err := next(c); err != nil {
			c.Error(err)
		}
		return nil
	})
}

// csrfToken returns the session's CSRF token, creating it on first use.
func (s *Server) csrfToken(c echo.Context) string {
	ctx := c.Request().Context()
	tok := s.sessions.GetString(ctx, sessCSRF)
	if tok == "" {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		tok = base64.RawURLEncoding.EncodeToString(b)
		s.sessions.Put(ctx, sessCSRF, tok)
	}
	return tok
}

// csrf refuses every state change that does not carry the session's token in the _csrf form
// field or the X-CSRF-Token header.
func (s *Server) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		want := s.sessions.GetString(c.Request().Context(), sessCSRF)
		got := c.Request().Header.Get("X-CSRF-Token")
		if got == "" {
			got = c.FormValue("_csrf")
		}
		if want == "" || got == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
			return echo.NewHTTPError(http.StatusForbidden, "This form has expired or did not come from WedSync. Reload the page and try again.")
		}
		return next(c)
	}
}

// viewer is the signed-in person and their organization for this request.
type viewer struct {
	User store.User
	Org  store.Org
	Role store.Role
}

func viewerOf(c echo.Context) *viewer {
	v, _ := c.Get("viewer").(*viewer)
	return v
}

// loadViewer resolves the session's user and organization; a stale session is cleared.
func (s *Server) loadViewer(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		uid := s.sessions.GetInt64(ctx, sessUserID)
		oid := s.sessions.GetInt64(ctx, sessOrgID)
		if uid == 0 || oid == 0 {
			return next(c)
		}
		u, err := s.db.UserByID(ctx, uid)
		if err == nil {
			var role store.Role
			role, err = s.db.MemberRole(ctx, oid, uid)
			if err == nil {
				var org store.Org
				if org, err = s.db.Org(ctx, oid); err == nil {
					c.Set("viewer", &viewer{User: u, Org: org, Role: role})
				}
			}
		}
		if errors.Is(err, store.ErrNotFound) {
			s.sessions.Remove(ctx, sessUserID)
			s.sessions.Remove(ctx, sessOrgID)
		} else if err != nil {
			return err
		}
		return next(c)
	}
}

// requireMember sends anonymous visitors to the login page (401 for htmx and non-GET requests).
func (s *Server) requireMember(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if viewerOf(c) != nil {
			return next(c)
		}
		r := c.Request()
		if r.Method == http.MethodGet && r.Header.Get("HX-Request") == "" {
			return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(r.URL.RequestURI()))
		}
		return echo.NewHTTPError(http.StatusUnauthorized, "Please log in.")
	}
}

// requireAdmin refuses members who are not owners or admins.
func (s *Server) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if v := viewerOf(c); v == nil || !v.Role.CanAdmin() {
			return echo.NewHTTPError(http.StatusForbidden, "Only owners and admins can open this page.")
		}
		return next(c)
	}
}

// safeNext keeps post-login redirects on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/dashboard"
	}
	return next
}
