package handlers_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers/webtest"
	"github.com/wedsync/wedsync/store"
)

// publicRoutes answer anyone (no session needed); every other route needs a member.
var publicRoutes = map[string]bool{
	"/": true, "/signup": true, "/login": true, "/logout": true, "/invite/:token": true,
	"/healthz": true, "/readyz": true, "/static/*": true,
}

func isPublic(path string) bool {
	return publicRoutes[path] || strings.HasPrefix(path, "/s/:token") || strings.HasPrefix(path, "/webhooks/")
}

// orgA is an organization with one record of every kind, a share link and an invite, plus marker
// strings that must never appear on another organization's pages.
type orgA struct {
	owner      *webtest.Owner
	shareToken string
	ids        map[string]int64 // table name -> a record id
	markers    []string
}

func newOrgA(t *testing.T, app *webtest.App) *orgA {
	ctx := context.Background()
	a := &orgA{owner: app.SignupOwner(t, "Zephyrine Atelier", "America/New_York", "USD"), ids: map[string]int64{}}
	org := a.owner.OrgID
	admin := app.Env.Admin
	exec := func(sql string, args ...any) int64 {
		var id int64
		require.NoError(t, admin.QueryRow(ctx, sql, args...).Scan(&id), sql)
		return id
	}
	a.ids["clients"] = exec(`insert into clients (org_id, name, email) values ($1, 'Quillon Marchetti', 'quillon@example.test') returning id`, org)
	a.ids["inquiries"] = exec(`insert into inquiries (org_id, client_id, source, received_at, currency) values ($1, $2, 'website', now(), 'USD') returning id`, org, a.ids["clients"])
	a.ids["bookings"] = exec(`insert into bookings (org_id, client_id, title, wedding_date, booked_at, contract_amount, currency)
		values ($1, $2, 'Marchetti wedding', current_date + 40, now(), 777777, 'USD') returning id`, org, a.ids["clients"])
	a.ids["invoices"] = exec(`insert into invoices (org_id, booking_id, number, due_date, amount) values ($1, $2, 'ZA-1', current_date + 10, 123457) returning id`, org, a.ids["bookings"])
	a.ids["payments"] = exec(`insert into payments (org_id, booking_id, amount, currency, paid_at, note) values ($1, $2, 654321, 'USD', now(), 'Zephyr deposit') returning id`, org, a.ids["bookings"])
	a.ids["reviews"] = exec(`insert into reviews (org_id, booking_id, rating, body, received_at) values ($1, $2, 5, 'Zephyrine was wonderful', now()) returning id`, org, a.ids["bookings"])
	a.ids["share_links"] = 0
	var err error
	a.shareToken, err = app.DB.CreateShareLink(ctx, org, a.owner.UserID, store.ShareLinkInput{Label: "Planner"})
	require.NoError(t, err)
	a.ids["share_links"] = exec(`select id from share_links where org_id = $1`, org)
	a.markers = []string{"Zephyrine Atelier", "Quillon", "Marchetti", "Zephyr deposit", "Zephyrine was wonderful"}
	app.WaitForSnapshot(t, org)
	return a
}

// fill replaces a route's parameters with org A's values.
func (a *orgA) fill(path string) string {
	out := path
	for table, id := range a.ids {
		if strings.Contains(path, "/"+strings.ReplaceAll(table, "_", "-")+"/:id") || strings.Contains(path, "/"+table+"/:id") ||
			(table == "share_links" && strings.HasPrefix(path, "/share/:id")) {
			out = strings.Replace(out, ":id", fmt.Sprint(id), 1)
		}
	}
	out = strings.Replace(out, ":id", "1", 1)
	out = strings.Replace(out, ":token", a.shareToken, 1)
	out = strings.Replace(out, ":provider", "stripe", 1)
	out = strings.Replace(out, ":public_id", "int_none", 1)
	out = strings.Replace(out, "*", "htmx-2.0.11.min.js", 1)
	return out
}

// TestAuthorizationSweep walks every route of the route table as an anonymous visitor, a member
// of another organization, a plain member (for admin routes) and a share-link viewer, with ids of
// organization A, and checks each is refused (or shows only the caller's own data).
func TestAuthorizationSweep(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	a := newOrgA(t, app)
	other := app.SignupOwner(t, "Other Org", "UTC", "USD")
	member := app.AddMember(t, a.owner.OrgID, store.RoleMember)
	anon := app.Client(t)
	viewer := app.Client(t) // a share-link viewer: no session, just the link
	viewer.Get("/s/" + a.shareToken)

	routes := app.Web.Routes()
	require.NotEmpty(t, routes)
	checked := 0
	for _, r := range routes {
		if r.Method != http.MethodGet && r.Method != http.MethodPost {
			continue
		}
		path := a.fill(r.Path)
		send := func(c *webtest.Client, withToken bool) *webtest.Page {
			if r.Method == http.MethodGet {
				return c.Get(path)
			}
			v := url.Values{"name": {"Hijack"}, "label": {"Hijack"}, "amount": {"1"}}
			if withToken {
				return c.Post(path, v)
			}
			return c.PostRaw(path, v)
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
				require.NotContainsf(t, p.Body, m, "%s %s %s shows org A's %q", who, r.Method, path, m)
			}
		}
		checked++
		if isPublic(r.Path) {
			// Public routes: still no state change without a token.
			if r.Method == http.MethodPost && !strings.HasPrefix(r.Path, "/webhooks/") {
				p := send(anon, false)
				require.Equalf(t, http.StatusForbidden, p.Status, "anonymous POST %s without CSRF", path)
			}
			continue
		}
		// Anonymous and share-link viewers reach no member route.
		for who, c := range map[string]*webtest.Client{"anonymous": anon, "share viewer": viewer} {
			p := send(c, false)
			require.Truef(t, denied(p), "%s %s %s got %d", who, r.Method, path, p.Status)
			noLeak(who, p)
		}
		// A member of another organization never sees or changes org A's records. (Streams are
		// endless for an allowed caller; their scoping is checked below.)
		if strings.HasSuffix(r.Path, "/stream") {
			continue
		}
		p := send(other.Client, true)
		noLeak("other org", p)
		if strings.Contains(r.Path, ":id") {
			require.Truef(t, denied(p) || p.Status == http.StatusUnprocessableEntity, "other org %s %s got %d", r.Method, path, p.Status)
		}
		// Every state change without a CSRF token is refused, even for the owner.
		if r.Method == http.MethodPost {
			p := send(a.owner.Client, false)
			require.Equalf(t, http.StatusForbidden, p.Status, "owner POST %s without CSRF", path)
		}
		// Plain members are refused admin pages.
		if adminOnly(r.Path) {
			p := send(member, true)
			require.Equalf(t, http.StatusForbidden, p.Status, "member %s %s", r.Method, path)
		}
	}
	t.Logf("checked %d routes", checked)

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

// adminOnly lists the route prefixes only owners and admins may use.
func adminOnly(path string) bool {
	for _, prefix := range []string{"/team", "/settings", "/audit", "/share", "/integrations", "/alerts/rules", "/alerts/channels"} {
		if strings.HasPrefix(path, prefix) {
			return true
		}
	}
	return false
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
