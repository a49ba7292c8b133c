// Package webtest runs the real web app against a fresh test database and drives it like a
// browser would: cookie jars, CSRF tokens read from the page, forms posted as forms.
package webtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers"
	"github.com/wedsync/wedsync/handlers/live"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/migrations"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/secret"
	"github.com/wedsync/wedsync/store/storetest"
)

// App is a running server on a test database.
type App struct {
	Env    *storetest.Env
	DB     *store.DB
	Server *httptest.Server
	Web    *handlers.Server
	Jobs   *jobs.Runner
	Keys   *secret.Keyring
	URL    string
}

var seq atomic.Int64

// Options tweaks the app under test.
type Options struct {
	// Setup runs after the database exists and before the server starts (e.g. install hooks).
	Setup func(t testing.TB, env *storetest.Env)
	// Jobs adjusts the job runner's configuration (provider URLs, fake clocks, SMTP servers).
	Jobs func(cfg *jobs.Config)
	// Web adjusts the web server's dependencies (metrics, the job console, operator org).
	Web func(t testing.TB, d *handlers.Deps, runner *jobs.Runner)
}

// New starts the app on a fresh database.
func New(t testing.TB, opts ...Options) *App {
	t.Helper()
	env := storetest.New(t)
	for _, o := range opts {
		if o.Setup != nil {
			o.Setup(t, env)
		}
	}
	a := &App{Env: env, DB: env.DB}
	a.Server = httptest.NewUnstartedServer(nil)
	a.URL = "http://" + a.Server.Listener.Addr().String()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	keys, err := secret.Parse(secret.Generate("test1"))
	require.NoError(t, err)
	a.Keys = keys
	cfg := jobs.Config{Work: true, Keys: keys}
	// Test fakes and receivers listen on loopback.
	cfg.Sync.AllowPrivateURLs, cfg.Alerts.AllowPrivateURLs = true, true
	cfg.Sync.PublicURL = a.URL
	for _, o := range opts {
		if o.Jobs != nil {
			o.Jobs(&cfg)
		}
	}
	runner, err := jobs.New(env.DB, log, cfg)
	require.NoError(t, err)
	jobsCtx, stopJobs := context.WithCancel(context.Background())
	require.NoError(t, runner.Start(jobsCtx))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = runner.Stop(ctx)
		stopJobs()
	})
	a.Jobs = runner
	deps := handlers.Deps{DB: env.DB, Jobs: runner, Keys: keys, Log: log, Config: handlers.Config{
		BaseURL: a.URL, MigrationVersion: migrations.Latest(),
	}}
	for _, o := range opts {
		if o.Web != nil {
			o.Web(t, &deps, runner)
		}
	}
	a.Web = handlers.New(deps)
	a.Server.Config.Handler = a.Web.Handler()
	listener := live.NewListener(env.DB.Pool.Config().ConnConfig, a.Web.Hub(), log)
	go listener.Run(jobsCtx)
	a.Server.Start()
	t.Cleanup(func() { a.Server.Close(); a.Web.Close() })
	return a
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// Client is one browser: a cookie jar and the CSRF token of the last page it saw.
type Client struct {
	t    testing.TB
	app  *App
	HTTP *http.Client
	CSRF string
}

// Client makes a new browser with an empty cookie jar; redirects are not followed.
func (a *App) Client(t testing.TB) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: t, app: a, HTTP: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// Page is a response with its parsed document.
type Page struct {
	Status int
	Header http.Header
	Body   string
	Doc    *goquery.Document
}

// Location is the redirect target of the response.
func (p *Page) Location() string { return p.Header.Get("Location") }

// Get fetches path and remembers the page's CSRF token.
func (c *Client) Get(path string) *Page {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.app.URL+path, nil)
	require.NoError(c.t, err)
	return c.do(req)
}

// Post submits form values to path, adding the CSRF token unless values has "_csrf" already
// (set it to "" to send none: use PostRaw for that).
func (c *Client) Post(path string, values url.Values) *Page {
	c.t.Helper()
	v := url.Values{}
	for k, vs := range values {
		v[k] = vs
	}
	if _, ok := v["_csrf"]; !ok {
		if c.CSRF == "" {
			c.Get("/login")
		}
		v.Set("_csrf", c.CSRF)
	}
	return c.PostRaw(path, v)
}

// PostRaw submits exactly values, without adding a token.
func (c *Client) PostRaw(path string, values url.Values) *Page {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.app.URL+path, strings.NewReader(values.Encode()))
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// Do sends any request with the client's cookies.
func (c *Client) Do(req *http.Request) *Page {
	c.t.Helper()
	return c.do(req)
}

func (c *Client) do(req *http.Request) *Page {
	c.t.Helper()
	resp, err := c.HTTP.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	p := &Page{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		p.Doc, err = goquery.NewDocumentFromReader(strings.NewReader(p.Body))
		require.NoError(c.t, err)
		if tok, ok := p.Doc.Find(`input[name="_csrf"]`).First().Attr("value"); ok && tok != "" {
			c.CSRF = tok
		}
	}
	return p
}

// Owner is an organization with its signed-in owner.
type Owner struct {
	*Client
	Email, Password string
	OrgID, UserID   int64
}

// SignupOwner signs up a new organization through the form and returns its signed-in owner.
func (a *App) SignupOwner(t testing.TB, orgName, timezone, currency string) *Owner {
	t.Helper()
	c := a.Client(t)
	c.Get("/signup")
	email := fmt.Sprintf("owner%d@example.test", seq.Add(1))
	p := c.Post("/signup", url.Values{"org_name": {orgName}, "timezone": {timezone}, "currency": {currency},
		"name": {"Owner"}, "email": {email}, "password": {"correct-horse"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	u, err := a.DB.Authenticate(context.Background(), email, "correct-horse")
	require.NoError(t, err)
	ms, err := a.DB.Memberships(context.Background(), u.ID)
	require.NoError(t, err)
	c.Get("/dashboard")
	return &Owner{Client: c, Email: email, Password: "correct-horse", OrgID: ms[0].OrgID, UserID: u.ID}
}

// AddMember creates a user with role in org (through the store) and returns them logged in.
func (a *App) AddMember(t testing.TB, orgID int64, role store.Role) *Client {
	t.Helper()
	ctx := context.Background()
	token, err := a.DB.CreateInvite(ctx, orgID, 0, role, "")
	require.NoError(t, err)
	email := fmt.Sprintf("member%d@example.test", seq.Add(1))
	u, err := a.DB.CreateUser(ctx, email, "Member", "correct-horse")
	require.NoError(t, err)
	_, err = a.DB.AcceptInvite(ctx, token, u.ID)
	require.NoError(t, err)
	c := a.Client(t)
	c.Login(email, "correct-horse")
	return c
}

// Login signs the client in through the form.
func (c *Client) Login(email, password string) {
	c.t.Helper()
	c.Get("/login")
	p := c.Post("/login", url.Values{"email": {email}, "password": {password}})
	require.Equal(c.t, http.StatusSeeOther, p.Status, p.Body)
	c.Get("/dashboard")
}

// Text is the trimmed text of the first element matching sel.
func (p *Page) Text(sel string) string { return strings.TrimSpace(p.Doc.Find(sel).First().Text()) }

// WaitForSnapshot waits until the organization's latest snapshot includes every write so far
// (the recompute job ran after the last change) and returns it.
func (a *App) WaitForSnapshot(t testing.TB, orgID int64) *store.Snapshot {
	t.Helper()
	ctx := context.Background()
	var snap *store.Snapshot
	require.Eventually(t, func() bool {
		var seq int64
		if err := a.Env.Admin.QueryRow(ctx, "select change_seq from org_metric_state where org_id = $1", orgID).Scan(&seq); err != nil {
			seq = 0
		}
		s, err := a.DB.LatestSnapshot(ctx, orgID)
		if err != nil {
			if seq == 0 {
				_ = a.Jobs.EnqueueRecompute(ctx, orgID)
			}
			return false
		}
		snap = s
		return s.ChangeSeq >= seq
	}, 15*time.Second, 10*time.Millisecond, "snapshot catches up with the writes")
	return snap
}
