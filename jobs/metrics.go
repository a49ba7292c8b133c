package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/store"
)

// Metrics are the job side's Prometheus instruments. A nil *Metrics records nothing, so tests
// and tools that do not scrape need none.
type Metrics struct {
	syncSeconds  *prometheus.HistogramVec
	syncFailures *prometheus.CounterVec
	deliveries   *prometheus.CounterVec
	jobsFinished *prometheus.CounterVec
	jobSeconds   *prometheus.HistogramVec
}

// NewMetrics makes the job metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		syncSeconds: f.NewHistogramVec(prometheus.HistogramOpts{Name: "wedsync_sync_attempt_seconds",
			Help:    "Duration of one sync_integration attempt, by provider and outcome (succeeded, snoozed: continues later, failed).",
			Buckets: prometheus.ExponentialBuckets(0.01, 2.5, 12)}, []string{"provider", "outcome"}),
		syncFailures: f.NewCounterVec(prometheus.CounterOpts{Name: "wedsync_sync_failures_total",
			Help: "Failed sync attempts, by provider and error class (credentials, permission, provider_down, rate_limited, bad_data, bug)."},
			[]string{"provider", "class"}),
		deliveries: f.NewCounterVec(prometheus.CounterOpts{Name: "wedsync_notification_deliveries_total",
			Help: "Notification send attempts, by channel and status (sent; retrying: a transient failure; failed: given up)."},
			[]string{"channel", "status"}),
		jobsFinished: f.NewCounterVec(prometheus.CounterOpts{Name: "wedsync_river_jobs_finished_total",
			Help: "Job attempts this instance worked, by kind and outcome (completed; failed: will be retried; discarded: out of attempts; cancelled; snoozed)."},
			[]string{"kind", "outcome"}),
		jobSeconds: f.NewHistogramVec(prometheus.HistogramOpts{Name: "wedsync_river_job_run_seconds",
			Help:    "Time a job attempt spent in its worker, by kind.",
			Buckets: prometheus.ExponentialBuckets(0.001, 3, 12)}, []string{"kind"}),
	}
}

// syncAttempt observes one sync attempt that ended with err (nil: the provider said done).
func (m *Metrics) syncAttempt(provider string, started time.Time, err error) {
	if m == nil {
		return
	}
	outcome := "succeeded"
	var snooze *river.JobSnoozeError
	switch {
	case errors.As(err, &snooze):
		outcome = "snoozed"
	case err != nil:
		outcome = "failed"
	}
	m.syncSeconds.WithLabelValues(provider, outcome).Observe(time.Since(started).Seconds())
}

// syncFailed counts a failed sync attempt by its class.
func (m *Metrics) syncFailed(provider string, class connector.Class) {
	if m == nil {
		return
	}
	m.syncFailures.WithLabelValues(provider, string(class)).Inc()
}

// delivery counts one send attempt on a channel: sendErr nil is sent, final failures are failed,
// the others retrying.
func (m *Metrics) delivery(kind store.ChannelKind, sendErr error, final bool) {
	if m == nil {
		return
	}
	status := "sent"
	if sendErr != nil {
		status = "retrying"
		if final {
			status = "failed"
		}
	}
	m.deliveries.WithLabelValues(string(kind), status).Inc()
}

// watchJobs counts every job attempt this client finishes, from River's event subscription,
// until ctx ends. The client must work jobs (River has no events for an insert-only client).
func (m *Metrics) watchJobs(ctx context.Context, client *river.Client[pgx.Tx]) {
	events, cancel := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed,
		river.EventKindJobCancelled, river.EventKindJobSnoozed)
	go func() {
		defer cancel()
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-events:
				if !ok {
					return
				}
				if ev.Job == nil {
					continue
				}
				m.jobsFinished.WithLabelValues(ev.Job.Kind, jobOutcome(ev)).Inc()
				if ev.JobStats != nil {
					m.jobSeconds.WithLabelValues(ev.Job.Kind).Observe(ev.JobStats.RunDuration.Seconds())
				}
			}
		}
	}()
}

// jobOutcome names how a job attempt ended.
func jobOutcome(ev *river.Event) string {
	switch ev.Kind {
	case river.EventKindJobCompleted:
		return "completed"
	case river.EventKindJobCancelled:
		return "cancelled"
	case river.EventKindJobSnoozed:
		return "snoozed"
	}
	if ev.Job.State == rivertype.JobStateDiscarded {
		return "discarded"
	}
	return "failed"
}
