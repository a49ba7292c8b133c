package store

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrNotFound means the row does not exist or belongs to another organization.
var ErrNotFound = errors.New("not found")

// ErrConflict means the change collides with existing data (a duplicate, a stale edit).
var ErrConflict = errors.New("conflict")

// ValidationError carries one message per form field; the handlers show them inline.
type ValidationError struct {
	Fields map[string]string
}

// Error lists the fields in a stable order.
func (e *ValidationError) Error() string {
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Fields[k]
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Problems collects field messages while validating.
type Problems map[string]string

// Add records msg for field unless the field already has one.
func (p Problems) Add(field, msg string) {
	if _, ok := p[field]; !ok {
		p[field] = msg
	}
}

// Err is nil when there are no problems, else a *ValidationError.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Fields: p}
}

// Invalid makes a one-field validation error.
func Invalid(field, msg string) error { return &ValidationError{Fields: map[string]string{field: msg}} }

// mapPgError turns constraint violations into domain errors.
func mapPgError(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505": // unique_violation
			return fmt.Errorf("%w: %s", ErrConflict, pgErr.ConstraintName)
		case "23503": // foreign_key_violation: a referenced row is missing (or in another org)
			return fmt.Errorf("%w: referenced record", ErrNotFound)
		case "23514", "22001", "22003", "22007", "22008", "22P02": // check, too long, out of range, bad datetime, bad text
			return &ValidationError{Fields: map[string]string{"": "a value is out of range or malformed"}}
		case "42501": // insufficient_privilege: an RLS with-check failed
			return fmt.Errorf("%w: row belongs to another organization", ErrNotFound)
		}
	}
	return err
}

// wrap adds an operation prefix and maps database errors to domain errors.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", op, mapPgError(err))
}
