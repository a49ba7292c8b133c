package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/store"
)

// Sync triggers, as sync runs record them.
const (
	TriggerSchedule = "schedule"
	TriggerManual   = "manual"
	TriggerWebhook  = "webhook"
)

// SyncArgs asks for a sync of one integration: fetch pages from its cursor, upsert each page
// and advance the cursor in one transaction, until the provider says done.
type SyncArgs struct {
	IntegrationID int64  `json:"integration_id" river:"unique"`
	OrgID         int64  `json:"org_id"`
	Trigger       string `json:"trigger"`
}

// Kind is the stable job kind.
func (SyncArgs) Kind() string { return "sync_integration" }

// syncUniqueStates: one sync per integration waiting, running or retrying; a finished one does
// not block the next.
var syncUniqueStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

// InsertOpts makes syncs unique per integration on the sync queue (whose MaxWorkers limits how
// many run at once). MaxAttempts stays above the failure streak that pauses an integration.
func (SyncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueSync, MaxAttempts: 25,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: syncUniqueStates}}
}

// SyncWorker runs one integration's sync.
type SyncWorker struct {
	river.WorkerDefaults[SyncArgs]
	d *syncDeps
}

// Timeout bounds one attempt; a long sync continues across attempts (SyncConfig.JobBudget).
func (w *SyncWorker) Timeout(*river.Job[SyncArgs]) time.Duration { return w.d.cfg.JobTimeout }

// NextRetry is exponential backoff with jitter after provider_down and bug failures.
func (w *SyncWorker) NextRetry(job *river.Job[SyncArgs]) time.Time {
	return time.Now().Add(w.d.backoff(job.ID, job.Attempt))
}

// Work syncs until the provider is done, the budget is spent (then it snoozes and continues), or
// a failure is classified and handled.
func (w *SyncWorker) Work(ctx context.Context, job *river.Job[SyncArgs]) (err error) {
	d := w.d
	started := time.Now() // the budget is real time, whatever the configured clock
	t, err := d.db.SyncTarget(ctx, job.Args.OrgID, job.Args.IntegrationID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted meanwhile
	}
	if err != nil {
		return err
	}
	if t.Status == store.IntegrationPaused || (t.Status == store.IntegrationNeedsReauth && job.Args.Trigger != TriggerManual) {
		return nil
	}
	trigger := job.Args.Trigger
	if trigger == "" {
		trigger = TriggerSchedule
	}
	defer func() { d.metrics.syncAttempt(t.Provider, started, err) }()
	run, err := d.db.StartSyncRun(ctx, job.Args.OrgID, t.ID, job.ID, trigger)
	if err != nil {
		return err
	}
	prog := d.progress(job.Args.OrgID, t.Integration, run)
	prog.publish(ctx, false)
	conn, err := d.connect(ctx, job.Args.OrgID, t.Integration, t.Sealed)
	if err != nil {
		return d.failed(ctx, job, t.Integration, prog, err)
	}
	feed := startFeed(ctx, conn, t.Cursor)
	defer feed.stop()
	pace := &recomputePacer{every: d.cfg.RecomputeEvery}
	empty := 0
	for {
		if time.Since(started) >= d.cfg.JobBudget {
			return river.JobSnooze(0) // continue in a fresh attempt from the saved cursor
		}
		pages, err := feed.next(ctx, d.cfg.MaxWriteRecords)
		for _, page := range pages {
			if len(page.Records) > 0 || page.Done {
				empty = 0
			} else if empty++; empty > d.cfg.MaxEmptyPages {
				err = &connector.Error{Class: connector.ClassProviderDown,
					Err: fmt.Errorf("%d empty pages in a row that claim more data", empty)}
			}
		}
		if err == nil {
			err = d.savePages(ctx, job.Args.OrgID, t.ID, &prog.run, pages, pace)
		}
		if ctx.Err() != nil {
			return river.JobSnooze(0) // shutting down or timed out: the saved cursor is intact
		}
		if err != nil {
			return d.failed(ctx, job, t.Integration, prog, err)
		}
		prog.publish(ctx, false)
		if pages[len(pages)-1].Done {
			break
		}
	}
	if err := d.db.SyncSucceeded(ctx, job.Args.OrgID, t.ID, prog.run.ID, d.now().Add(time.Duration(t.IntervalMinutes)*time.Minute)); err != nil {
		return err
	}
	prog.done(ctx, "", "")
	return nil
}

// savePages writes pages fetched one after another in one transaction: their records, the last
// one's cursor and the run's counters. A write with records that pace says is due goes through
// WriteOrg, which queues a recompute; the others are written quietly and only counted as a
// change (see recomputePacer). Pages without records change nothing the dashboard shows.
func (d *syncDeps) savePages(ctx context.Context, orgID, integrationID int64, run *store.SyncRun, pages []connector.Page, pace *recomputePacer) error {
	recs := pages[0].Records
	if len(pages) > 1 {
		recs = nil
		for _, p := range pages {
			recs = append(recs, p.Records...)
		}
	}
	write, countChange := d.db.QuietWriteOrg, false
	if len(recs) > 0 {
		if pace.due(time.Now()) { // real time, whatever the configured clock
			write = d.db.WriteOrg
		} else {
			countChange = true
		}
	}
	var counts store.SyncCounts
	err := write(ctx, orgID, func(tx pgx.Tx) error {
		c, problem, err := applyRecords(ctx, d.db, tx, orgID, integrationID, recs)
		if err != nil {
			return err
		}
		counts = c
		return d.db.SaveSyncPage(ctx, tx, store.SyncPage{OrgID: orgID, IntegrationID: integrationID, RunID: run.ID,
			Pages: len(pages), Cursor: pages[len(pages)-1].Cursor, Counts: c, Problem: problem, CountChange: countChange})
	})
	if err != nil {
		return err
	}
	run.Pages += len(pages)
	run.Counts = run.Counts.Add(counts)
	return nil
}

// connect opens the integration's credentials and builds its connector.
func (d *syncDeps) connect(ctx context.Context, orgID int64, in store.Integration, sealed *string) (connector.Connector, error) {
	p, ok := d.cfg.Registry.Lookup(in.Provider)
	if !ok {
		return nil, &connector.Error{Class: connector.ClassBug, Err: fmt.Errorf("no connector for provider %q in this build", in.Provider)}
	}
	if d.keys == nil {
		return nil, &connector.Error{Class: connector.ClassBug, Err: errors.New("no secret keyring configured")}
	}
	secrets, err := store.OpenSecrets(d.keys, in.ID, sealed)
	if err != nil {
		return nil, &connector.Error{Class: connector.ClassCredentials,
			Err: errors.New("the stored credentials cannot be decrypted with the current keys; enter them again")}
	}
	client := d.http
	if p.TypedURLs && !d.cfg.AllowPrivateURLs {
		client = d.publicHTTP
	}
	params := ProviderParams(in, secrets, d.cfg.BaseURLs[in.Provider], client, d.webhookURL(in), d.now)
	if p.OAuth != nil {
		client, err := d.oauthHTTPClient(ctx, orgID, in, p, secrets)
		if err != nil {
			return nil, err
		}
		if client != nil {
			params.HTTPClient = client
		}
	}
	conn, err := p.New(params)
	if err != nil {
		if connector.ClassOf(err) == connector.ClassBug {
			return nil, &connector.Error{Class: connector.ClassCredentials, Err: err}
		}
		return nil, err
	}
	return d.keepChannels(orgID, in, conn), nil
}
