package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// SyncRun is one attempt to sync an integration, as its history shows it.
type SyncRun struct {
	ID            int64
	IntegrationID int64
	JobID         *int64
	Trigger       string // schedule, manual or webhook
	Status        string // running, succeeded or failed
	StartedAt     time.Time
	FinishedAt    *time.Time
	Pages         int
	Counts        SyncCounts
	ErrorClass    string
	ErrorMessage  string
}

// Duration is how long the run took (so far, for a running one, against now).
func (r SyncRun) Duration(now time.Time) time.Duration {
	if r.FinishedAt != nil {
		return r.FinishedAt.Sub(r.StartedAt)
	}
	return now.Sub(r.StartedAt)
}

// SyncCounts are the changes a page (or a run) made.
type SyncCounts struct {
	Created, Updated, Deleted, Skipped int
}

// Total is the number of records written (skipped ones excluded).
func (c SyncCounts) Total() int { return c.Created + c.Updated + c.Deleted }

// Add sums two counts.
func (c SyncCounts) Add(o SyncCounts) SyncCounts {
	return SyncCounts{c.Created + o.Created, c.Updated + o.Updated, c.Deleted + o.Deleted, c.Skipped + o.Skipped}
}

const syncRunCols = `id, integration_id, job_id, trigger, status, started_at, finished_at, pages,
	created_count, updated_count, deleted_count, skipped_count, error_class, error_message`

func scanSyncRun(r pgx.CollectableRow) (SyncRun, error) {
	var s SyncRun
	err := r.Scan(&s.ID, &s.IntegrationID, &s.JobID, &s.Trigger, &s.Status, &s.StartedAt, &s.FinishedAt, &s.Pages,
		&s.Counts.Created, &s.Counts.Updated, &s.Counts.Deleted, &s.Counts.Skipped, &s.ErrorClass, &s.ErrorMessage)
	return s, err
}

// InterruptedMessage closes runs whose worker died before finishing them.
const InterruptedMessage = "Interrupted: the worker stopped before this run finished; a later run continued from the last saved page."

// StartSyncRun begins the run of job jobID, or continues the run that job already started (a job
// resumed after a snooze or rescued after a crash). Runs of other jobs still marked running (their
// process died) are closed as failed.
func (db *DB) StartSyncRun(ctx context.Context, orgID, integrationID, jobID int64, trigger string) (SyncRun, error) {
	var run SyncRun
	err := db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `update sync_runs set status = 'failed', finished_at = now(), error_class = 'interrupted',
				error_message = $3
			where integration_id = $1 and status = 'running' and job_id is distinct from $2`,
			integrationID, jobID, InterruptedMessage); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "update integrations set last_attempt_at = now() where id = $1", integrationID); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, "select "+syncRunCols+" from sync_runs where integration_id = $1 and job_id = $2 and status = 'running'",
			integrationID, jobID)
		if err != nil {
			return err
		}
		run, err = pgx.CollectExactlyOneRow(rows, scanSyncRun)
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		rows, err = tx.Query(ctx, "insert into sync_runs (org_id, integration_id, job_id, trigger) values ($1, $2, $3, $4) returning "+syncRunCols,
			orgID, integrationID, jobID, trigger)
		if err != nil {
			return err
		}
		run, err = pgx.CollectExactlyOneRow(rows, scanSyncRun)
		return err
	})
	return run, wrap("start sync run", err)
}

// SyncPage is one write of a sync, as SaveSyncPage records it: one or more of the provider's
// pages, fetched one after another.
type SyncPage struct {
	OrgID, IntegrationID, RunID int64
	// Pages is how many provider pages the write holds (1 when zero).
	Pages int
	// Cursor is where the next page starts.
	Cursor json.RawMessage
	// Counts are the page's changes; Problem, when set, is kept as the run's message (skipped
	// records).
	Counts  SyncCounts
	Problem string
	// CountChange counts the page on the organization's change counter without queueing a
	// recompute, for a page written without the write hook (a sync queues recomputes at its own
	// pace). A snapshot left behind the counter, say by a crash, is found by the periodic sweep
	// of lagging organizations.
	CountChange bool
}

// SaveSyncPage records a page inside the transaction that wrote its rows: the integration's
// cursor and record count and the run's counters move together with the data, so a crash
// never loses or repeats a page. Its statements go with the commit, in one round trip, when tx
// is a scoped store transaction.
func (db *DB) SaveSyncPage(ctx context.Context, tx pgx.Tx, p SyncPage) error {
	cursor := p.Cursor
	if len(cursor) == 0 {
		cursor = json.RawMessage("{}")
	}
	c := p.Counts
	pages := max(p.Pages, 1)
	var b pgx.Batch
	b.Queue(`update integrations set cursor = $2, records_synced = records_synced + $3, updated_at = now()
		where id = $1`, p.IntegrationID, cursor, c.Total())
	b.Queue(`update sync_runs set pages = pages + $7, created_count = created_count + $2,
			updated_count = updated_count + $3, deleted_count = deleted_count + $4, skipped_count = skipped_count + $5,
			error_class = case when $6 <> '' then 'bad_data' else error_class end,
			error_message = case when $6 <> '' then left($6, 2000) else error_message end
		where id = $1`, p.RunID, c.Created, c.Updated, c.Deleted, c.Skipped, p.Problem, pages)
	if p.CountChange {
		b.Queue(`insert into org_metric_state as s (org_id, change_seq) values ($1, 1)
			on conflict (org_id) do update set change_seq = s.change_seq + 1`, p.OrgID)
	}
	return wrap("save sync page", sendLater(ctx, tx, &b))
}

// SyncRuns lists an integration's newest runs first.
func (db *DB) SyncRuns(ctx context.Context, orgID, integrationID int64, limit int) ([]SyncRun, error) {
	var out []SyncRun
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, "select "+syncRunCols+" from sync_runs where integration_id = $1 order by started_at desc, id desc limit $2",
			integrationID, limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanSyncRun)
		return err
	})
	return out, wrap("sync runs", err)
}

// SyncRun loads one run.
func (db *DB) SyncRun(ctx context.Context, orgID, runID int64) (SyncRun, error) {
	var out SyncRun
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, "select "+syncRunCols+" from sync_runs where id = $1", runID)
		if err != nil {
			return err
		}
		out, err = pgx.CollectExactlyOneRow(rows, scanSyncRun)
		return err
	})
	return out, wrap("sync run", err)
}
