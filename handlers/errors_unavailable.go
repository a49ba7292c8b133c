package handlers

import (
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// dbRetryAfter is the Retry-After (seconds) of answers given while the database is unreachable.
const dbRetryAfter = "2"

const dbUnavailableMessage = "The database is briefly unavailable. Try again in a moment; nothing you saved is lost."

// dbUnavailable reports whether err means PostgreSQL could not be reached or is restarting: a
// refused or lost connection, or the server shutting down, starting up or in recovery. Such a
// request works again in a moment, so it is answered 503 with Retry-After, not 500.
func dbUnavailable(err error) bool {
	var ce *pgconn.ConnectError
	var pe *pgconn.PgError
	var oe *net.OpError
	switch {
	case errors.As(err, &ce), errors.As(err, &oe), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	case errors.As(err, &pe):
		// 57P01-57P03: admin shutdown, crash shutdown, cannot connect now; class 08: connection.
		return pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03" || strings.HasPrefix(pe.Code, "08")
	}
	return pgconn.SafeToRetry(err)
}
