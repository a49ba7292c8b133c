package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"
	"github.com/riverqueue/river"
	"github.com/wedsync/wedsync/store"
	"riverqueue.com/riverui"
)

// JobConsolePath is where River's web console is mounted.
const JobConsolePath = "/admin/jobs"

// consoleMethods are the methods River's console and its JSON API use.
var consoleMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// consolePolicy is the page policy of the console: River's bundled single-page app sets inline
// styles, which the app's own policy forbids; scripts still come only from this origin.
const consolePolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// NewJobConsole builds River's web console (riverui) for JobConsolePath and starts its
// background services, which stop when ctx ends.
func NewJobConsole(ctx context.Context, client *river.Client[pgx.Tx], log *slog.Logger) (http.Handler, error) {
	h, err := riverui.NewHandler(&riverui.HandlerOpts{
		Endpoints: riverui.NewEndpoints(client, nil),
		Logger:    log.With("component", "riverui"),
		Prefix:    JobConsolePath,
	})
	if err != nil {
		return nil, fmt.Errorf("job console: %w", err)
	}
	if err := h.Start(ctx); err != nil {
		return nil, fmt.Errorf("job console: start: %w", err)
	}
	return h, nil
}

// jobConsoleRoutes mounts the console for owners of the operator organization. Its JSON API
// carries no CSRF token, so its state changes must come from this origin instead (sameOrigin).
func (s *Server) jobConsoleRoutes() {
	chain := []echo.MiddlewareFunc{s.session, s.loadViewer, s.requireMember, s.requireOperator, s.sameOrigin}
	s.echo.Match(consoleMethods, JobConsolePath, s.serveJobConsole, chain...)
	s.echo.Match(consoleMethods, JobConsolePath+"/*", s.serveJobConsole, chain...)
}

// serveJobConsole hands the request to riverui, whose index lives at the prefix plus a slash
// (the app's trailing-slash redirect sends that to the bare prefix first).
func (s *Server) serveJobConsole(c echo.Context) error {
	r := c.Request()
	if r.URL.Path == JobConsolePath {
		r2 := *r
		u := *r.URL
		u.Path, u.RawPath = JobConsolePath+"/", ""
		r2.URL = &u
		r = &r2
	}
	c.Response().Header().Set("Content-Security-Policy", consolePolicy)
	s.jobConsole.ServeHTTP(c.Response(), r)
	return nil
}

// requireOperator answers 404, as for any unknown address, to everyone but owners of the
// operator organization.
func (s *Server) requireOperator(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		v := viewerOf(c)
		if s.jobConsole == nil || v == nil || s.cfg.OperatorOrgID == 0 || v.Org.ID != s.cfg.OperatorOrgID || v.Role != store.RoleOwner {
			return echo.ErrNotFound
		}
		return next(c)
	}
}

// sameOrigin refuses state changes that a browser did not send from this origin: it needs
// Sec-Fetch-Site or Origin (every current browser sends one on a non-GET fetch) and checks them
// with net/http's cross-origin protection, trusting BaseURL's origin behind a proxy.
func (s *Server) sameOrigin(next echo.HandlerFunc) echo.HandlerFunc {
	cop := http.NewCrossOriginProtection()
	if u, err := url.Parse(s.cfg.BaseURL); err == nil && u.Scheme != "" && u.Host != "" {
		_ = cop.AddTrustedOrigin(u.Scheme + "://" + u.Host)
	}
	return func(c echo.Context) error {
		r := c.Request()
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		if r.Header.Get("Sec-Fetch-Site") == "" && r.Header.Get("Origin") == "" {
			return echo.NewHTTPError(http.StatusForbidden, "This change did not come from a WedSync page.")
		}
		if err := cop.Check(r); err != nil {
			return echo.NewHTTPError(http.StatusForbidden, "This change did not come from a WedSync page.")
		}
		return next(c)
	}
}
