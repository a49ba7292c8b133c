package handlers

import (
	"context"
	"fmt"
	"net"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/storetest"
)

// TestDBUnavailableClassifiesRealErrors: the errors pgx returns while PostgreSQL is down or
// restarting (refused connection, connection terminated by the server) become 503s; a bad query
// or a missing row does not.
func TestDBUnavailableClassifiesRealErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	env := storetest.New(t)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closedPort := l.Addr().(*net.TCPAddr).Port
	l.Close()
	_, refused := pgx.Connect(ctx, fmt.Sprintf("postgres://wedsync_app@127.0.0.1:%d/x?sslmode=disable&connect_timeout=2", closedPort))
	require.Error(t, refused)
	require.True(t, dbUnavailable(fmt.Errorf("store: begin: %w", refused)), "refused: %v", refused)

	victim, err := pgx.Connect(ctx, env.AppURL)
	require.NoError(t, err)
	defer victim.Close(ctx)
	_, err = env.Admin.Exec(ctx, "select pg_terminate_backend($1)", victim.PgConn().PID())
	require.NoError(t, err)
	_, terminated := victim.Exec(ctx, "select 1")
	require.Error(t, terminated)
	require.True(t, dbUnavailable(fmt.Errorf("load: %w", terminated)), "terminated: %v", terminated)

	_, syntax := env.Admin.Exec(ctx, "selec 1")
	require.Error(t, syntax)
	require.False(t, dbUnavailable(syntax), "a bad query is our bug, a 500")
	require.False(t, dbUnavailable(fmt.Errorf("get: %w", store.ErrNotFound)))
	require.False(t, dbUnavailable(context.Canceled))
}
