package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/wedsync/wedsync/views"
)

func (s *Server) dashboard(c echo.Context) error {
	v := viewerOf(c)
	return render(c, http.StatusOK, views.DashboardShell(s.page(c, "Dashboard", "dashboard"), v.Org.Name))
}
