package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pipeTx is the transaction of every scoped store call: a pgx.Tx that saves round trips by
// sending the statements whose results nobody waits for together with the next statement.
//
//   - Its BEGIN and row level security scope are not sent when it opens: they travel in one
//     batch with its first statement (what pgx.Batch.BeginTx does for a batch known up front).
//   - later queues statements whose results the caller does not need (a sync page's cursor and
//     counters): they go with the next statement, or with the COMMIT.
//
// A queued statement that fails is reported by the call that sent it, or by Commit, wrapped in
// "queued statement"; the transaction is then aborted, as after any failed statement. A
// transaction that never sent a statement costs no round trip at all.
type pipeTx struct {
	conn   *pgxpool.Conn
	scope  []*pgx.QueuedQuery // the BEGIN and the scope until they are sent, then nil
	queued []*pgx.QueuedQuery // later's statements, sent after scope in front of the next batch
	closed bool
	saves  int // savepoints made, for their names
}

// BeginScoped starts a transaction with opts, scoped to orgID for row level security
// (app.org_id, for this transaction only). Nothing is sent until its first statement, which
// carries the BEGIN and the scope in the same round trip. Commit or Rollback releases the
// connection.
func (db *DB) BeginScoped(ctx context.Context, orgID int64, opts pgx.TxOptions) (pgx.Tx, error) {
	if orgID <= 0 {
		return nil, fmt.Errorf("store: scoped call without an organization")
	}
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: begin: %w", err)
	}
	// pgx writes the BEGIN of opts as the first query of a batch. This batch is never sent: its
	// queries go in front of the transaction's first statement.
	var b pgx.Batch
	b.BeginTx(opts)
	b.Queue("select set_config('app.org_id', $1, true)", strconv.FormatInt(orgID, 10))
	return &pipeTx{conn: conn, scope: b.QueuedQueries}, nil
}

// pending reports whether statements wait to go in front of the next one.
func (t *pipeTx) pending() bool { return len(t.scope)+len(t.queued) > 0 }

// alone reports whether a statement with args goes on its own, after a flush: nothing waits
// for it, or it carries a pgx option a batch does not take.
func (t *pipeTx) alone(args []any) bool { return !t.pending() || direct(args) }

// later queues b's statements to be sent, in order, with the transaction's next statement or
// its commit. Their results are only checked for errors.
func (t *pipeTx) later(b *pgx.Batch) { t.queued = append(t.queued, b.QueuedQueries...) }

// sendLater sends b's statements through tx when their results are not needed: queued for the
// next round trip when tx is a scoped store transaction, at once otherwise.
func sendLater(ctx context.Context, tx pgx.Tx, b *pgx.Batch) error {
	if t, ok := tx.(*pipeTx); ok && !t.closed {
		t.later(b)
		return nil
	}
	return tx.SendBatch(ctx, b).Close()
}

// send sends the queued statements, then b's, in one batch, and reads the queued ones' results:
// what it returns holds b's results only.
func (t *pipeTx) send(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if t.closed {
		return pgx.FailedBatchResults(b, pgx.ErrTxClosed)
	}
	if !t.pending() {
		return t.conn.SendBatch(ctx, b)
	}
	n := len(t.scope) + len(t.queued)
	all := &pgx.Batch{QueuedQueries: slices.Concat(t.scope, t.queued, b.QueuedQueries)}
	t.scope, t.queued = nil, nil
	br := t.conn.SendBatch(ctx, all)
	for range n {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return pgx.FailedBatchResults(b, fmt.Errorf("store: queued statement: %w", err))
		}
	}
	return br
}

// flush sends the queued statements on their own.
func (t *pipeTx) flush(ctx context.Context) error {
	if t.closed {
		return pgx.ErrTxClosed
	}
	if !t.pending() {
		return nil
	}
	return t.send(ctx, &pgx.Batch{}).Close()
}

// direct reports whether args start with a pgx query option a batch does not take (an exec
// mode or result formats): such a statement flushes the queue and goes on its own.
func direct(args []any) bool {
	if len(args) == 0 {
		return false
	}
	switch args[0].(type) {
	case pgx.QueryExecMode, pgx.QueryResultFormats, pgx.QueryResultFormatsByOID:
		return true
	}
	return false
}

// Exec runs sql, with whatever is queued in front of it.
func (t *pipeTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if t.alone(args) {
		if err := t.flush(ctx); err != nil {
			return pgconn.CommandTag{}, err
		}
		return t.conn.Exec(ctx, sql, args...)
	}
	var b pgx.Batch
	b.Queue(sql, args...)
	br := t.send(ctx, &b)
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

// Query runs sql, with whatever is queued in front of it.
func (t *pipeTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if t.alone(args) {
		if err := t.flush(ctx); err != nil {
			return pgx.FailedBatchResults(&pgx.Batch{}, err).Query()
		}
		return t.conn.Query(ctx, sql, args...)
	}
	var b pgx.Batch
	b.Queue(sql, args...)
	br := t.send(ctx, &b)
	rows, err := br.Query()
	if err != nil {
		_ = br.Close()
		return rows, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

// QueryRow runs sql, with whatever is queued in front of it.
func (t *pipeTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if t.alone(args) {
		if err := t.flush(ctx); err != nil {
			return pgx.FailedBatchResults(&pgx.Batch{}, err).QueryRow()
		}
		return t.conn.QueryRow(ctx, sql, args...)
	}
	rows, _ := t.Query(ctx, sql, args...)
	return batchRow{rows}
}

// SendBatch sends b, with whatever is queued in front of it.
func (t *pipeTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return t.send(ctx, b)
}

// CopyFrom sends what is queued, then copies.
func (t *pipeTx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	if err := t.flush(ctx); err != nil {
		return 0, err
	}
	return t.conn.CopyFrom(ctx, table, columns, src)
}

// Prepare prepares sql on the transaction's connection.
func (t *pipeTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	if t.closed {
		return nil, pgx.ErrTxClosed
	}
	return t.conn.Conn().Prepare(ctx, name, sql)
}

// LargeObjects is not supported: the store keeps no large objects, and pgx builds them only on
// its own transactions.
func (t *pipeTx) LargeObjects() pgx.LargeObjects {
	panic("store: large objects are not supported in a scoped transaction")
}

// Conn is the transaction's connection, for reading its configuration: a statement sent on it
// directly would skip what is queued, the BEGIN included.
func (t *pipeTx) Conn() *pgx.Conn { return t.conn.Conn() }

// Begin starts a nested transaction as a savepoint.
func (t *pipeTx) Begin(ctx context.Context) (pgx.Tx, error) {
	t.saves++
	sp := &savepointTx{pipeTx: t, name: "sp_" + strconv.Itoa(t.saves)}
	if _, err := t.Exec(ctx, "savepoint "+sp.name); err != nil {
		return nil, err
	}
	return sp, nil
}

// Commit sends what is queued and the COMMIT in one round trip, and releases the connection.
// A transaction that never sent anything has nothing to commit.
func (t *pipeTx) Commit(ctx context.Context) error {
	if t.closed {
		return pgx.ErrTxClosed
	}
	defer t.release()
	if t.scope != nil && len(t.queued) == 0 { // nothing was sent or waits: nothing to commit
		t.closed = true
		return nil
	}
	var b pgx.Batch
	b.Queue("commit")
	br := t.send(ctx, &b)
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	t.closed = true
	if err != nil {
		if t.conn.Conn().PgConn().TxStatus() != 'I' {
			_ = t.conn.Conn().Close(ctx) // the error is what matters; the pool drops the connection
		}
		return err
	}
	if tag.String() == "ROLLBACK" {
		return pgx.ErrTxCommitRollback
	}
	return nil
}

// Rollback drops what is queued, rolls back what was sent, and releases the connection. Like
// pgx's, it returns pgx.ErrTxClosed after Commit or Rollback, so a deferred Rollback is safe.
func (t *pipeTx) Rollback(ctx context.Context) error {
	if t.closed {
		return pgx.ErrTxClosed
	}
	defer t.release()
	sent := t.scope == nil
	t.closed, t.scope, t.queued = true, nil, nil
	if !sent {
		return nil
	}
	if _, err := t.conn.Exec(ctx, "rollback"); err != nil {
		_ = t.conn.Conn().Close(ctx)
		return err
	}
	return nil
}

func (t *pipeTx) release() {
	if t.conn != nil {
		t.conn.Release()
	}
}
