package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/wedsync/wedsync/store"
)

// jobStateQuery counts jobs by kind and state, leaving out completed ones: River keeps those for
// a day, so counting them would scan most of the table at every scrape (their rate comes from
// wedsync_river_jobs_finished_total instead). The other states are few and indexed by state.
const jobStateQuery = `select kind, state::text, count(*) from river_job
	where state in ('available', 'pending', 'scheduled', 'running', 'retryable', 'cancelled', 'discarded')
	group by kind, state`

// jobStateCollector reports the river_job table at scrape time with one grouped query under a
// timeout. A failed query reports wedsync_river_jobs_query_up 0 instead of failing the scrape.
type jobStateCollector struct {
	db      *store.DB
	log     *slog.Logger
	timeout time.Duration
	jobs    *prometheus.Desc
	up      *prometheus.Desc
}

func newJobStateCollector(db *store.DB, log *slog.Logger, timeout time.Duration) *jobStateCollector {
	return &jobStateCollector{db: db, log: log, timeout: timeout,
		jobs: prometheus.NewDesc("wedsync_river_jobs", "Jobs in the river_job table by kind and state (all but completed), at scrape time; the same on every instance.",
			[]string{"kind", "state"}, nil),
		up: prometheus.NewDesc("wedsync_river_jobs_query_up", "1 when the scrape-time river_job query answered within its timeout.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *jobStateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.jobs
	ch <- c.up
}

// Collect implements prometheus.Collector.
func (c *jobStateCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	type row struct {
		kind, state string
		n           int64
	}
	var rows []row
	err := func() error {
		rs, err := c.db.Pool.Query(ctx, jobStateQuery)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var r row
			if err := rs.Scan(&r.kind, &r.state, &r.n); err != nil {
				return err
			}
			rows = append(rows, r)
		}
		return rs.Err()
	}()
	if err != nil {
		c.log.Warn("metrics: count river jobs", "err", err)
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	for _, r := range rows {
		ch <- prometheus.MustNewConstMetric(c.jobs, prometheus.GaugeValue, float64(r.n), r.kind, r.state)
	}
}

// Collectors are the job system's scrape-time metrics (the river_job table by kind and state).
func (r *Runner) Collectors() []prometheus.Collector {
	return []prometheus.Collector{newJobStateCollector(r.db, r.log, 2*time.Second)}
}
