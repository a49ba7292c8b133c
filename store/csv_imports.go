package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// CSV import states.
const (
	ImportUploaded  = "uploaded"  // waiting for the mapping to be confirmed
	ImportQueued    = "queued"    // confirmed; the job has not started
	ImportRunning   = "running"   // the job is writing rows
	ImportSucceeded = "succeeded" // every row was read (some may have errors)
	ImportFailed    = "failed"    // the file could not be imported at all
)

// MaxImportErrors is how many row errors an import keeps (the count goes on).
const MaxImportErrors = 500

// ImportRowError is one row that could not be imported: its line in the file and why.
type ImportRowError struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// CSVImport is one uploaded export and the progress of its import.
type CSVImport struct {
	ID            int64
	IntegrationID int64
	Filename      string
	SizeBytes     int
	Header        []string
	// Mapping is field name → 0-based column.
	Mapping   map[string]int
	Status    string
	TotalRows int
	Processed int
	Created   int
	Updated   int
	Unchanged int
	ErrorRows int
	Errors    []ImportRowError
	Failure   string
	CreatedAt time.Time
	// FinishedAt is set once the import succeeded or failed.
	FinishedAt *time.Time
}

// Done reports whether the import has finished.
func (i CSVImport) Done() bool { return i.Status == ImportSucceeded || i.Status == ImportFailed }

const csvImportCols = `id, integration_id, filename, size_bytes, header, mapping, status, total_rows, processed_rows,
	created_count, updated_count, unchanged_count, error_count, errors, failure, created_at, finished_at`

func scanCSVImport(r pgx.CollectableRow) (CSVImport, error) {
	var i CSVImport
	err := r.Scan(&i.ID, &i.IntegrationID, &i.Filename, &i.SizeBytes, &i.Header, &i.Mapping, &i.Status, &i.TotalRows, &i.Processed,
		&i.Created, &i.Updated, &i.Unchanged, &i.ErrorRows, &i.Errors, &i.Failure, &i.CreatedAt, &i.FinishedAt)
	return i, err
}

// NewCSVImport is an upload that parsed: its bytes, header, guessed mapping and row count.
type NewCSVImport struct {
	IntegrationID int64
	Filename      string
	Data          []byte
	Header        []string
	Mapping       map[string]int
	TotalRows     int
}

// AbandonedImportAge is how long an upload waits for its mapping to be confirmed; the next
// upload of the integration drops older unconfirmed ones (and their bytes).
const AbandonedImportAge = 7 * 24 * time.Hour

// CreateCSVImport stores an upload waiting for its mapping to be confirmed, and drops the bytes
// of the integration's uploads left unconfirmed for AbandonedImportAge.
func (db *DB) CreateCSVImport(ctx context.Context, orgID, userID int64, in NewCSVImport) (int64, error) {
	var id int64
	err := db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `update csv_imports set status = 'failed', data = null, finished_at = now(),
				failure = 'Never confirmed; upload the file again to import it.'
			where integration_id = $1 and status = 'uploaded' and created_at < now() - $2::interval`,
			in.IntegrationID, AbandonedImportAge); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `insert into csv_imports (org_id, integration_id, created_by, filename, data, size_bytes, header,
				mapping, total_rows)
			values ($1, $2, $3, left($4, 255), $5, $6, $7, $8, $9) returning id`, orgID, in.IntegrationID, userID, in.Filename,
			in.Data, len(in.Data), in.Header, in.Mapping, in.TotalRows).Scan(&id); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "upload", "csv_import", id, map[string]any{"filename": in.Filename, "rows": in.TotalRows})
	})
	return id, wrap("create csv import", err)
}

// CSVImport loads one import of an integration (without its bytes); ErrNotFound otherwise.
func (db *DB) CSVImport(ctx context.Context, orgID, integrationID, id int64) (CSVImport, error) {
	var out CSVImport
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, "select "+csvImportCols+" from csv_imports where id = $1 and integration_id = $2", id, integrationID)
		if err != nil {
			return err
		}
		out, err = pgx.CollectExactlyOneRow(rows, scanCSVImport)
		return err
	})
	return out, wrap("csv import", err)
}

// CSVImports lists an integration's newest imports.
func (db *DB) CSVImports(ctx context.Context, orgID, integrationID int64, limit int) ([]CSVImport, error) {
	var out []CSVImport
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, "select "+csvImportCols+" from csv_imports where integration_id = $1 order by id desc limit $2",
			integrationID, limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanCSVImport)
		return err
	})
	return out, wrap("csv imports", err)
}

// SaveCSVImportMapping replaces the mapping of an import that is still waiting; ErrConflict
// once it was confirmed.
func (db *DB) SaveCSVImportMapping(ctx context.Context, orgID, integrationID, id int64, mapping map[string]int) error {
	err := db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		return updateWaiting(ctx, tx, integrationID, id, "mapping = $3", mapping)
	})
	return wrap("save csv import mapping", err)
}

// QueueCSVImport confirms a waiting import with its final mapping and, in the same transaction,
// calls enqueue (which inserts the import job); ErrConflict when it was already confirmed.
func (db *DB) QueueCSVImport(ctx context.Context, orgID, userID, integrationID, id int64, mapping map[string]int, enqueue func(tx pgx.Tx) error) error {
	err := db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		if err := updateWaiting(ctx, tx, integrationID, id, "mapping = $3, status = 'queued'", mapping); err != nil {
			return err
		}
		if err := enqueue(tx); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "import", "csv_import", id, map[string]any{"mapping": mapping})
	})
	return wrap("queue csv import", err)
}

func updateWaiting(ctx context.Context, tx pgx.Tx, integrationID, id int64, set string, mapping map[string]int) error {
	var status string
	if err := tx.QueryRow(ctx, "select status from csv_imports where id = $1 and integration_id = $2 for update", id, integrationID).
		Scan(&status); err != nil {
		return err
	}
	if status != ImportUploaded {
		return fmt.Errorf("%w: this import was already confirmed", ErrConflict)
	}
	_, err := tx.Exec(ctx, "update csv_imports set "+set+" where id = $1 and integration_id = $2", id, integrationID, mapping)
	return err
}

// CSVImportWork is what the import job reads: the import and its bytes.
type CSVImportWork struct {
	CSVImport
	Data []byte
}

// StartCSVImport marks a queued (or interrupted running) import as running and returns it with
// its bytes; ErrNotFound when it is gone, ErrConflict when it has finished.
func (db *DB) StartCSVImport(ctx context.Context, orgID, id int64) (CSVImportWork, error) {
	var w CSVImportWork
	err := db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `update csv_imports set status = 'running', started_at = coalesce(started_at, now())
			where id = $1 and status in ('queued', 'running')`, id); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, "select "+csvImportCols+", data from csv_imports where id = $1", id)
		if err != nil {
			return err
		}
		w, err = pgx.CollectExactlyOneRow(rows, func(r pgx.CollectableRow) (CSVImportWork, error) {
			var x CSVImportWork
			i := &x.CSVImport
			err := r.Scan(&i.ID, &i.IntegrationID, &i.Filename, &i.SizeBytes, &i.Header, &i.Mapping, &i.Status, &i.TotalRows, &i.Processed,
				&i.Created, &i.Updated, &i.Unchanged, &i.ErrorRows, &i.Errors, &i.Failure, &i.CreatedAt, &i.FinishedAt, &x.Data)
			return x, err
		})
		if err == nil && w.Status != ImportRunning {
			return fmt.Errorf("%w: import %d is %s", ErrConflict, id, w.Status)
		}
		return err
	})
	return w, wrap("start csv import", err)
}

// ImportRowHashes returns the stored content hashes of an integration's imported projects.
func (db *DB) ImportRowHashes(ctx context.Context, tx pgx.Tx, integrationID int64, externalIDs []string) (map[string]string, error) {
	rows, err := tx.Query(ctx, `select external_id, content_hash from csv_import_rows
		where integration_id = $1 and external_id = any($2)`, integrationID, externalIDs)
	if err != nil {
		return nil, wrap("import row hashes", err)
	}
	out := map[string]string{}
	var ext, hash string
	_, err = pgx.ForEachRow(rows, []any{&ext, &hash}, func() error {
		out[ext] = hash
		return nil
	})
	return out, wrap("import row hashes", err)
}

// SaveImportRowHash records the content hash a project was last imported with.
func (db *DB) SaveImportRowHash(ctx context.Context, tx pgx.Tx, orgID, integrationID, importID int64, externalID, hash string) error {
	_, err := tx.Exec(ctx, `insert into csv_import_rows (org_id, integration_id, external_id, content_hash, import_id)
		values ($1, $2, $3, $4, $5)
		on conflict (integration_id, external_id) do update set content_hash = excluded.content_hash,
			import_id = excluded.import_id, updated_at = now()`, orgID, integrationID, externalID, hash, importID)
	return wrap("save import row hash", err)
}

// ImportProgress is what one batch of rows adds to an import.
type ImportProgress struct {
	Rows, Created, Updated, Unchanged int
	Errors                            []ImportRowError
}

// AddImportProgress adds a batch's counts and errors (keeping the first MaxImportErrors) inside
// the batch's transaction, so a resumed job continues after the last committed batch.
func (db *DB) AddImportProgress(ctx context.Context, tx pgx.Tx, id int64, p ImportProgress) error {
	errs, err := json.Marshal(p.Errors)
	if err != nil || p.Errors == nil {
		errs = []byte("[]")
	}
	_, err = tx.Exec(ctx, `update csv_imports set processed_rows = processed_rows + $2, created_count = created_count + $3,
			updated_count = updated_count + $4, unchanged_count = unchanged_count + $5, error_count = error_count + $6,
			errors = case when jsonb_array_length(errors) >= $7 then errors
				else (select coalesce(jsonb_agg(x.e order by x.n), '[]') from (select e, n from jsonb_array_elements(errors || $8::jsonb)
					with ordinality as a(e, n) order by n limit $7) x) end
		where id = $1`, id, p.Rows, p.Created, p.Updated, p.Unchanged, len(p.Errors), MaxImportErrors, errs)
	return wrap("add import progress", err)
}

// FinishCSVImport ends an import (succeeded, or failed with a reason) and drops its bytes.
func (db *DB) FinishCSVImport(ctx context.Context, orgID, id int64, status, failure string) error {
	err := db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `update csv_imports set status = $2, failure = left($3, 2000), finished_at = now(), data = null
			where id = $1`, id, status, failure)
		return err
	})
	return wrap("finish csv import", err)
}

// CSVImportData returns an import's uploaded bytes (nil once it has finished).
func (db *DB) CSVImportData(ctx context.Context, orgID, integrationID, id int64) ([]byte, error) {
	var data []byte
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, "select data from csv_imports where id = $1 and integration_id = $2", id, integrationID).Scan(&data)
	})
	return data, wrap("csv import data", err)
}
