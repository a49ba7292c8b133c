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
			err = fmt.Errorf("import csv %d rows %d-%d: %w", imp.ID, from+1, from+len(rows), err)
			if job.Attempt >= job.MaxAttempts && ctx.Err() == nil {
				// The last attempt: say so on the page instead of running for ever.
				w.log.Error("import failed", "import", imp.ID, "err", err)
				return w.db.FinishCSVImport(ctx, a.OrgID, imp.ID, store.ImportFailed,
					fmt.Sprintf("The import stopped after %d of %d rows; the rows before were imported. Upload the file again to finish.", from, len(tab.Rows)))
			}
			return err
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

// mapped is one row of a batch: its item, or why it cannot be imported.
type mapped struct {
	item csvimport.Item
	err  *store.ImportRowError
}

// importBatch writes one batch of rows in one transaction. When a statement fails (the
// database refused a row and took the transaction with it), the batch is written again one row
// per transaction, so only the row at fault is reported and the others are kept.
func (w *ImportCSVWorker) importBatch(ctx context.Context, a ImportCSVArgs, rows []csvimport.Row, m csvimport.Mapping, opt csvimport.Options) error {
	batch := make([]mapped, 0, len(rows))
	for _, row := range rows {
		it, err := csvimport.MapRow(row, m, opt)
		var re *csvimport.RowError
		switch {
		case errors.As(err, &re):
			batch = append(batch, mapped{err: &store.ImportRowError{Line: re.Line, Message: re.Msg}})
		case err != nil:
			return err
		default:
			batch = append(batch, mapped{item: it})
		}
	}
	err := w.writeRows(ctx, a, batch)
	if connector.ClassOf(err) != connector.ClassBadData {
		return err
	}
	for _, one := range batch {
		err := w.writeRows(ctx, a, []mapped{one})
		var ce *connector.Error
		if errors.As(err, &ce) && ce.Class == connector.ClassBadData {
			w.log.Debug("import row refused", "import", a.ImportID, "line", one.item.Line, "err", err)
			err = w.writeRows(ctx, a, []mapped{{err: &store.ImportRowError{Line: one.item.Line, Message: ce.Err.Error()}}})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// writeRows writes rows and the import's progress in one transaction. A row whose content hash
// is the one stored by an earlier import is unchanged and not written. Each row's client,
// inquiry and booking are written in order; the payments of all rows go in one batch at the
// end (one statement instead of one per row). A record the framework skips makes its row an
// error, whose hash is not stored, so the next upload tries it again.
func (w *ImportCSVWorker) writeRows(ctx context.Context, a ImportCSVArgs, rows []mapped) error {
	p := store.ImportProgress{Rows: len(rows)}
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		if r.err == nil {
			ids = append(ids, r.item.ExternalID)
		}
	}
	write := w.db.WriteOrg
	if len(ids) == 0 {
		write = w.db.QuietWriteOrg
	}
	return write(ctx, a.OrgID, func(tx pgx.Tx) error {
		hashes, err := w.db.ImportRowHashes(ctx, tx, a.IntegrationID, ids)
		if err != nil {
			return err
		}
		var pending []csvimport.Item
		var payments []connector.Record
		var payer []int // payments[k] belongs to pending[payer[k]]
		written := 0
		for _, r := range rows {
			if r.err != nil {
				p.Errors = append(p.Errors, *r.err)
				continue
			}
			it := r.item
			if old, seen := hashes[it.ExternalID]; seen && old == it.Hash {
				p.Unchanged++
				continue
			}
			var others []connector.Record
			for _, rec := range it.Records {
				if rec.Kind == connector.KindPayment {
					payments, payer = append(payments, rec), append(payer, len(pending))
				} else {
					others = append(others, rec)
				}
			}
			counts, problem, err := applyRecords(ctx, w.db, tx, a.OrgID, a.IntegrationID, others)
			if err != nil {
				return err
			}
			written += counts.Total()
			if problem != "" {
				p.Errors = append(p.Errors, store.ImportRowError{Line: it.Line, Message: problem})
				payments, payer = dropLast(payments, payer, len(pending))
				continue
			}
			pending = append(pending, it)
		}
		failed, n, err := w.applyPayments(ctx, tx, a, payments)
		if err != nil {
			return err
		}
		written += n
		for k, msg := range failed {
			it := pending[payer[k]]
			p.Errors = append(p.Errors, store.ImportRowError{Line: it.Line, Message: msg})
			pending[payer[k]].ExternalID = "" // not done: no hash
		}
		for _, it := range pending {
			if it.ExternalID == "" {
				continue
			}
			if err := w.db.SaveImportRowHash(ctx, tx, a.OrgID, a.IntegrationID, a.ImportID, it.ExternalID, it.Hash); err != nil {
				return err
			}
			if _, seen := hashes[it.ExternalID]; seen {
				p.Updated++
			} else {
				p.Created++
			}
			hashes[it.ExternalID] = it.Hash
		}
		if err := w.db.AddRecordsSynced(ctx, tx, a.IntegrationID, written); err != nil {
			return err
		}
		return w.db.AddImportProgress(ctx, tx, a.ImportID, p)
	})
}

// dropLast removes the trailing payments of row i (a row that failed before its payments).
func dropLast(payments []connector.Record, payer []int, i int) ([]connector.Record, []int) {
	for len(payer) > 0 && payer[len(payer)-1] == i {
		payments, payer = payments[:len(payments)-1], payer[:len(payer)-1]
	}
	return payments, payer
}

// applyPayments upserts the payments of a batch in one statement, linked as applyRecords links
// them, and returns why each skipped one was skipped (by index) and how many were written.
func (w *ImportCSVWorker) applyPayments(ctx context.Context, tx pgx.Tx, a ImportCSVArgs, recs []connector.Record) (map[int]string, int, error) {
	if len(recs) == 0 {
		return nil, 0, nil
	}
	rows := make([]store.PaymentUpsert, len(recs))
	for i, rec := range recs {
		row := rec.Row.(store.PaymentRow)
		row.IntegrationID = a.IntegrationID
		rows[i] = store.PaymentUpsert{PaymentRow: row, InvoiceExternalID: rec.Links[connector.KindInvoice],
			BookingExternalID: rec.Links[connector.KindBooking], BookingRef: rec.BookingRef, ClientEmail: rec.ClientEmail}
	}
	res, err := w.db.UpsertPaymentsBatch(ctx, tx, a.OrgID, rows)
	if err != nil {
		return nil, 0, &connector.Error{Class: connector.ClassBadData, Err: fmt.Errorf("%d payments: %w", len(rows), err)}
	}
	failed := map[int]string{}
	for _, s := range res.Skipped {
		failed[s.Index] = fmt.Sprintf("payment %s skipped: %v", recs[s.Index].ExternalID, s.Err)
	}
	return failed, res.Created + res.Updated, nil
}
