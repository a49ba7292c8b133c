package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/wedsync/wedsync/static"
)

// routes is the one route table: read it top to bottom to see every URL the app answers.
func (s *Server) routes() {
	e := s.echo
	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: http.StatusMovedPermanently}))
	e.Use(middleware.Recover())
	e.Use(s.securityHeaders)
	e.Use(s.requestLog)
	e.Use(middleware.BodyLimit("2M"))

	// Operations: no session, no CSRF.
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/static/*", echo.WrapHandler(staticHandler(static.FS)))

	// Browser pages: session, CSRF on every state change, the viewer loaded when signed in.
	web := []echo.MiddlewareFunc{s.session, s.csrf, s.loadViewer}
	member := append(web[:len(web):len(web)], s.requireMember)
	admin := append(member[:len(member):len(member)], s.requireAdmin)

	e.GET("/", s.home, web...)
	e.GET("/signup", s.signupForm, web...)
	e.POST("/signup", s.signup, web...)
	e.GET("/login", s.loginForm, web...)
	e.POST("/login", s.login, web...)
	e.POST("/logout", s.logout, web...)
	e.GET("/invite/:token", s.inviteForm, web...)
	e.POST("/invite/:token", s.acceptInvite, web...)

	e.GET("/dashboard", s.dashboard, member...)

	e.GET("/team", s.team, admin...)
	e.POST("/team/invites", s.createInvite, admin...)
	e.GET("/settings", s.settingsForm, admin...)
	e.POST("/settings", s.saveSettings, admin...)
	e.GET("/audit", s.auditLog, admin...)
}
