package jobs

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/riverqueue/river"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/netguard"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/secret"
)

// SyncConfig configures integration syncs. Zero values take the defaults noted on each field.
type SyncConfig struct {
	// BaseURLs points providers at other API origins (provider name → base URL), for the fakes of
	// tests, the demo and benchmarks. An integration's own api_base config wins over it.
	BaseURLs map[string]string
	// HTTPTimeout bounds each provider call (30 s).
	HTTPTimeout time.Duration
	// ScheduleEvery is the scheduler's period (1 minute).
	ScheduleEvery time.Duration
	// ScheduleBatch is how many due integrations the scheduler reads and enqueues at a time
	// (1,000); one run pages through all of them.
	ScheduleBatch int
	// JobBudget is how long one sync job works before it snoozes and continues in a fresh attempt
	// from the saved cursor (1 minute), which keeps attempts short for River's stuck-job rescue.
	JobBudget time.Duration
	// JobTimeout bounds one sync attempt (5 minutes); keep it above JobBudget plus one page.
	JobTimeout time.Duration
	// RescueStuckJobsAfter, when set, replaces River's stuck-job threshold (1 hour): a sync whose
	// process died is resumed this long after its attempt began (and not before JobTimeout).
	// River requires it to be at least the client's JobTimeout (1 minute), which is lowered to
	// match when it is shorter (crash tests).
	RescueStuckJobsAfter time.Duration
	// RetryBase and RetryMax shape the exponential backoff after provider_down and bug failures
	// (30 s doubling up to 1 hour), with ±25 % jitter.
	RetryBase, RetryMax time.Duration
	// RateLimitWait is the wait after a 429 that named none (60 s).
	RateLimitWait time.Duration
	// FailingAfter is the streak from which a degraded integration is called failing (3).
	FailingAfter int
	// PauseAfterFailures and PauseAfterDuration pause an integration that keeps failing (20 in a
	// row, or failing for 72 hours).
	PauseAfterFailures int
	PauseAfterDuration time.Duration
	// MaxEmptyPages ends a sync as provider_down after this many empty pages in a row that still
	// claim more data (50).
	MaxEmptyPages int
	// MaxWriteRecords caps the records of one sync transaction (1,000). Pages fetched ahead
	// while the previous write ran are written together up to it, so a fast provider is written
	// in fewer, larger transactions; the first page is written whatever its size.
	MaxWriteRecords int
	// ProgressEvery is the least time between two "Sync now" progress events (250 ms).
	ProgressEvery time.Duration
	// RecomputeEvery is the least time between two dashboard recomputes a running sync asks for
	// (1 s); its first page with records and its end always ask (jobs/sync_pace.go).
	RecomputeEvery time.Duration
	// AllowPrivateURLs lets providers with TypedURLs (iCalendar feeds) reach loopback and private
	// addresses (tests, feeds on an internal network). Off, they reach public addresses only.
	AllowPrivateURLs bool
	// Registry replaces the provider registry (tests); nil means Providers().
	Registry *connector.Registry
	// OnAutoPause is called after an integration paused itself. The alerts work raises an alert
	// here; an error is logged, never retried.
	OnAutoPause func(ctx context.Context, p AutoPause) error
	// OAuth are this instance's OAuth client registrations, by provider (jobs/oauth_tokens.go).
	OAuth OAuthClients
	// PublicURL is the public origin of the web side (WEDSYNC_BASE_URL): connectors that register
	// their webhook address at the provider (Google push channels) get PublicURL + WebhookPath.
	PublicURL string
}

// AutoPause describes an integration that paused itself after repeated failures.
type AutoPause struct {
	OrgID, IntegrationID int64
	PublicID, Provider   string
	Failures             int
	FailingSince         time.Time
	LastErrorClass       connector.Class
	LastError            string
}

func (c SyncConfig) withDefaults() SyncConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.HTTPTimeout, 30*time.Second)
	def(&c.ScheduleEvery, time.Minute)
	def(&c.JobBudget, time.Minute)
	def(&c.JobTimeout, 5*time.Minute)
	def(&c.RetryBase, 30*time.Second)
	def(&c.RetryMax, time.Hour)
	def(&c.RateLimitWait, time.Minute)
	def(&c.PauseAfterDuration, 72*time.Hour)
	def(&c.ProgressEvery, 250*time.Millisecond)
	def(&c.RecomputeEvery, time.Second)
	if c.ScheduleBatch <= 0 {
		c.ScheduleBatch = 1000
	}
	if c.FailingAfter <= 0 {
		c.FailingAfter = 3
	}
	if c.PauseAfterFailures <= 0 {
		c.PauseAfterFailures = 20
	}
	if c.MaxEmptyPages <= 0 {
		c.MaxEmptyPages = 50
	}
	if c.MaxWriteRecords <= 0 {
		c.MaxWriteRecords = 1000
	}
	if c.Registry == nil {
		c.Registry = Providers()
	}
	return c
}

// syncDeps is what the sync, test, webhook and scheduling workers share.
type syncDeps struct {
	db   *store.DB
	log  *slog.Logger
	keys *secret.Keyring
	cfg  SyncConfig
	now  func() time.Time
	http *http.Client
	// publicHTTP is http restricted to public addresses, for providers with TypedURLs.
	publicHTTP *http.Client
	// metrics records sync attempts and failures; nil records nothing.
	metrics *Metrics
}

// registerSync adds the sync workers and the scheduling periodic job.
func (r *Runner) registerSync(workers *river.Workers, rc *river.Config, cfg Config) error {
	sc := cfg.Sync.withDefaults()
	if sc.OnAutoPause == nil {
		// A paused integration raises a sync_failure alert through the alerting runner.
		sc.OnAutoPause = func(ctx context.Context, p AutoPause) error {
			return r.RaiseIntegrationAlert(ctx, IntegrationAlert{OrgID: p.OrgID, IntegrationID: p.IntegrationID,
				PublicID: p.PublicID, Provider: p.Provider, Failures: p.Failures, LastError: p.LastError})
		}
	}
	d := &syncDeps{db: r.db, log: r.log.With("component", "sync"), keys: cfg.Keys, cfg: sc, now: cfg.Now,
		http: &http.Client{Timeout: sc.HTTPTimeout}, publicHTTP: netguard.PublicClient(sc.HTTPTimeout), metrics: r.metrics}
	river.AddWorker(workers, &SyncWorker{d: d})
	river.AddWorker(workers, &TestConnectionWorker{d: d})
	river.AddWorker(workers, &ProcessWebhookWorker{d: d})
	river.AddWorker(workers, &ScheduleSyncsWorker{d: d})
	rc.PeriodicJobs = append(rc.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(sc.ScheduleEvery),
		func() (river.JobArgs, *river.InsertOpts) { return ScheduleSyncsArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true, ID: "schedule_syncs"}))
	if sc.RescueStuckJobsAfter > 0 {
		rc.RescueStuckJobsAfter = sc.RescueStuckJobsAfter
		if rc.JobTimeout == 0 && sc.RescueStuckJobsAfter < river.JobTimeoutDefault {
			rc.JobTimeout = sc.RescueStuckJobsAfter
		}
	}
	return nil
}
