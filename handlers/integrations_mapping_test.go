package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers/webtest"
)

// previewKinds reads the preview table: title → [current kind, kind under the typed rules].
func previewKinds(t *testing.T, doc *goquery.Document) map[string][2]string {
	t.Helper()
	out := map[string][2]string{}
	doc.Find("[data-preview-row]").Each(func(_ int, r *goquery.Selection) {
		out[r.AttrOr("data-title", "")] = [2]string{r.AttrOr("data-current", ""), r.AttrOr("data-kind", "")}
	})
	return out
}

// TestCalendarMappingPreviewAndSave: the edit page of a calendar integration previews its stored
// events under the rules; typing other rules (an htmx POST with the form's values) shows the new
// classification without changing anything; an invalid pattern gets an inline message; the
// preview needs the CSRF token like every POST; saving re-classifies the stored events and the
// dashboard's snapshot follows (a calendar wedding now collides with a booking).
func TestCalendarMappingPreviewAndSave(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	owner := app.SignupOwner(t, "Mapping Studio", "Europe/London", "GBP")
	ctx := context.Background()

	p := owner.Post("/integrations", url.Values{"provider": {"ical"}, "name": {"Studio calendar"},
		"feed_url": {"https://calendar.example/private-abc/basic.ics"}, "interval_minutes": {"60"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	pid := strings.TrimPrefix(p.Location(), "/integrations/")
	var iid int64
	require.NoError(t, app.Env.Admin.QueryRow(ctx, `update integrations set next_run_at = now() + interval '1 day'
		where public_id = $1 returning id`, pid).Scan(&iid))

	soon := time.Now().AddDate(0, 1, 0).UTC().Truncate(24 * time.Hour).Add(12 * time.Hour)
	for _, e := range []struct {
		title, kind string
		at          time.Time
	}{
		{"Smith & Jones ceremony", "wedding", soon.AddDate(0, 0, 1)},
		{"Coffee with Sam & Kit", "other", soon},
		{"Venue visit: Lee", "consultation", soon.AddDate(0, 0, 2)},
		{"Tasting last month", "consultation", time.Now().AddDate(0, -1, 0)},
	} {
		_, err := app.Env.Admin.Exec(ctx, `insert into calendar_events (org_id, integration_id, external_id, title, starts_at, ends_at, kind)
			values ($1, $2, $3, $3, $4::timestamptz, $4::timestamptz + interval '2 hours', $5)`, owner.OrgID, iid, e.title, e.at, e.kind)
		require.NoError(t, err)
	}
	// A booking on the coffee's date: once that event counts as a wedding, the day is over capacity.
	_, err := app.Env.Admin.Exec(ctx, `insert into bookings (org_id, wedding_date, booked_at, contract_amount, currency)
		values ($1, ($2::timestamptz at time zone 'Europe/London')::date, now(), 100000, 'GBP')`, owner.OrgID, soon)
	require.NoError(t, err)

	edit := owner.Get("/integrations/" + pid + "/edit")
	require.Equal(t, http.StatusOK, edit.Status)
	require.Equal(t, 1, edit.Doc.Find(`#mapping-preview[hx-post="/integrations/`+pid+`/preview"]`).Length())
	require.Equal(t, map[string][2]string{
		"Smith & Jones ceremony": {"wedding", "wedding"}, "Coffee with Sam & Kit": {"other", "other"},
		"Venue visit: Lee": {"consultation", "consultation"}, "Tasting last month": {"consultation", "consultation"},
	}, previewKinds(t, edit.Doc))

	typed := url.Values{"name": {"Studio calendar"}, "interval_minutes": {"60"}, "feed_url": {""},
		"wedding_match": {"ceremony, coffee"}, "consultation_match": {"tasting"}, "calendars": {""}}
	pre := owner.Post("/integrations/"+pid+"/preview", typed)
	require.Equal(t, http.StatusOK, pre.Status, pre.Body)
	require.Equal(t, map[string][2]string{
		"Smith & Jones ceremony": {"wedding", "wedding"}, "Coffee with Sam & Kit": {"other", "wedding"},
		"Venue visit: Lee": {"consultation", "other"}, "Tasting last month": {"consultation", "consultation"},
	}, previewKinds(t, pre.Doc))
	require.Equal(t, 2, pre.Doc.Find("[data-preview-row].changed [data-changed]").Length())
	require.Contains(t, pre.Doc.Find("[data-preview-summary]").Text(), "changes 2 listed events")
	var stored int
	require.NoError(t, app.Env.Admin.QueryRow(ctx, `select count(*) from calendar_events where integration_id = $1 and kind = 'other'`, iid).Scan(&stored))
	require.Equal(t, 1, stored, "a preview changes nothing")

	bad := url.Values{"wedding_match": {"/([a/"}, "consultation_match": {"tasting"}}
	pre = owner.Post("/integrations/"+pid+"/preview", bad)
	require.Equal(t, http.StatusOK, pre.Status)
	require.Contains(t, pre.Doc.Find(`[data-preview-error="wedding_match"]`).Text(), "regular expression")
	require.Equal(t, "", previewKinds(t, pre.Doc)["Coffee with Sam & Kit"][1], "no classification from a broken rule")

	require.Equal(t, http.StatusForbidden, owner.PostRaw("/integrations/"+pid+"/preview", typed).Status, "CSRF")
	stranger := app.SignupOwner(t, "Other Studio", "UTC", "USD")
	require.Equal(t, http.StatusNotFound, stranger.Post("/integrations/"+pid+"/preview", typed).Status, "another organization's integration")

	// Saving an invalid pattern keeps the form with the message inline.
	badSave := url.Values{}
	for k, v := range typed {
		badSave[k] = v
	}
	badSave.Set("wedding_match", "/([a/")
	saved := owner.Post("/integrations/"+pid, badSave)
	require.Equal(t, http.StatusUnprocessableEntity, saved.Status)
	require.Contains(t, saved.Body, "regular expression")

	before := app.WaitForSnapshot(t, owner.OrgID)
	require.Empty(t, before.KPIs.CalendarConflicts)
	saved = owner.Post("/integrations/"+pid, typed)
	require.Equal(t, http.StatusSeeOther, saved.Status, saved.Body)
	kinds := map[string]string{}
	rows, err := app.Env.Admin.Query(ctx, `select title, kind from calendar_events where integration_id = $1`, iid)
	require.NoError(t, err)
	for rows.Next() {
		var title, kind string
		require.NoError(t, rows.Scan(&title, &kind))
		kinds[title] = kind
	}
	require.NoError(t, rows.Err())
	require.Equal(t, map[string]string{"Smith & Jones ceremony": "wedding", "Coffee with Sam & Kit": "wedding",
		"Venue visit: Lee": "other", "Tasting last month": "consultation"}, kinds)
	page := owner.Get("/integrations/" + pid)
	require.Contains(t, page.Body, "2 stored events were re-classified")

	after := app.WaitForSnapshot(t, owner.OrgID)
	require.Len(t, after.KPIs.CalendarConflicts, 1, "the recompute sees the new wedding")
	require.Equal(t, 1, after.KPIs.CalendarConflicts[0].Bookings)
	dash := owner.Get("/dashboard")
	require.Equal(t, 1, dash.Doc.Find(`[data-need="calendar-conflicts"]`).Length())
}
