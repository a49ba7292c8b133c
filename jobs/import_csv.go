package jobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/csvimport"
	"github.com/wedsync/wedsync/jobs/connector/zapier"
	"github.com/wedsync/wedsync/store"
)

// ImportBatch is how many rows one transaction of an import writes (and how often its progress
// advances).
const ImportBatch = 200

// ImportCSVArgs imports one confirmed CSV upload of a HoneyBook or Dubsado integration.
type ImportCSVArgs struct {
	ImportID      int64 `json:"import_id" river:"unique"`
	OrgID         int64 `json:"org_id"`
	IntegrationID int64 `json:"integration_id"`
}

// Kind is the stable job kind.
func (ImportCSVArgs) Kind() string { return "import_csv" }

// InsertOpts puts imports on the sync queue (long work, never in front of webhooks), once per
// upload.
func (ImportCSVArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueSync, MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: syncUniqueStates}}
}

// RequestCSVImport confirms an upload with its mapping and enqueues its import in one
// transaction; store.ErrConflict when it was already confirmed.
func (r *Runner) RequestCSVImport(ctx context.Context, orgID, userID, integrationID, importID int64, mapping map[string]int) error {
	return r.db.QueueCSVImport(ctx, orgID, userID, integrationID, importID, mapping, func(tx pgx.Tx) error {
		_, err := r.Client.InsertTx(ctx, tx, ImportCSVArgs{ImportID: importID, OrgID: orgID, IntegrationID: integrationID}, nil)
		return err
	})
}

// ImportCSVWorker maps the rows of an upload and upserts them in batches. Each batch writes its
// rows, their content hashes and the import's counters in one transaction, so a job that stops
// resumes after the last batch; a row whose hash is unchanged since the last import of the
// integration is not written at all.
type ImportCSVWorker struct {
	river.WorkerDefaults[ImportCSVArgs]
	db  *store.DB
	log *slog.Logger
}

// Timeout bounds one attempt; a resumed attempt skips the rows already committed.
func (w *ImportCSVWorker) Timeout(*river.Job[ImportCSVArgs]) time.Duration { return 10 * time.Minute }

// Work imports the file.
func (w *ImportCSVWorker) Work(ctx context.Context, job *river.Job[ImportCSVArgs]) error {
	a := job.Args
	imp, err := w.db.StartCSVImport(ctx, a.OrgID, a.ImportID)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
		return nil // deleted with its integration, or already finished
	}
	if err != nil {
		return err
	}
	in, err := w.db.IntegrationByID(ctx, a.OrgID, a.IntegrationID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	org, err := w.db.Org(ctx, a.OrgID)
	if err != nil {
		return err
	}
	tab, err := csvimport.Parse(bytes.NewReader(imp.Data))
	if err != nil {
		return w.db.FinishCSVImport(ctx, a.OrgID, imp.ID, store.ImportFailed, err.Error())
	}
	opt, m := ImportOptions(in, org.Currency), ImportMapping(imp.Mapping)
	for from := imp.Processed; from < len(tab.Rows); from += ImportBatch {
		rows := tab.Rows[from:min(from+ImportBatch, len(tab.Rows))]
		if err := w.importBatch(ctx, a, rows, m, opt); err != nil {
			return fmt.Errorf("import csv %d rows %d-%d: %w", imp.ID, from+1, from+len(rows), err)
		}
	}
	return w.db.FinishCSVImport(ctx, a.OrgID, imp.ID, store.ImportSucceeded, "")
}

// ImportOptions are the row options of an integration's imports: its provider, and its
// configured currency or else the organization's. The preview uses the same.
func ImportOptions(in store.Integration, orgCurrency string) csvimport.Options {
	opt := csvimport.Options{Provider: in.Provider, Currency: strings.ToUpper(strings.TrimSpace(in.Config[zapier.CurrencyField]))}
	if opt.Currency == "" {
		opt.Currency = orgCurrency
	}
	return opt
}

// ImportMapping reads a stored mapping (field name → column).
func ImportMapping(stored map[string]int) csvimport.Mapping {
	m := csvimport.Mapping{}
	for k, v := range stored {
		m[csvimport.Field(k)] = v
	}
	return m
}

// importBatch writes one batch in one transaction. Each row gets a savepoint, so a row the
// database refuses is reported with its line and the others are kept.
func (w *ImportCSVWorker) importBatch(ctx context.Context, a ImportCSVArgs, rows []csvimport.Row, m csvimport.Mapping, opt csvimport.Options) error {
	p := store.ImportProgress{Rows: len(rows)}
	items := make([]csvimport.Item, 0, len(rows))
	ids := make([]string, 0, len(rows))
	for _, row := range rows {
		it, err := csvimport.MapRow(row, m, opt)
		var re *csvimport.RowError
		switch {
		case errors.As(err, &re):
			p.Errors = append(p.Errors, store.ImportRowError{Line: re.Line, Message: re.Msg})
			continue
		case err != nil:
			return err
		}
		items = append(items, it)
		ids = append(ids, it.ExternalID)
	}
	return w.db.WriteOrg(ctx, a.OrgID, func(tx pgx.Tx) error {
		hashes, err := w.db.ImportRowHashes(ctx, tx, a.IntegrationID, ids)
		if err != nil {
			return err
		}
		written := 0
		for _, it := range items {
			old, seen := hashes[it.ExternalID]
			if seen && old == it.Hash {
				p.Unchanged++
				continue
			}
			if msg, err := w.applyRow(ctx, tx, a, it); err != nil {
				return err
			} else if msg != "" {
				p.Errors = append(p.Errors, store.ImportRowError{Line: it.Line, Message: msg})
				continue
			}
			if err := w.db.SaveImportRowHash(ctx, tx, a.OrgID, a.IntegrationID, a.ImportID, it.ExternalID, it.Hash); err != nil {
				return err
			}
			hashes[it.ExternalID] = it.Hash
			written += len(it.Records)
			if seen {
				p.Updated++
			} else {
				p.Created++
			}
		}
		if err := w.db.AddRecordsSynced(ctx, tx, a.IntegrationID, written); err != nil {
			return err
		}
		return w.db.AddImportProgress(ctx, tx, a.ImportID, p)
	})
}

// applyRow upserts one row's records under a savepoint; msg explains a row that was refused.
func (w *ImportCSVWorker) applyRow(ctx context.Context, tx pgx.Tx, a ImportCSVArgs, it csvimport.Item) (msg string, err error) {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return "", err
	}
	_, problem, err := applyRecords(ctx, w.db, sp, a.OrgID, a.IntegrationID, it.Records)
	if err == nil && problem == "" {
		return "", sp.Commit(ctx)
	}
	if rbErr := sp.Rollback(ctx); rbErr != nil {
		return "", rbErr
	}
	if err != nil {
		if connector.ClassOf(err) != connector.ClassBadData {
			return "", err
		}
		problem = err.Error()
	}
	w.log.Debug("import row refused", "import", a.ImportID, "line", it.Line, "problem", problem)
	return problem, nil
}
