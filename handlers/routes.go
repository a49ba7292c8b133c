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
	if s.metrics != nil {
		e.Pre(s.observe)
	}
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
	e.GET("/dashboard/export.csv", s.exportCSV, member...)
	e.GET("/dashboard/stream", s.dashboardStream, member...)

	// Records: clients, inquiries, bookings, invoices, payments (manual entry) and reviews. Every
	// member may list, add, edit and delete them (deletes too: each change is audited by the store
	// and the audit log is visible to admins). GET /:id/delete asks first, without JavaScript.
	e.GET("/records", s.recordsHome, member...)
	e.GET("/records/clients", s.listClients, member...)
	e.GET("/records/clients/new", s.newClient, member...)
	e.POST("/records/clients", s.createClient, member...)
	e.GET("/records/clients/:id", s.editClient, member...)
	e.POST("/records/clients/:id", s.updateClient, member...)
	e.GET("/records/clients/:id/delete", s.confirmDeleteClient, member...)
	e.POST("/records/clients/:id/delete", s.deleteClient, member...)
	e.GET("/records/inquiries", s.listInquiries, member...)
	e.GET("/records/inquiries/new", s.newInquiry, member...)
	e.POST("/records/inquiries", s.createInquiry, member...)
	e.GET("/records/inquiries/:id", s.editInquiry, member...)
	e.POST("/records/inquiries/:id", s.updateInquiry, member...)
	e.GET("/records/inquiries/:id/delete", s.confirmDeleteInquiry, member...)
	e.POST("/records/inquiries/:id/delete", s.deleteInquiry, member...)
	e.GET("/records/inquiries/:id/convert", s.convertForm, member...)
	e.POST("/records/inquiries/:id/convert", s.convertInquiry, member...)
	e.GET("/records/bookings", s.listBookings, member...)
	e.GET("/records/bookings/new", s.newBooking, member...)
	e.POST("/records/bookings", s.createBooking, member...)
	e.GET("/records/bookings/:id", s.editBooking, member...)
	e.POST("/records/bookings/:id", s.updateBooking, member...)
	e.GET("/records/bookings/:id/delete", s.confirmDeleteBooking, member...)
	e.POST("/records/bookings/:id/delete", s.deleteBooking, member...)
	e.GET("/records/invoices", s.listInvoices, member...)
	e.GET("/records/invoices/new", s.newInvoice, member...)
	e.POST("/records/invoices", s.createInvoice, member...)
	e.GET("/records/invoices/:id", s.editInvoice, member...)
	e.POST("/records/invoices/:id", s.updateInvoice, member...)
	e.GET("/records/invoices/:id/delete", s.confirmDeleteInvoice, member...)
	e.POST("/records/invoices/:id/delete", s.deleteInvoice, member...)
	e.GET("/records/payments", s.listPayments, member...)
	e.GET("/records/payments/new", s.newPayment, member...)
	e.POST("/records/payments", s.createPayment, member...)
	e.GET("/records/payments/:id", s.editPayment, member...)
	e.POST("/records/payments/:id", s.updatePayment, member...)
	e.GET("/records/payments/:id/delete", s.confirmDeletePayment, member...)
	e.POST("/records/payments/:id/delete", s.deletePayment, member...)
	e.GET("/records/reviews", s.listReviews, member...)
	e.GET("/records/reviews/new", s.newReview, member...)
	e.POST("/records/reviews", s.createReview, member...)
	e.GET("/records/reviews/:id", s.editReview, member...)
	e.POST("/records/reviews/:id", s.updateReview, member...)
	e.GET("/records/reviews/:id/delete", s.confirmDeleteReview, member...)
	e.POST("/records/reviews/:id/delete", s.deleteReview, member...)

	e.GET("/share", s.shareLinks, admin...)
	e.POST("/share", s.createShareLink, admin...)
	e.POST("/share/:id/revoke", s.revokeShareLink, admin...)

	e.GET("/team", s.team, admin...)
	e.POST("/team/invites", s.createInvite, admin...)
	e.GET("/settings", s.settingsForm, admin...)
	e.POST("/settings", s.saveSettings, admin...)
	e.GET("/audit", s.auditLog, admin...)

	// Alerts (handlers/alerts.go) and integrations (handlers/integrations.go) keep their route
	// lists next to their handlers; each is a plain list of e.GET/e.POST lines like this one.
	s.alertRoutes(member, admin)
	s.integrationRoutes(member, admin)

	// River's job console for owners of the operator organization (handlers/jobconsole.go).
	s.jobConsoleRoutes()

	// Share-link viewers: no session, no state changes, read-only pages of one organization.
	e.GET("/s/:token", s.sharedDashboard)
	e.GET("/s/:token/stream", s.sharedStream)
	e.GET("/s/:token/export.csv", s.sharedExportCSV)
}
