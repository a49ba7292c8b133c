package jobs

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/wedsync/wedsync/jobs/channel/email"
	"github.com/wedsync/wedsync/jobs/channel/sms"
	"github.com/wedsync/wedsync/jobs/channel/webhook"
	"github.com/wedsync/wedsync/jobs/netguard"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/secret"
)

// AlertConfig configures alert evaluation and delivery. Zero values take the defaults noted.
type AlertConfig struct {
	// BaseURL is the public origin for links in messages ("https://wedsync.example.com").
	BaseURL string
	// SMTP is the relay for email channels.
	SMTP email.Config
	// Twilio is the server's SMS account (an SMS channel may bring its own; BaseURL is shared).
	Twilio sms.Config
	// EscalateAfter is how long an unacknowledged wedding-day alert waits before each escalation
	// level (15 minutes); EscalateMaxLevel is the last level (3).
	EscalateAfter    time.Duration
	EscalateMaxLevel int
	// EvaluateEvery is the period of the evaluation of every organization's rules (5 minutes);
	// rules are also evaluated after every recompute.
	EvaluateEvery time.Duration
	// EscalateEvery and DigestEvery are the periods of the escalation and digest sweeps (1 minute).
	EscalateEvery, DigestEvery time.Duration
	// RetryBase and RetryMax shape the backoff of failed deliveries (10 s doubling up to 30
	// minutes, ±20 % jitter); MaxAttempts bounds them (12).
	RetryBase, RetryMax time.Duration
	MaxAttempts         int
	// HTTPTimeout bounds one webhook or Twilio call (10 s).
	HTTPTimeout time.Duration
	// AllowPrivateURLs lets webhook channels reach loopback and private addresses (tests,
	// self-hosted receivers on an internal network; WEDSYNC_ALLOW_PRIVATE_URLS, shared with
	// SyncConfig). Off, such deliveries fail permanently.
	AllowPrivateURLs bool
	// Limits are the per-organization budgets (50 per rolling hour for LOW..CRITICAL, 200 for
	// EMERGENCY).
	Limits store.RateLimits
	// QuietRecheck is the longest a delivery waiting for the end of quiet hours sleeps before it
	// looks at the clock again (10 minutes).
	QuietRecheck time.Duration
}

func (c AlertConfig) withDefaults() AlertConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.EscalateAfter, 15*time.Minute)
	def(&c.EvaluateEvery, 5*time.Minute)
	def(&c.EscalateEvery, time.Minute)
	def(&c.DigestEvery, time.Minute)
	def(&c.RetryBase, 10*time.Second)
	def(&c.RetryMax, 30*time.Minute)
	def(&c.HTTPTimeout, 10*time.Second)
	def(&c.QuietRecheck, 10*time.Minute)
	if c.EscalateMaxLevel <= 0 {
		c.EscalateMaxLevel = 3
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 12
	}
	if c.Limits.Window <= 0 {
		c.Limits.Window = store.DefaultRateLimits.Window
	}
	if c.Limits.Standard <= 0 {
		c.Limits.Standard = store.DefaultRateLimits.Standard
	}
	if c.Limits.Emergency <= 0 {
		c.Limits.Emergency = store.DefaultRateLimits.Emergency
	}
	return c
}

// alertDeps is what the alert workers share.
type alertDeps struct {
	db      *store.DB
	log     *slog.Logger
	keys    *secret.Keyring
	cfg     AlertConfig
	now     func() time.Time
	runner  *Runner
	email   *email.Client
	http    *http.Client
	webhook *webhook.Client
}

// alertUniqueStates are the states in which a periodic sweep counts as already queued.
var alertUniqueStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

// webhookClient is the HTTP client of webhook channels: public addresses only, unless allowed.
func webhookClient(ac AlertConfig) *http.Client {
	if ac.AllowPrivateURLs {
		return &http.Client{Timeout: ac.HTTPTimeout}
	}
	return netguard.PublicClient(ac.HTTPTimeout)
}

// registerAlerts adds the alert workers, periodic jobs and the after-snapshot rule evaluation.
func (r *Runner) registerAlerts(workers *river.Workers, rc *river.Config, cfg Config) error {
	ac := cfg.Alerts.withDefaults()
	hc := &http.Client{Timeout: ac.HTTPTimeout}
	d := &alertDeps{db: r.db, log: r.log.With("component", "alerts"), keys: cfg.Keys, cfg: ac, now: cfg.Now, runner: r,
		email: email.New(ac.SMTP), http: hc, webhook: webhook.New(webhookClient(ac))}
	river.AddWorker(workers, &EvaluateAlertsWorker{d: d})
	river.AddWorker(workers, &EvaluateAllAlertsWorker{d: d})
	river.AddWorker(workers, &DeliverNotificationWorker{d: d})
	river.AddWorker(workers, &EscalateAlertsWorker{d: d})
	river.AddWorker(workers, &AlertDigestsWorker{d: d})
	periodic := func(every time.Duration, id string, args river.JobArgs) *river.PeriodicJob {
		return river.NewPeriodicJob(river.PeriodicInterval(every),
			func() (river.JobArgs, *river.InsertOpts) { return args, nil },
			&river.PeriodicJobOpts{RunOnStart: true, ID: id})
	}
	rc.PeriodicJobs = append(rc.PeriodicJobs,
		periodic(ac.EvaluateEvery, "evaluate_all_alerts", EvaluateAllAlertsArgs{}),
		periodic(ac.EscalateEvery, "escalate_alerts", EscalateAlertsArgs{}),
		periodic(ac.DigestEvery, "alert_digests", AlertDigestsArgs{}))
	r.afterSnapshot = append(r.afterSnapshot, func(ctx context.Context, snap *store.Snapshot) error {
		// A separate job, so the recompute finishes at once: rule evaluation never holds it open.
		_, err := r.Client.Insert(ctx, EvaluateAlertsArgs{OrgID: snap.OrgID, Version: snap.Version}, nil)
		return err
	})
	return nil
}

// enqueueDeliveriesTx inserts one deliver_notification job per delivery in the caller's
// transaction; a delivery waiting for quiet hours to end is scheduled for then.
func (r *Runner) enqueueDeliveriesTx(ctx context.Context, tx pgx.Tx, ds []store.QueuedDelivery) error {
	params := make([]river.InsertManyParams, len(ds))
	for i, q := range ds {
		p := river.InsertManyParams{Args: DeliverNotificationArgs{OrgID: q.OrgID, DeliveryID: q.ID}}
		if q.Delay > 0 {
			p.InsertOpts = &river.InsertOpts{ScheduledAt: time.Now().Add(q.Delay)}
		}
		params[i] = p
	}
	_, err := r.Client.InsertManyTx(ctx, tx, params)
	return err
}

// backoff is the wait before retry attempt+1: RetryBase doubling per attempt up to RetryMax,
// with ±20 % jitter.
func backoff(cfg AlertConfig, attempt int) time.Duration {
	d := cfg.RetryBase
	for i := 1; i < attempt && d < cfg.RetryMax; i++ {
		d *= 2
	}
	d = min(d, cfg.RetryMax)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}
