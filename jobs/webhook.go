package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/store"
)

// AcceptWebhook stores a verified event and enqueues process_webhook in the same transaction.
// A replay of an event already stored changes nothing and returns accepted false. It does no
// provider work, so the webhook answers at once.
func (r *Runner) AcceptWebhook(ctx context.Context, orgID, integrationID int64, ev connector.WebhookEvent, body []byte) (accepted bool, err error) {
	err = r.db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		id, inserted, err := r.db.InsertWebhookEvent(ctx, tx, orgID, integrationID, ev.ID, ev.Type, body)
		if err != nil || !inserted {
			return err
		}
		accepted = true
		_, err = r.Client.InsertTx(ctx, tx, ProcessWebhookArgs{EventID: id, OrgID: orgID, IntegrationID: integrationID}, nil)
		return err
	})
	return accepted, err
}

// ProcessWebhookArgs applies one stored webhook event.
type ProcessWebhookArgs struct {
	EventID       int64 `json:"event_id"`
	OrgID         int64 `json:"org_id"`
	IntegrationID int64 `json:"integration_id"`
}

// Kind is the stable job kind.
func (ProcessWebhookArgs) Kind() string { return "process_webhook" }

// InsertOpts puts webhook work on the default queue (short jobs, never behind long syncs).
func (ProcessWebhookArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: river.QueueDefault, MaxAttempts: 10}
}

// ProcessWebhookWorker maps a stored event to records through the connector (EventMapper) and
// writes them, marking the event processed in the same transaction; a connector that cannot map
// events gets an incremental sync instead.
type ProcessWebhookWorker struct {
	river.WorkerDefaults[ProcessWebhookArgs]
	d *syncDeps
}

// Timeout bounds one event.
func (w *ProcessWebhookWorker) Timeout(*river.Job[ProcessWebhookArgs]) time.Duration {
	return w.d.cfg.HTTPTimeout + 30*time.Second
}

// Work applies the event once: a replayed job finds it processed and does nothing.
func (w *ProcessWebhookWorker) Work(ctx context.Context, job *river.Job[ProcessWebhookArgs]) error {
	d, a := w.d, job.Args
	t, err := d.db.SyncTarget(ctx, a.OrgID, a.IntegrationID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	ev, err := d.db.WebhookEvent(ctx, a.OrgID, a.EventID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && ev.ProcessedAt != nil) {
		return nil
	}
	if err != nil {
		return err
	}
	res := connector.EventResult{Sync: true}
	conn, err := d.connect(ctx, a.OrgID, t.Integration, t.Sealed)
	if err != nil {
		return webhookErr(err)
	}
	if m, ok := conn.(connector.EventMapper); ok {
		if res, err = m.MapEvent(ctx, connector.StoredEvent{ID: ev.ProviderEventID, Type: ev.Type, Payload: ev.Payload}); err != nil {
			return webhookErr(err)
		}
	}
	write := d.db.WriteOrg
	if len(res.Records) == 0 {
		write = d.db.QuietWriteOrg
	}
	err = write(ctx, a.OrgID, func(tx pgx.Tx) error {
		locked, err := d.db.LockWebhookEvent(ctx, tx, ev.ID)
		if err != nil || locked.ProcessedAt != nil {
			return err
		}
		counts, problem, err := applyRecords(ctx, d.db, tx, a.OrgID, t.ID, res.Records)
		if err != nil {
			return err
		}
		if problem != "" {
			d.log.Warn("webhook record skipped", "integration", t.PublicID, "event", ev.ProviderEventID, "problem", problem)
		}
		if err := d.db.AddRecordsSynced(ctx, tx, t.ID, counts.Total()); err != nil {
			return err
		}
		if res.Sync && t.Status != store.IntegrationPaused {
			ins, err := river.ClientFromContext[pgx.Tx](ctx).InsertTx(ctx, tx,
				SyncArgs{IntegrationID: t.ID, OrgID: a.OrgID, Trigger: TriggerWebhook}, nil)
			if err != nil {
				return err
			}
			if ins.UniqueSkippedAsDuplicate && ins.Job != nil && ins.Job.State == rivertype.JobStateRunning {
				return errSyncRunning
			}
		}
		return d.db.MarkWebhookEventProcessed(ctx, tx, ev.ID)
	})
	if errors.Is(err, errSyncRunning) {
		return river.JobSnooze(syncRunningWait)
	}
	return err
}

// errSyncRunning: the sync an event asks for would be a duplicate of a running one, which may
// have read past this change already. The event is applied again once that sync is over.
var errSyncRunning = errors.New("a sync of this integration is running")

// syncRunningWait is how long an event waits for a running sync before it asks again.
const syncRunningWait = time.Second

// webhookErr stops retrying what cannot get better by waiting (credentials, permissions, bad
// data); other failures retry with River's backoff.
func webhookErr(err error) error {
	switch connector.ClassOf(err) {
	case connector.ClassCredentials, connector.ClassPermission, connector.ClassBadData:
		return river.JobCancel(err)
	}
	return err
}
