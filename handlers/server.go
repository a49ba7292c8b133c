// Package handlers is the HTTP side of WedSync: one route table, middleware (session, CSRF,
// authentication, organization scope), a buffered render helper and error mapping in one place.
// Handlers write through the store and return; they never call providers or send messages.
package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
	"github.com/labstack/echo/v4"
	"github.com/wedsync/wedsync/handlers/live"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/secret"
)

// Config is the part of the process configuration the web side needs.
type Config struct {
	// BaseURL is the public origin used in links (invites, share links, webhooks).
	BaseURL string
	// SecureCookies marks the session cookie Secure (set when served over TLS).
	SecureCookies bool
	// Demo shows the demo login on the login page.
	Demo bool
	// MigrationVersion is the schema version /readyz expects.
	MigrationVersion string
	// StreamHeartbeat is the SSE heartbeat interval (default 30 s).
	StreamHeartbeat time.Duration
	// OAuth are the OAuth client registrations of "Connect with ..." (by provider name).
	OAuth jobs.OAuthClients
	// OAuthStateTTL is how long a started OAuth flow stays valid (default OAuthStateTTL).
	OAuthStateTTL time.Duration
	// OperatorOrgID is the organization whose owners may open the job console (/admin/jobs);
	// zero: nobody.
	OperatorOrgID int64
}

// Deps are the server's collaborators.
type Deps struct {
	DB *store.DB
	// Jobs enqueues work that is not a write (a first recompute); nil disables it.
	Jobs Enqueuer
	// Keys encrypts integration credentials and channel secrets.
	Keys   *secret.Keyring
	Log    *slog.Logger
	Config Config
	// Metrics counts requests by route (handlers/metrics.go); nil records nothing.
	Metrics *Metrics
	// JobConsole is River's web console mounted at /admin/jobs (NewJobConsole); nil answers 404.
	JobConsole http.Handler
}

// Server holds the Echo instance and its dependencies.
type Server struct {
	db       *store.DB
	jobs     Enqueuer
	keys     *secret.Keyring
	log      *slog.Logger
	cfg      Config
	sessions *scs.SessionManager
	store    *pgxstore.PostgresStore
	echo     *echo.Echo
	hub      *live.Hub
	// streamOpts tunes every SSE stream (heartbeat, write deadline).
	streamOpts live.StreamOptions
	metrics    *Metrics
	jobConsole http.Handler
}

// Enqueuer is what handlers need of the job system.
type Enqueuer interface {
	EnqueueRecompute(ctx context.Context, orgID int64) error
}

// New builds the server and its route table.
func New(d Deps) *Server {
	s := &Server{db: d.DB, jobs: d.Jobs, keys: d.Keys, log: d.Log, cfg: d.Config, metrics: d.Metrics, jobConsole: d.JobConsole}
	s.store = pgxstore.NewWithCleanupInterval(d.DB.Pool, 30*time.Minute)
	s.sessions = scs.New()
	s.sessions.Store = s.store
	s.sessions.Lifetime = 30 * 24 * time.Hour
	s.sessions.IdleTimeout = 7 * 24 * time.Hour
	s.sessions.Cookie.Name = "wedsync_session"
	s.sessions.Cookie.HttpOnly = true
	s.sessions.Cookie.SameSite = http.SameSiteLaxMode
	s.sessions.Cookie.Secure = d.Config.SecureCookies
	s.sessions.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		s.log.Error("session", "err", err)
		w.Header().Set("Retry-After", dbRetryAfter)
		http.Error(w, "Session storage is unavailable. Try again in a moment.", http.StatusServiceUnavailable)
	}
	s.hub = live.NewHub(d.DB, s.RenderFragments, d.Log)
	s.streamOpts = live.StreamOptions{Heartbeat: d.Config.StreamHeartbeat}
	s.echo = echo.New()
	s.echo.HideBanner = true
	s.echo.HidePort = true
	s.echo.HTTPErrorHandler = s.handleError
	s.routes()
	return s
}

// Handler is the root HTTP handler.
func (s *Server) Handler() http.Handler { return s.echo }

// Routes lists every route of the route table (used by the authorization sweep).
func (s *Server) Routes() []*echo.Route { return s.echo.Routes() }

// HealthHandler answers only /healthz and /readyz: what a worker-only instance serves.
func (s *Server) HealthHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", s.echo)
	mux.Handle("GET /readyz", s.echo)
	return mux
}

// Hub is the live hub; the process feeds it from a live.Listener.
func (s *Server) Hub() *live.Hub { return s.hub }

// Close stops background work of the server (session cleanup).
func (s *Server) Close() { s.store.StopCleanup() }
