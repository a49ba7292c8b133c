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
	"github.com/wedsync/wedsync/handlers/live"
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

// startMetrics serves the process's metrics on their own listener: Go runtime and process
// collectors (goroutines, heap, RSS, open fds) and the live hub's (open streams, fan-out latency,
// dropped frames). stop closes the listener.
func startMetrics(cfg metricsConfig, hub *live.Hub, log *slog.Logger) (stop func(), err error) {
	if cfg.Addr == "" {
		return func() {}, nil
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(hub.Collectors()...)
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
