package handlers

import "github.com/labstack/echo/v4"

// alertRoutes registers the alert pages.
func (s *Server) alertRoutes(member, admin []echo.MiddlewareFunc) {}
