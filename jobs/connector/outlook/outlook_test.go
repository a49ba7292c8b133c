package outlook_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/outlook"
	"github.com/wedsync/wedsync/jobs/connector/outlook/outlooktest"
	"github.com/wedsync/wedsync/store"
	"golang.org/x/oauth2"
)

const token = "EwBwA8l6BAAUbDba3x2OMJElkF7gJ4z/VbCPEz0AAfake"

// bearer is an HTTP client that adds tok as the OAuth bearer token, as the framework's OAuth
// client does.
func bearer(tok string) *http.Client {
	return oauth2.NewClient(context.Background(), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok, TokenType: "Bearer"}))
}

// clock is a settable clock shared by the connector and the fake.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func setup(t *testing.T, p connector.Params) (*outlooktest.Server, *outlook.Client, string) {
	t.Helper()
	fake := outlooktest.New(token)
	url, stop := fake.Start()
	t.Cleanup(stop)
	if p.HTTPClient == nil {
		p.HTTPClient = bearer(token)
	}
	p.BaseURL = url
	c, err := outlook.New(p)
	require.NoError(t, err)
	return fake, c, url
}

// drain fetches until Done and returns the records by external id (the last one wins), the
// cursor and the number of pages.
func drain(t *testing.T, c *outlook.Client, cur json.RawMessage) (map[string]connector.Record, json.RawMessage, int) {
	t.Helper()
	seen := map[string]connector.Record{}
	for pages := 1; pages < 1000; pages++ {
		p, err := c.Fetch(context.Background(), cur)
		require.NoError(t, err)
		for _, r := range p.Records {
			seen[r.ExternalID] = r
		}
		cur = p.Cursor
		if p.Done {
			return seen, cur, pages
		}
	}
	t.Fatal("never done")
	return nil, nil, 0
}

func row(t *testing.T, r connector.Record) store.CalendarEventRow {
	t.Helper()
	require.Empty(t, r.Problem)
	require.False(t, r.Deleted)
	return r.Row.(store.CalendarEventRow)
}

func TestDeltaPagesThenIncrementalChanges(t *testing.T) {
	t.Parallel()
	fake, c, _ := setup(t, connector.Params{Config: map[string]string{"wedding_match": "wedding, ceremony"}})
	base := time.Now().UTC().Truncate(time.Hour).Add(24 * time.Hour)
	var ids []string
	for i := range 250 {
		subject := "Studio time"
		if i%10 == 0 {
			subject = "Smith & Jones Wedding"
		}
		e := fake.AddEvent(outlooktest.Event{Subject: subject, Start: base.Add(time.Duration(i) * time.Hour), End: base.Add(time.Duration(i)*time.Hour + 30*time.Minute)})
		ids = append(ids, e.ID)
	}
	fake.AddEvent(outlooktest.Event{Subject: "Outside the window", Start: base.AddDate(3, 0, 0), End: base.AddDate(3, 0, 1)})
	fake.SetDuplicates(true)
	fake.SetEmptyPageEvery(2)
	seen, cur, pages := drain(t, c, nil)
	require.Len(t, seen, 250)
	require.Greater(t, pages, 3, "100 a page, plus empty pages")
	first := row(t, seen[ids[0]])
	require.Equal(t, "wedding", first.Kind)
	require.Equal(t, base, first.StartsAt)
	require.Equal(t, base.Add(30*time.Minute), first.EndsAt)
	require.Equal(t, "confirmed", first.Status)
	require.Equal(t, "other", row(t, seen[ids[1]]).Kind)

	reqs := fake.DeltaRequests()
	require.Contains(t, reqs[0], "startDateTime=")
	require.Contains(t, reqs[0], "endDateTime=")
	prefer := strings.Join(fake.Prefer(), ", ")
	require.Contains(t, prefer, `outlook.timezone="UTC"`)
	require.Contains(t, prefer, "odata.maxpagesize=100")
	require.Contains(t, string(cur), "deltatoken", "the deltaLink is the next sync's start")

	// The next sync reads only what changed: an update, a cancellation, a deletion and a new event.
	fake.SetDuplicates(false)
	fake.SetEmptyPageEvery(0)
	require.NoError(t, fake.UpdateEvent(ids[5], func(e *outlooktest.Event) {
		e.Subject = "Venue visit moved"
		e.Start = e.Start.Add(time.Hour)
		e.End = e.End.Add(time.Hour)
	}))
	require.NoError(t, fake.UpdateEvent(ids[10], func(e *outlooktest.Event) { e.Cancelled = true }))
	require.NoError(t, fake.DeleteEvent(ids[20]))
	added := fake.AddEvent(outlooktest.Event{Subject: "Elopement at the lake", Start: base.Add(-48 * time.Hour), End: base.Add(-40 * time.Hour)})
	n := len(fake.DeltaRequests())
	seen, _, pages = drain(t, c, cur)
	require.Equal(t, 1, pages)
	require.Len(t, seen, 4)
	require.Contains(t, fake.DeltaRequests()[n], "$deltatoken=")
	moved := row(t, seen[ids[5]])
	require.Equal(t, "Venue visit moved", moved.Title)
	require.Equal(t, "consultation", moved.Kind, "the default consultation words still apply")
	require.Equal(t, base.Add(6*time.Hour), moved.StartsAt)
	require.Equal(t, "cancelled", row(t, seen[ids[10]]).Status)
	require.True(t, seen[ids[20]].Deleted, "@removed is a deletion")
	require.Equal(t, "other", row(t, seen[added.ID]).Kind, "this integration's wedding rule names neither elopement nor anything else in the title")
}

func TestAllDayTimeZonesTentativeAndSeriesMasters(t *testing.T) {
	t.Parallel()
	fake := outlooktest.New(token)
	// A proxy that drops our Prefer: outlook.timezone, so the fake answers in each event's own
	// zone, as Graph does for clients that do not ask.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var kept []string
		for _, v := range r.Header.Values("Prefer") {
			if !strings.HasPrefix(v, "outlook.timezone") {
				kept = append(kept, v)
			}
		}
		r.Header["Prefer"] = kept
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := outlook.New(connector.Params{BaseURL: srv.URL, HTTPClient: bearer(token)})
	require.NoError(t, err)
	london, err := time.LoadLocation("Europe/London")
	require.NoError(t, err)
	la, err := time.LoadLocation("America/Los_Angeles")
	require.NoError(t, err)
	year := time.Now().Year() + 1
	day := fake.AddEvent(outlooktest.Event{Subject: "Wedding: Ada & Grace", AllDay: true, Zone: la, ZoneName: "Pacific Standard Time",
		Start: time.Date(year, 6, 6, 0, 0, 0, 0, la), End: time.Date(year, 6, 8, 0, 0, 0, 0, la)})
	bst := fake.AddEvent(outlooktest.Event{Subject: "Tasting", Zone: london, ZoneName: "GMT Standard Time",
		Start: time.Date(year, 7, 1, 14, 0, 0, 0, london), End: time.Date(year, 7, 1, 15, 30, 0, 0, london)})
	iana := fake.AddEvent(outlooktest.Event{Subject: "Call", Zone: la, ShowAs: "tentative",
		Start: time.Date(year, 1, 10, 9, 0, 0, 0, la), End: time.Date(year, 1, 10, 9, 30, 0, 0, la)})
	master := fake.AddEvent(outlooktest.Event{Subject: "Weekly studio", Type: "seriesMaster",
		Start: time.Date(year, 2, 2, 9, 0, 0, 0, time.UTC), End: time.Date(year, 2, 2, 10, 0, 0, 0, time.UTC)})
	occ := fake.AddEvent(outlooktest.Event{Subject: "Weekly studio", Type: "occurrence", SeriesMasterID: master.ID,
		Start: time.Date(year, 2, 9, 9, 0, 0, 0, time.UTC), End: time.Date(year, 2, 9, 10, 0, 0, 0, time.UTC)})

	seen, _, _ := drain(t, c, nil)
	require.Len(t, seen, 4, "the series master is skipped")
	require.NotContains(t, seen, master.ID)
	require.Contains(t, seen, occ.ID)
	d := row(t, seen[day.ID])
	require.True(t, d.AllDay)
	require.Equal(t, time.Date(year, 6, 6, 0, 0, 0, 0, time.UTC), d.StartsAt, "all-day dates are kept, not shifted by the zone")
	require.Equal(t, time.Date(year, 6, 8, 0, 0, 0, 0, time.UTC), d.EndsAt)
	require.Equal(t, "wedding", d.Kind)
	b := row(t, seen[bst.ID])
	require.Equal(t, time.Date(year, 7, 1, 13, 0, 0, 0, time.UTC), b.StartsAt, "14:00 in London in July is 13:00 UTC (Windows zone name)")
	require.Equal(t, "consultation", b.Kind)
	i := row(t, seen[iana.ID])
	require.Equal(t, time.Date(year, 1, 10, 17, 0, 0, 0, time.UTC), i.StartsAt, "IANA zone name")
	require.Equal(t, "tentative", i.Status)
}

func TestExpiredDeltaStateRestarts(t *testing.T) {
	t.Parallel()
	for _, withLocation := range []bool{true, false} {
		fake, c, _ := setup(t, connector.Params{})
		start := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Hour)
		for i := range 30 {
			fake.AddEvent(outlooktest.Event{Subject: "Shoot", Start: start.Add(time.Duration(i) * time.Hour), End: start.Add(time.Duration(i)*time.Hour + time.Hour)})
		}
		_, cur, _ := drain(t, c, nil)
		fake.ExpireDeltaTokens(withLocation)
		n := len(fake.DeltaRequests())
		seen, cur, _ := drain(t, c, cur)
		require.Len(t, seen, 30, "a lost delta state reads everything again (location %v)", withLocation)
		reqs := fake.DeltaRequests()[n:]
		require.Contains(t, reqs[0], "$deltatoken=", "the stale token was tried")
		if withLocation {
			require.Contains(t, reqs[1], "$skiptoken=", "then the fresh URL of the 410's Location")
		} else {
			require.Contains(t, reqs[1], "startDateTime=", "then a full sync from the start")
		}
		seen, _, _ = drain(t, c, cur)
		require.Empty(t, seen, "and the new deltaLink works")
	}
}

func TestErrorsAreClassified(t *testing.T) {
	t.Parallel()
	fake, c, url := setup(t, connector.Params{})
	cases := []struct {
		fault outlooktest.Fault
		class connector.Class
		wait  time.Duration
	}{
		{outlooktest.Fault{Status: http.StatusForbidden}, connector.ClassPermission, 0},
		{outlooktest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "7"}, connector.ClassRateLimited, 7 * time.Second},
		{outlooktest.Fault{Status: http.StatusServiceUnavailable, RetryAfter: "2"}, connector.ClassProviderDown, 2 * time.Second},
	}
	for _, tc := range cases {
		fake.FailNext(tc.fault)
		_, err := c.Fetch(context.Background(), nil)
		require.Error(t, err)
		require.Equal(t, tc.class, connector.ClassOf(err), err.Error())
		var ce *connector.Error
		require.ErrorAs(t, err, &ce)
		require.Equal(t, tc.wait, ce.RetryAfter)
	}
	p, err := c.Fetch(context.Background(), nil)
	require.NoError(t, err, "after the faults the sync goes on")
	require.True(t, p.Done)

	wrong, err := outlook.New(connector.Params{BaseURL: url, HTTPClient: bearer("not-the-token")})
	require.NoError(t, err)
	require.Equal(t, connector.ClassCredentials, connector.ClassOf(wrong.Test(context.Background())))
	require.NoError(t, c.Test(context.Background()))
}

func TestLinksOffTheAPIOriginAreRefused(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t, connector.Params{})
	cur := `{"calendars":[{"link":"https://evil.example/v1.0/me/calendarView/delta?$deltatoken=x"}]}`
	_, err := c.Fetch(context.Background(), json.RawMessage(cur))
	require.Error(t, err)
	require.Equal(t, connector.ClassBug, connector.ClassOf(err), "the bearer token never leaves the API origin")
}
