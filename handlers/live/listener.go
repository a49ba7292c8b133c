package live

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/wedsync/wedsync/store"
)

// ShareLinkClosedChannel carries the id of a revoked share link, so every instance closes its
// streams.
const ShareLinkClosedChannel = "share_link_closed"

// Listener holds the instance's one LISTEN connection and feeds the hub.
type Listener struct {
	cfg *pgx.ConnConfig
	hub *Hub
	log *slog.Logger
	// OnConnect runs after every (re)connection; tests use it to see reconnects.
	OnConnect func()
	// ConnPID is the backend pid of the current connection (for tests that terminate it).
	connPID chan uint32
}

// NewListener makes a listener that connects with cfg (the app role's connection settings).
func NewListener(cfg *pgx.ConnConfig, hub *Hub, log *slog.Logger) *Listener {
	return &Listener{cfg: cfg, hub: hub, log: log, connPID: make(chan uint32, 1)}
}

// BackendPID returns the current connection's backend pid, waiting for a connection.
func (l *Listener) BackendPID(ctx context.Context) (uint32, error) {
	select {
	case pid := <-l.connPID:
		l.setPID(pid)
		return pid, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

func (l *Listener) setPID(pid uint32) {
	select {
	case <-l.connPID:
	default:
	}
	l.connPID <- pid
}

// Run listens until ctx ends. A lost connection is retried quickly (50 ms, doubling to 1 s);
// after each reconnection every stream is sent the full current state, since notices may have
// been missed while away.
func (l *Listener) Run(ctx context.Context) {
	backoff := 50 * time.Millisecond
	first := true
	for ctx.Err() == nil {
		err := l.listen(ctx, func() {
			backoff = 50 * time.Millisecond
			if !first {
				l.log.Info("live: listener reconnected")
				l.hub.ResyncAll(ctx)
			}
			first = false
			if l.OnConnect != nil {
				l.OnConnect()
			}
		})
		if ctx.Err() != nil {
			return
		}
		l.log.Warn("live: listener lost its connection", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, time.Second)
	}
}

func (l *Listener) listen(ctx context.Context, connected func()) error {
	connectCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	conn, err := pgx.ConnectConfig(connectCtx, l.cfg.Copy())
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, ch := range []string{store.DashboardChannel, ShareLinkClosedChannel, store.OrgEventChannel} {
		if _, err := conn.Exec(ctx, "listen "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return err
		}
	}
	l.setPID(conn.PgConn().PID())
	connected()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		switch n.Channel {
		case store.DashboardChannel:
			org, _, ok := strings.Cut(n.Payload, ":")
			if id, err := strconv.ParseInt(org, 10, 64); ok && err == nil {
				// Rendering reads the database: never on the LISTEN connection's goroutine.
				go l.hub.Notify(ctx, id, false)
			}
		case store.OrgEventChannel:
			var ev store.OrgEvent
			if err := json.Unmarshal([]byte(n.Payload), &ev); err == nil && ev.OrgID > 0 && ev.Name != "" {
				l.hub.Publish(ev)
			}
		case ShareLinkClosedChannel:
			if id, err := strconv.ParseInt(n.Payload, 10, 64); err == nil {
				l.hub.CloseShareLink(id)
			}
		}
	}
}
