package handlers

import (
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics are the web side's Prometheus instruments. A nil *Metrics records nothing.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics makes the HTTP metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		requests: f.NewCounterVec(prometheus.CounterOpts{Name: "wedsync_http_requests_total",
			Help: "HTTP requests by route pattern of the route table (\"unmatched\" for none), method and status."},
			[]string{"route", "method", "status"}),
		duration: f.NewHistogramVec(prometheus.HistogramOpts{Name: "wedsync_http_request_duration_seconds",
			Help: "Time to answer an HTTP request, by route pattern and method. A live stream counts until it is " +
				"handed to the writer pool (HTTP/1.1) or until it ends (HTTP/2).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12)}, []string{"route", "method"}),
	}
}

// observe counts every request by its route pattern, never the raw path, so ids and tokens do
// not become label values. It runs first (Pre), so redirects of the other Pre middleware count.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	m := s.metrics
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		method := c.Request().Method
		m.requests.WithLabelValues(route, method, strconv.Itoa(c.Response().Status)).Inc()
		m.duration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
		return nil
	}
}
