package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/wedsync/wedsync/handlers"
	"github.com/wedsync/wedsync/jobs"
)

// metricsConfig is the operations listener, off unless WEDSYNC_METRICS_ADDR is set:
//
//	WEDSYNC_METRICS_ADDR   host:port serving Prometheus metrics at /metrics and Go's profiler
//	                       under /debug/pprof/ (keep it private: it is not behind any login)
type metricsConfig struct {
	Addr string
}

func metricsConfigFromEnv() metricsConfig {
	return metricsConfig{Addr: strings.TrimSpace(os.Getenv("WEDSYNC_METRICS_ADDR"))}
}

// processMetrics is the registry of one process and the instruments passed down to the web and
// job sides; all nil when metrics are off.
type processMetrics struct {
	Registry *prometheus.Registry
	Web      *handlers.Metrics
	Jobs     *jobs.Metrics
}

// newProcessMetrics makes the registry with Go runtime and process collectors (goroutines, heap,
// RSS, open fds) and the instruments of both sides, unless metrics are off.
func newProcessMetrics(cfg metricsConfig) processMetrics {
	if cfg.Addr == "" {
		return processMetrics{}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return processMetrics{Registry: reg, Web: handlers.NewMetrics(reg), Jobs: jobs.NewMetrics(reg)}
}

// startMetrics serves the registry on its own listener, with scrape-time collectors added: the
// live hub's (open streams, fan-out latency, dropped frames) and River's job table. stop closes
// the listener.
func startMetrics(cfg metricsConfig, m processMetrics, log *slog.Logger, scraped ...prometheus.Collector) (stop func(), err error) {
	if cfg.Addr == "" || m.Registry == nil {
		return func() {}, nil
	}
	reg := m.Registry
	reg.MustRegister(scraped...)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("metrics listener stopped", "err", err)
		}
	}()
	log.Info("serving metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	return func() { _ = srv.Close() }, nil
}
