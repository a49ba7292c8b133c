package handlers_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers/webtest"
)

// createShareLink makes a link through the form and returns its token.
func createShareLink(t *testing.T, owner *webtest.Owner, label string, hideMoney bool) string {
	owner.Get("/share")
	v := url.Values{"label": {label}, "expires_in": {""}}
	if hideMoney {
		v.Set("hide_money", "1")
	}
	p := owner.Post("/share", v)
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	link := p.Doc.Find("[data-share-link]").AttrOr("value", "")
	_, token, ok := strings.Cut(link, "/s/")
	require.True(t, ok, link)
	return token
}

func TestShareLinksCreateListViewRevoke(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	owner := app.SignupOwner(t, "Share Studio", "America/New_York", "USD")
	ctx := context.Background()
	_, err := app.Env.Admin.Exec(ctx, `insert into payments (org_id, amount, currency, paid_at) values ($1, 4242, 'USD', now())`, owner.OrgID)
	require.NoError(t, err)
	// Rows inserted as the superuser skip the write hook: ask for the recompute explicitly.
	require.NoError(t, app.Jobs.EnqueueRecompute(ctx, owner.OrgID))

	token := createShareLink(t, owner, "Venue coordinator", false)
	raw, err := base64.RawURLEncoding.DecodeString(token)
	require.NoError(t, err)
	require.Len(t, raw, 16, "128 random bits")
	var stored int
	require.NoError(t, app.Env.Admin.QueryRow(ctx, `select count(*) from share_links where token_hash::text like '%'||$1||'%' or label = $1`, token).Scan(&stored))
	require.Zero(t, stored, "the token itself is never stored")

	p := owner.Get("/share")
	require.Contains(t, p.Text(`[data-table="share-links"]`), "Venue coordinator")
	require.Contains(t, p.Text(`[data-table="share-links"]`), "active")

	viewer := app.Client(t)
	require.Eventually(t, func() bool {
		p := viewer.Get("/s/" + token)
		return p.Status == http.StatusOK && p.Doc.Find(`[data-kpi="revenue_mtd"]`).AttrOr("data-value", "") == "4242"
	}, 10*time.Second, 50*time.Millisecond)
	p = viewer.Get("/s/" + token)
	require.Zero(t, p.Doc.Find("form").Length(), "read-only: no forms")
	require.Zero(t, p.Doc.Find(`a[href^="/records"]`).Length(), "no links into the app")

	// An open stream closes within a second of revoking.
	streamCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(streamCtx, http.MethodGet, app.URL+"/s/"+token+"/stream", nil)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	lines := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 4<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitFor := func(want string) {
		for {
			select {
			case l, ok := <-lines:
				require.True(t, ok, "stream ended before %q", want)
				if l == want {
					return
				}
			case <-streamCtx.Done():
				t.Fatalf("no %q", want)
			}
		}
	}
	waitFor("event: kpi-revenue")
	var id string
	require.NoError(t, app.Env.Admin.QueryRow(ctx, `select id::text from share_links where org_id = $1`, owner.OrgID).Scan(&id))
	owner.Get("/share")
	revoked := time.Now()
	p = owner.Post("/share/"+id+"/revoke", nil)
	require.Equal(t, http.StatusSeeOther, p.Status)
	waitFor("event: revoked")
	for range lines { // drain to the end of the stream
	}
	t.Logf("RESULT share_revoke_closes_stream_ms %d ms", time.Since(revoked).Milliseconds())
	require.Less(t, time.Since(revoked), time.Second)

	p = viewer.Get("/s/" + token)
	require.Equal(t, http.StatusGone, p.Status)
	require.Contains(t, p.Text("h1"), "no longer works")
	require.Equal(t, http.StatusGone, viewer.Get("/s/"+token+"/stream").Status)
	require.Equal(t, http.StatusNotFound, viewer.Get("/s/AAAAAAAAAAAAAAAAAAAAAA").Status)

	// Another organization's owner cannot revoke this organization's links.
	other := app.SignupOwner(t, "Other", "UTC", "USD")
	other.Get("/share")
	require.Equal(t, http.StatusNotFound, other.Post("/share/"+id+"/revoke", nil).Status)
}

func TestShareLinkExpiryAndHiddenMoney(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	owner := app.SignupOwner(t, "Hidden Money", "UTC", "USD")
	ctx := context.Background()
	require.NoError(t, app.Jobs.EnqueueRecompute(ctx, owner.OrgID))
	app.WaitForSnapshot(t, owner.OrgID)
	token := createShareLink(t, owner, "Second shooter", true)
	viewer := app.Client(t)
	p := viewer.Get("/s/" + token)
	require.Equal(t, http.StatusOK, p.Status)
	card := p.Doc.Find(`[data-kpi="revenue_mtd"]`)
	require.Equal(t, 1, card.Length())
	_, has := card.Attr("data-value")
	require.False(t, has, "money values are hidden")
	require.Equal(t, http.StatusForbidden, viewer.Get("/s/"+token+"/export.csv?series=revenue_by_month").Status)

	// Bad form input is explained.
	owner.Get("/share")
	p = owner.Post("/share", url.Values{"label": {""}, "expires_in": {"forever"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	require.NotEmpty(t, p.Text(`[data-error-for="label"]`))
	require.NotEmpty(t, p.Text(`[data-error-for="expires_in"]`))

	_, err := app.Env.Admin.Exec(ctx, `update share_links set expires_at = now() - interval '1 minute' where org_id = $1`, owner.OrgID)
	require.NoError(t, err)
	require.Equal(t, http.StatusGone, viewer.Get("/s/"+token).Status)
}
