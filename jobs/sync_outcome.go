package jobs

import (
	"context"
	"errors"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/riverqueue/river"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/store"
)

// failed records a failed attempt and decides what River does next:
//   - rate_limited: snooze for Retry-After (or RateLimitWait); not counted as a failure;
//   - credentials: needs_reauth, no retry (the admin must enter new credentials);
//   - permission: failing, no retry until the next scheduled run;
//   - provider_down, bad_data, bug: retry with exponential backoff and jitter (NextRetry).
//
// Counted failures build a streak; at PauseAfterFailures in a row, or after failing for
// PauseAfterDuration, the integration pauses itself, the job stops and OnAutoPause is called.
func (d *syncDeps) failed(ctx context.Context, job *river.Job[SyncArgs], in store.Integration, prog *progress, err error) error {
	if ctx.Err() != nil {
		return river.JobSnooze(0)
	}
	class := connector.ClassOf(err)
	d.metrics.syncFailed(in.Provider, class)
	var ce *connector.Error
	errors.As(err, &ce)
	now := d.now()
	interval := time.Duration(in.IntervalMinutes) * time.Minute
	f := store.SyncFailure{Class: string(class), Message: err.Error(), Counts: true}
	var next error
	var paused bool
	var streak int
	var since time.Time
	decide := func(forced string) func(int, time.Time) (string, string) {
		return func(n int, s time.Time) (string, string) {
			streak, since = n, s
			if n >= d.cfg.PauseAfterFailures || now.Sub(s) >= d.cfg.PauseAfterDuration {
				paused = true
				return store.IntegrationPaused, "failures"
			}
			if forced != "" {
				return forced, ""
			}
			if n >= d.cfg.FailingAfter {
				return store.IntegrationFailing, ""
			}
			return store.IntegrationDegraded, ""
		}
	}
	switch class {
	case connector.ClassRateLimited:
		wait := d.cfg.RateLimitWait
		if ce != nil && ce.RetryAfter > 0 {
			wait = ce.RetryAfter
		}
		f.Counts = false
		f.NextRunAt = now.Add(wait)
		f.Decide = func(int, time.Time) (string, string) { return store.IntegrationDegraded, "" }
		next = river.JobSnooze(wait)
	case connector.ClassCredentials:
		f.NextRunAt = now.Add(interval)
		f.Decide = decide(store.IntegrationNeedsReauth)
		next = river.JobCancel(err)
	case connector.ClassPermission:
		f.NextRunAt = now.Add(interval)
		f.Decide = decide(store.IntegrationFailing)
		next = river.JobCancel(err)
	default:
		f.NextRunAt = now.Add(d.backoff(job.ID, job.Attempt))
		if job.Attempt >= job.MaxAttempts {
			f.NextRunAt = now.Add(interval)
		}
		f.Decide = decide("")
		next = err
	}
	if _, dbErr := d.db.SyncFailed(context.WithoutCancel(ctx), job.Args.OrgID, in.ID, prog.run.ID, f); dbErr != nil {
		return errors.Join(err, dbErr)
	}
	if paused {
		next = river.JobCancel(err)
		d.autoPaused(ctx, AutoPause{OrgID: job.Args.OrgID, IntegrationID: in.ID, PublicID: in.PublicID, Provider: in.Provider,
			Failures: streak, FailingSince: since, LastErrorClass: class, LastError: err.Error()})
	}
	d.log.Warn("sync failed", "integration", in.PublicID, "provider", in.Provider, "class", class, "attempt", job.Attempt,
		"paused", paused, "err", err)
	prog.done(ctx, string(class), err.Error())
	return next
}

// autoPaused runs the alert hook; its failure is logged, never retried.
func (d *syncDeps) autoPaused(ctx context.Context, p AutoPause) {
	d.log.Warn("integration paused itself after repeated failures", "integration", p.PublicID, "failures", p.Failures)
	if d.cfg.OnAutoPause == nil {
		return
	}
	if err := d.cfg.OnAutoPause(context.WithoutCancel(ctx), p); err != nil {
		d.log.Error("auto-pause hook", "integration", p.PublicID, "err", err)
	}
}

// backoff is RetryBase doubled per attempt up to RetryMax, times a jitter factor in [0.75, 1.25)
// derived from the job and attempt, so NextRetry and the integration's next run agree.
func (d *syncDeps) backoff(jobID int64, attempt int) time.Duration {
	b := d.cfg.RetryBase
	for i := 1; i < attempt && b < d.cfg.RetryMax; i++ {
		b *= 2
	}
	b = min(b, d.cfg.RetryMax)
	h := fnv.New64a()
	h.Write([]byte(strconv.FormatInt(jobID, 10) + ":" + strconv.Itoa(attempt)))
	frac := float64(h.Sum64()%10_000) / 10_000
	return time.Duration(float64(b) * (0.75 + 0.5*frac))
}
