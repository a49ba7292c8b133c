package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// batchRows are the rows of a pipeTx statement sent in a batch: closing them closes the batch.
type batchRows struct {
	pgx.Rows
	br     pgx.BatchResults
	closed bool
	err    error // of closing the batch
}

// Close closes the rows and then the batch.
func (r *batchRows) Close() {
	r.Rows.Close()
	if !r.closed {
		r.closed = true
		r.err = r.br.Close()
	}
}

// Err is the rows' error, else the batch's.
func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

// Next closes the batch after the last row, as pgx's rows close themselves.
func (r *batchRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

// batchRow is QueryRow's result over batchRows, with pgx's QueryRow semantics.
type batchRow struct{ rows pgx.Rows }

// Scan reads the first row into dest and closes the rows; pgx.ErrNoRows when there is none.
func (r batchRow) Scan(dest ...any) error {
	rows := r.rows
	defer rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, d := range dest {
		if _, ok := d.(*pgtype.DriverBytes); ok {
			return fmt.Errorf("cannot scan into *pgtype.DriverBytes from QueryRow")
		}
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	rows.Close()
	return rows.Err()
}

// savepointTx is a transaction nested in a pipeTx, as a savepoint.
type savepointTx struct {
	*pipeTx
	name   string
	closed bool
}

// Begin nests one level further.
func (s *savepointTx) Begin(ctx context.Context) (pgx.Tx, error) { return s.pipeTx.Begin(ctx) }

// Commit releases the savepoint.
func (s *savepointTx) Commit(ctx context.Context) error {
	if s.closed {
		return pgx.ErrTxClosed
	}
	s.closed = true
	_, err := s.pipeTx.Exec(ctx, "release savepoint "+s.name)
	return err
}

// Rollback rolls back to the savepoint.
func (s *savepointTx) Rollback(ctx context.Context) error {
	if s.closed {
		return pgx.ErrTxClosed
	}
	s.closed = true
	_, err := s.pipeTx.Exec(ctx, "rollback to savepoint "+s.name)
	return err
}
