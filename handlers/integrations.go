package handlers

import "github.com/labstack/echo/v4"

// integrationRoutes registers the integration pages and provider webhooks.
func (s *Server) integrationRoutes(member, admin []echo.MiddlewareFunc) {}
