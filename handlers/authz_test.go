package handlers_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers/live"
	"github.com/wedsync/wedsync/handlers/webtest"
	"github.com/wedsync/wedsync/store"
)

// access is who may use a route.
type access string

const (
	open      access = "open"      // anyone: pages before login, health checks, static files
	shareLink access = "shareLink" // anyone holding a live share link's token; read-only
	webhook   access = "webhook"   // providers: no session or CSRF token, a signature instead
	member    access = "member"    // signed-in members of the organization
	admin     access = "admin"     // owners and admins of the organization
	operator  access = "operator"  // owners of the operator organization (job console); 404 for everyone else
)

// routeAccess classifies every route of the route table, as "METHOD /pattern". A route missing
// here fails TestAuthorizationSweep: whoever adds a route decides who may use it.
var routeAccess = map[access][]string{
	open: {"GET /healthz", "GET /readyz", "GET /static/*", "GET /", "GET /signup", "POST /signup", "GET /login",
		"POST /login", "POST /logout", "GET /invite/:token", "POST /invite/:token"},
	shareLink: {"GET /s/:token", "GET /s/:token/stream", "GET /s/:token/export.csv"},
	webhook:   {"POST /webhooks/:provider/:public_id"},
	member: {"GET /dashboard", "GET /dashboard/export.csv", "GET /dashboard/stream", "GET /records",
		"GET /alerts", "GET /alerts/history", "GET /alerts/bell", "GET /alerts/me", "POST /alerts/me",
		"GET /alerts/:id", "POST /alerts/:id/acknowledge", "POST /alerts/:id/snooze", "POST /alerts/:id/resolve"},
	admin: {"GET /share", "POST /share", "POST /share/:id/revoke", "GET /team", "POST /team/invites",
		"GET /settings", "POST /settings", "GET /audit",
		"GET /alerts/rules", "GET /alerts/rules/new", "POST /alerts/rules", "GET /alerts/rules/:id", "POST /alerts/rules/:id",
		"POST /alerts/rules/:id/delete", "GET /alerts/channels", "GET /alerts/channels/new", "POST /alerts/channels",
		"GET /alerts/channels/:id", "POST /alerts/channels/:id", "POST /alerts/channels/:id/rotate", "POST /alerts/channels/:id/delete",
		"GET /integrations", "GET /integrations/new", "POST /integrations", "GET /integrations/:id", "GET /integrations/:id/edit",
		"POST /integrations/:id", "POST /integrations/:id/test", "POST /integrations/:id/sync", "POST /integrations/:id/pause",
		"POST /integrations/:id/resume", "GET /integrations/:id/delete", "POST /integrations/:id/delete",
		"POST /integrations/:id/preview", "POST /integrations/:id/reconnect", "POST /integrations/:id/webhook-secret",
		"GET /integrations/:id/import", "POST /integrations/:id/import", "GET /integrations/:id/import/:import",
		"POST /integrations/:id/import/:import", "GET /integrations/:id/import/:import/progress",
		"POST /integrations/oauth/:provider/connect", "GET /integrations/oauth/:provider/callback"},
	operator: consoleRoutes(),
}

func init() {
	// Records: the same eight routes for each kind, all for members.
	for _, kind := range []string{"clients", "inquiries", "bookings", "invoices", "payments", "reviews"} {
		p := "/records/" + kind
		routeAccess[member] = append(routeAccess[member], "GET "+p, "GET "+p+"/new", "POST "+p, "GET "+p+"/:id",
			"POST "+p+"/:id", "GET "+p+"/:id/delete", "POST "+p+"/:id/delete")
	}
	routeAccess[member] = append(routeAccess[member], "GET /records/inquiries/:id/convert", "POST /records/inquiries/:id/convert")
}

func consoleRoutes() []string {
	var out []string
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"} {
		out = append(out, m+" /admin/jobs", m+" /admin/jobs/*")
	}
	return out
}

// orgA is an organization with a record of every kind, a share link, an invite, an alert, a
// rule, a channel and an integration, plus marker strings that must never appear on anyone
// else's pages.
type orgA struct {
	owner       *webtest.Owner
	shareToken  string
	revoked     string // a revoked share link's token
	inviteToken string
	ids         map[string]string // route prefix -> an id of org A
	importID    string            // a CSV import of org A's HoneyBook integration
	markers     []string
}

func newOrgA(t *testing.T, app *webtest.App) *orgA {
	ctx := context.Background()
	a := &orgA{owner: app.SignupOwner(t, "Zephyrine Atelier", "America/New_York", "USD"), ids: map[string]string{}}
	org, user := a.owner.OrgID, a.owner.UserID
	exec := func(sql string, args ...any) string {
		var id int64
		require.NoError(t, app.Env.Admin.QueryRow(ctx, sql, args...).Scan(&id), sql)
		return fmt.Sprint(id)
	}
	a.ids["/records/clients/"] = exec(`insert into clients (org_id, name, email) values ($1, 'Quillon Marchetti', 'quillon@example.test') returning id`, org)
	a.ids["/records/inquiries/"] = exec(`insert into inquiries (org_id, client_id, source, received_at, currency) values ($1, $2, 'website', now(), 'USD') returning id`, org, a.ids["/records/clients/"])
	a.ids["/records/bookings/"] = exec(`insert into bookings (org_id, client_id, title, wedding_date, booked_at, contract_amount, currency)
		values ($1, $2, 'Marchetti wedding', current_date + 40, now(), 777777, 'USD') returning id`, org, a.ids["/records/clients/"])
	a.ids["/records/invoices/"] = exec(`insert into invoices (org_id, booking_id, number, due_date, amount) values ($1, $2, 'ZA-1', current_date + 10, 123457) returning id`, org, a.ids["/records/bookings/"])
	a.ids["/records/payments/"] = exec(`insert into payments (org_id, booking_id, amount, currency, paid_at, note) values ($1, $2, 654321, 'USD', now(), 'Zephyr deposit') returning id`, org, a.ids["/records/bookings/"])
	a.ids["/records/reviews/"] = exec(`insert into reviews (org_id, booking_id, rating, body, received_at) values ($1, $2, 5, 'Zephyrine was wonderful', now()) returning id`, org, a.ids["/records/bookings/"])
	a.ids["/alerts/"] = exec(`insert into alerts (org_id, kind, subject, dedupe_key, severity, title, first_seen_at, last_seen_at)
		values ($1, 'sweep', 'sweep:1', 'sweep:1', 3, 'Zephyrine alert', now(), now()) returning id`, org)
	require.NoError(t, app.DB.EnsureAlertDefaults(ctx, org))
	a.ids["/alerts/rules/"] = exec(`select min(id) from alert_rules where org_id = $1`, org)
	chID, _, err := app.DB.CreateChannel(ctx, org, user, app.Keys, store.ChannelInput{Kind: store.ChannelEmail, Name: "Zephyrine inbox",
		Target: "zephyrine@example.test", MinSeverity: store.SeverityLow, Enabled: true})
	require.NoError(t, err)
	a.ids["/alerts/channels/"] = fmt.Sprint(chID)
	in, err := app.DB.CreateIntegration(ctx, org, user, app.Keys, store.IntegrationInput{Provider: "stripe", Name: "Zephyrine Stripe",
		IntervalMinutes: "1440", Secrets: map[string]string{"secret_key": "sk_test_51SweepKeyNeverUsed0000", "webhook_secret": "whsec_sweep_0001"}})
	require.NoError(t, err)
	_, err = app.Env.Admin.Exec(ctx, "update integrations set next_run_at = now() + interval '1 day' where id = $1", in.ID)
	require.NoError(t, err)
	a.ids["/integrations/"] = in.PublicID
	hb, err := app.DB.CreateIntegration(ctx, org, user, app.Keys, store.IntegrationInput{Provider: "honeybook", Name: "Zephyrine HoneyBook",
		IntervalMinutes: "1440", Secrets: map[string]string{"webhook_secret": "zap_sweep_0001"}})
	require.NoError(t, err)
	a.ids["/integrations/:id/import"] = hb.PublicID
	a.importID = exec(`insert into csv_imports (org_id, integration_id, filename) values ($1, $2, 'zephyrine.csv') returning id`, org, hb.ID)
	a.ids["/webhooks/"] = in.PublicID
	a.shareToken, err = app.DB.CreateShareLink(ctx, org, user, store.ShareLinkInput{Label: "Planner"})
	require.NoError(t, err)
	a.ids["/share/"] = exec(`select id from share_links where org_id = $1`, org)
	a.revoked, err = app.DB.CreateShareLink(ctx, org, user, store.ShareLinkInput{Label: "Old planner"})
	require.NoError(t, err)
	var revokedID int64
	require.NoError(t, app.Env.Admin.QueryRow(ctx, `select max(id) from share_links where org_id = $1`, org).Scan(&revokedID))
	require.NoError(t, app.DB.RevokeShareLink(ctx, org, user, revokedID, live.ShareLinkClosedChannel))
	a.inviteToken, err = app.DB.CreateInvite(ctx, org, user, store.RoleMember, "")
	require.NoError(t, err)
	a.markers = []string{"Zephyrine Atelier", "Quillon", "Marchetti", "Zephyr deposit", "Zephyrine was wonderful",
		"Zephyrine alert", "Zephyrine inbox", "Zephyrine Stripe"}
	app.WaitForSnapshot(t, org)
	return a
}

// fill replaces a route's parameters with org A's values; an unknown parameter fails the test,
// so a new kind of route gets a real id of org A.
func (a *orgA) fill(t *testing.T, pattern string) string {
	segs := strings.Split(pattern, "/")
	for i, s := range segs {
		switch {
		case s == ":id":
			segs[i] = a.idFor(t, pattern)
		case s == ":token" && strings.HasPrefix(pattern, "/s/"):
			segs[i] = a.shareToken
		case s == ":token" && strings.HasPrefix(pattern, "/invite/"):
			segs[i] = a.inviteToken
		case s == ":provider" && strings.HasPrefix(pattern, "/integrations/oauth/"):
			segs[i] = "google"
		case s == ":provider":
			segs[i] = "stripe"
		case s == ":import":
			segs[i] = a.importID
		case s == ":public_id":
			segs[i] = a.idFor(t, pattern)
		case s == "*" && strings.HasPrefix(pattern, "/static/"):
			segs[i] = "htmx-2.0.11.min.js"
		case s == "*" && strings.HasPrefix(pattern, "/admin/jobs/"):
			segs[i] = "api/queues"
		case strings.HasPrefix(s, ":") || s == "*":
			t.Fatalf("the sweep has no value of org A for %s in %s: add one to orgA.fill", s, pattern)
		}
	}
	return strings.Join(segs, "/")
}

// idFor is org A's id for the longest route prefix that has one.
func (a *orgA) idFor(t *testing.T, pattern string) string {
	best := ""
	for prefix := range a.ids {
		if strings.HasPrefix(pattern, prefix) && len(prefix) > len(best) {
			best = prefix
		}
	}
	if best == "" {
		t.Fatalf("the sweep has no id of org A for %s: add one to newOrgA", pattern)
	}
	return a.ids[best]
}

// fingerprint is a digest of org A's data, to prove that nothing in the sweep changed it. Derived
// totals are left out (bookings.paid_net: a recompute folds pending payment totals into it
// whenever it runs; the payments it sums are fingerprinted themselves).
func fingerprint(t *testing.T, app *webtest.App, org int64) map[string]string {
	ctx := context.Background()
	out := map[string]string{}
	for table, cols := range map[string]string{
		"organizations": "t.*", "memberships": "t.*", "invites": "t.*", "share_links": "t.*", "clients": "t.*",
		"inquiries": "t.*", "bookings": "to_jsonb(t) - 'paid_net'", "invoices": "t.*", "payments": "t.*", "reviews": "t.*",
		"alerts": "t.*", "alert_rules": "t.*", "channels": "t.*", "webhook_events": "t.*", "csv_imports": "t.*",
		"calendar_events": "t.*",
		"integrations":    "t.id, t.public_id, t.provider, t.name, t.credentials, t.config, t.interval_minutes",
	} {
		where := "t.org_id = $1"
		if table == "organizations" {
			where = "t.id = $1"
		}
		var sum string
		require.NoError(t, app.Env.Admin.QueryRow(ctx, fmt.Sprintf(`select count(*) || ':' || coalesce(md5(string_agg(row(%s)::text, '|' order by row(%s)::text)), '')
			from %s t where %s`, cols, cols, table, where), org).Scan(&sum), table)
		out[table] = sum
	}
	return out
}

// TestAuthorizationSweep walks every route of the route table, with ids of organization A, as an
// anonymous visitor, a share-link viewer, the owner of another organization, a plain member of
// A (admin and operator routes) and A's owner (operator routes), and finds each refused where it
// must be; every state change without a CSRF token (or, for the job console, without a same-origin
// header) is refused with 403; and none of it changes org A's data or shows it to anyone else.
func TestAuthorizationSweep(t *testing.T) {
	t.Parallel()
	app, opOrg, opEmail := operatorApp(t)
	a := newOrgA(t, app)
	other := app.SignupOwner(t, "Other Org", "UTC", "USD")
	plain := app.AddMember(t, a.owner.OrgID, store.RoleMember)
	operatorOwner := app.Client(t)
	operatorOwner.Login(opEmail, "correct-horse")
	require.NotEqual(t, opOrg, a.owner.OrgID)
	anon := app.Client(t)
	viewer := app.Client(t) // a share-link viewer: no session, just the link
	require.Equal(t, http.StatusOK, viewer.Get("/s/"+a.shareToken).Status)
	before := fingerprint(t, app, a.owner.OrgID)

	classOf := map[string]access{}
	for class, routes := range routeAccess {
		for _, r := range routes {
			require.NotContainsf(t, classOf, r, "%s is classified twice", r)
			classOf[r] = class
		}
	}
	var unclassified []string
	seen := map[string]bool{}
	counts := map[access]int{}
	for _, r := range app.Web.Routes() {
		key := r.Method + " " + r.Path
		if seen[key] {
			continue
		}
		seen[key] = true
		class, ok := classOf[key]
		if !ok {
			unclassified = append(unclassified, key)
			continue
		}
		counts[class]++
		sweepRoute(t, app, a, r.Method, r.Path, class, clients{anon: anon, viewer: viewer, other: other.Client,
			plain: plain, owner: a.owner.Client, operator: operatorOwner})
	}
	sort.Strings(unclassified)
	require.Emptyf(t, unclassified, "routes without an entry in routeAccess: decide who may use them")
	for key := range classOf {
		require.Truef(t, seen[key], "routeAccess lists %s, which the route table does not have", key)
	}
	t.Logf("checked %d routes: %v", len(seen), counts)
	require.Equal(t, before, fingerprint(t, app, a.owner.OrgID), "the sweep changed org A's data")

	// Another organization's member streams its own organization: the first frame is theirs.
	first := firstStreamFrame(t, app, other.Client, "/dashboard/stream")
	require.Contains(t, first, "event: kpi-revenue")
	for _, m := range a.markers {
		require.NotContains(t, first, m)
	}
	// The share viewer's own pages show org A read-only, and nothing of other organizations.
	p := viewer.Get("/s/" + a.shareToken)
	require.Equal(t, http.StatusOK, p.Status)
	require.Zero(t, p.Doc.Find("form").Length(), "a share-link page has no forms")
	require.NotContains(t, p.Body, "Other Org")
}

// clients are the callers of the sweep.
type clients struct {
	anon, viewer, other, plain, owner, operator *webtest.Client
}

// sweepRoute checks one route for its class.
func sweepRoute(t *testing.T, app *webtest.App, a *orgA, method, pattern string, class access, c clients) {
	path := a.fill(t, pattern)
	changes := method != http.MethodGet && method != http.MethodHead
	send := func(cl *webtest.Client, token bool, extra ...string) *webtest.Page {
		v := url.Values{"name": {"Hijack"}, "label": {"Hijack"}, "amount": {"1"}}
		if token {
			if cl.CSRF == "" {
				cl.Get("/login")
			}
			v.Set("_csrf", cl.CSRF)
		}
		var body *strings.Reader
		if changes {
			body = strings.NewReader(v.Encode())
		} else {
			body = strings.NewReader("")
		}
		req, err := http.NewRequest(method, app.URL+path, body)
		require.NoError(t, err)
		if changes {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for i := 0; i+1 < len(extra); i += 2 {
			req.Header.Set(extra[i], extra[i+1])
		}
		return cl.Do(req)
	}
	denied := func(p *webtest.Page) bool {
		switch p.Status {
		case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
			return true
		case http.StatusSeeOther:
			return strings.HasPrefix(p.Location(), "/login")
		}
		return false
	}
	noLeak := func(who string, p *webtest.Page) {
		for _, m := range a.markers {
			require.NotContainsf(t, p.Body, m, "%s %s %s shows org A's %q", who, method, path, m)
		}
	}
	switch class {
	case open:
		if changes {
			require.Equalf(t, http.StatusForbidden, send(c.anon, false).Status, "anonymous %s %s without CSRF", method, path)
			require.Equalf(t, http.StatusForbidden, send(c.owner, false).Status, "owner %s %s without CSRF", method, path)
		}
		return
	case shareLink:
		require.Falsef(t, changes, "share-link viewers reach no write route: %s %s", method, path)
		for _, tok := range []string{"not-a-token", a.revoked} {
			bogus := strings.Replace(path, a.shareToken, tok, 1)
			p := c.anon.Get(bogus)
			require.Containsf(t, []int{http.StatusNotFound, http.StatusGone}, p.Status, "GET %s with a bad or revoked token", pattern)
			noLeak("a bad token", p)
		}
		return
	case webhook:
		p := c.anon.PostRaw(path, url.Values{"id": {"evt_forged"}, "type": {"charge.succeeded"}})
		require.Truef(t, p.Status >= 400 && p.Status < 500, "an unsigned %s %s got %d", method, path, p.Status)
		return
	}
	// Member, admin and operator routes: anonymous visitors and share-link viewers are refused.
	for who, cl := range map[string]*webtest.Client{"anonymous": c.anon, "share viewer": c.viewer} {
		p := send(cl, false)
		require.Truef(t, denied(p), "%s %s %s got %d", who, method, path, p.Status)
		noLeak(who, p)
	}
	if class == operator {
		// Everyone but the operator organization's owners gets the ordinary 404, even with a token.
		for who, cl := range map[string]*webtest.Client{"another org's owner": c.other, "org A's owner": c.owner, "org A's member": c.plain} {
			p := send(cl, true, "Sec-Fetch-Site", "same-origin", "Origin", app.URL)
			require.Equalf(t, http.StatusNotFound, p.Status, "%s %s %s", who, method, path)
		}
		if changes {
			p := send(c.operator, true)
			require.Equalf(t, http.StatusForbidden, p.Status, "operator %s %s without a same-origin header", method, path)
			p = send(c.operator, true, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
			require.Equalf(t, http.StatusForbidden, p.Status, "operator %s %s from another site", method, path)
		}
		return
	}
	// A member of another organization never sees or changes org A's records. (Streams are
	// endless for an allowed caller; their scoping is checked after the sweep.)
	if !strings.HasSuffix(pattern, "/stream") {
		p := send(c.other, true)
		noLeak("other org", p)
		// OAuth routes carry a provider name, not an id of org A (their state is bound to the
		// session that started the flow: TestOAuthCallbackRefusesForeignExpiredAndForgedStates).
		if strings.Contains(pattern, ":") && !strings.HasPrefix(pattern, "/integrations/oauth/") {
			refused := denied(p) || p.Status == http.StatusBadRequest || p.Status == http.StatusUnprocessableEntity
			require.Truef(t, refused, "other org %s %s got %d", method, path, p.Status)
		}
	}
	// Every state change without a CSRF token is refused, even for the owner.
	if changes {
		require.Equalf(t, http.StatusForbidden, send(c.owner, false).Status, "owner %s %s without CSRF", method, path)
	}
	// Plain members are refused admin routes.
	if class == admin {
		p := send(c.plain, true)
		require.Equalf(t, http.StatusForbidden, p.Status, "member %s %s", method, path)
	}
}

// firstStreamFrame opens an SSE stream and returns what arrives up to the end of the first
// snapshot frame (the "freshness" event closes it).
func firstStreamFrame(t *testing.T, app *webtest.App, c *webtest.Client, path string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, app.URL+path, nil)
	require.NoError(t, err)
	resp, err := c.HTTP.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	var b strings.Builder
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	seenLast := false
	for sc.Scan() {
		line := sc.Text()
		b.WriteString(line + "\n")
		if line == "event: freshness" {
			seenLast = true
		}
		if seenLast && line == "" {
			break
		}
	}
	return b.String()
}
