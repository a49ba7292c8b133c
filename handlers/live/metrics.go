package live

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// hubMetrics are the hub's own instruments; Collectors exposes them with the stream gauges.
type hubMetrics struct {
	fanout        prometheus.Histogram
	framesDropped prometheus.Counter
	eventsDropped prometheus.Counter
	slowDropped   prometheus.Counter
}

func newHubMetrics() *hubMetrics {
	return &hubMetrics{
		fanout: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "wedsync_live_fanout_seconds",
			Help:    "Time from a rendered frame to its last write into the streams of its organization and variant.",
			Buckets: prometheus.ExponentialBuckets(0.00025, 2, 14)}),
		framesDropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "wedsync_live_frames_dropped_total",
			Help: "Frames replaced in a stream's one-slot mailbox by a newer one before they were written (slow clients)."}),
		eventsDropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "wedsync_live_events_dropped_total",
			Help: "Ephemeral events dropped for a stream whose event buffer was full."}),
		slowDropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "wedsync_live_slow_clients_dropped_total",
			Help: "Hijacked streams closed because the client did not take a write within the write timeout."}),
	}
}

// Collectors are the hub's Prometheus metrics: open streams (all, and hijacked ones written by
// the writer pool), streams waiting on a slow client, fan-out latency and dropped frames.
func (h *Hub) Collectors() []prometheus.Collector {
	pooled := func(f func(p *writerPool) *atomic.Int64) func() float64 {
		return func() float64 {
			if p := h.pool.Load(); p != nil {
				return float64(f(p).Load())
			}
			return 0
		}
	}
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "wedsync_live_streams",
			Help: "Open SSE streams on this instance."}, func() float64 { return float64(h.Streams()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "wedsync_live_streams_hijacked",
			Help: "Open SSE streams written by the writer pool (no goroutine of their own)."},
			pooled(func(p *writerPool) *atomic.Int64 { return &p.open })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "wedsync_live_slow_writers",
			Help: "Hijacked streams whose client is behind, with a goroutine finishing a write."},
			pooled(func(p *writerPool) *atomic.Int64 { return &p.slow })),
		h.m.fanout, h.m.framesDropped, h.m.eventsDropped, h.m.slowDropped,
	}
}
