package ical

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/calmap"
	"github.com/wedsync/wedsync/jobs/connector/ical/icaltest"
	"github.com/wedsync/wedsync/store"
)

func newFeedClient(t *testing.T, fake *icaltest.Server, config map[string]string) *Client {
	t.Helper()
	srv := fake.Start()
	t.Cleanup(srv.Close)
	c, err := Provider().New(connector.Params{Credentials: map[string]string{FeedURLKey: fake.URL(srv)}, Config: config,
		HTTPClient: &http.Client{Timeout: 5 * time.Second}, Now: func() time.Time { return t0 }})
	require.NoError(t, err)
	return c.(*Client)
}

func rows(page connector.Page) (upserts map[string]store.CalendarEventRow, deleted []string) {
	upserts = map[string]store.CalendarEventRow{}
	for _, r := range page.Records {
		if r.Deleted {
			deleted = append(deleted, r.ExternalID)
		} else if r.Problem == "" {
			upserts[r.ExternalID] = r.Row.(store.CalendarEventRow)
		}
	}
	return upserts, deleted
}

// TestFetchConditionalGetAndVanishedEvents: the first sync maps every event with the
// integration's rules; an unchanged feed answers 304 and nothing is applied again; an event
// that disappears from the feed (or an occurrence newly excluded) is deleted.
func TestFetchConditionalGetAndVanishedEvents(t *testing.T) {
	t.Parallel()
	fake := icaltest.New()
	fake.SetFeed(studioFeed())
	c := newFeedClient(t, fake, map[string]string{calmap.ConsultationKey: "consultation, tasting"})
	ctx := context.Background()

	page, err := c.Fetch(ctx, nil)
	require.NoError(t, err)
	require.True(t, page.Done)
	up, del := rows(page)
	require.Empty(t, del)
	require.Len(t, up, 9)
	require.Equal(t, "wedding", up["040000008200E00074C5B7101A82E008"].Kind)
	require.Equal(t, "wedding", up["ny@studio"].Kind, "elopement is a default wedding word")
	require.Equal(t, "tentative", up["ny@studio"].Status)
	require.Equal(t, "consultation", up["floating@studio"].Kind, "the integration's own consultation words")
	require.True(t, up["floating@studio"].LocalTime)
	require.True(t, up["allday@studio"].AllDay)
	require.Equal(t, "consultation", up["consult-series@studio/20260616T090000Z"].Kind)

	again, err := c.Fetch(ctx, page.Cursor)
	require.NoError(t, err)
	require.Empty(t, again.Records, "304: nothing re-applied")
	require.JSONEq(t, string(page.Cursor), string(again.Cursor))
	require.Equal(t, icaltest.Stats{Requests: 2, NotModified: 1, Served: 1}, fake.Stats())

	// The wedding is deleted at the source and one more consultation is excluded.
	changed := strings.Replace(studioFeed(), "EXDATE;TZID=Europe/London:20260609T100000",
		"EXDATE;TZID=Europe/London:20260609T100000,20260707T100000", 1)
	start := strings.Index(changed, "BEGIN:VEVENT\r\nUID:040000008200E00074C5B7101A82E008")
	end := strings.Index(changed[start:], "END:VEVENT\r\n") + len("END:VEVENT\r\n")
	fake.SetFeed(changed[:start] + changed[start+end:])
	third, err := c.Fetch(ctx, again.Cursor)
	require.NoError(t, err)
	up, del = rows(third)
	require.ElementsMatch(t, []string{"040000008200E00074C5B7101A82E008", "consult-series@studio/20260707T090000Z"}, del)
	require.Len(t, up, 7)
	var cur cursor
	require.NoError(t, json.Unmarshal(third.Cursor, &cur))
	require.Len(t, cur.IDs, 7)
	require.NotEmpty(t, cur.ETag)
	require.NotEmpty(t, cur.LastModified)
}

// TestFetchFailuresAreClassified: 5xx and 429 (with Retry-After) are retried by the framework,
// a feed address that no longer exists needs the admin, a page that is not a calendar is bad data.
func TestFetchFailuresAreClassified(t *testing.T) {
	t.Parallel()
	fake := icaltest.New()
	fake.SetFeed(studioFeed())
	c := newFeedClient(t, fake, nil)
	ctx := context.Background()

	fake.FailNext(1, http.StatusServiceUnavailable, "")
	_, err := c.Fetch(ctx, nil)
	require.Equal(t, connector.ClassProviderDown, connector.ClassOf(err))

	fake.FailNext(1, http.StatusTooManyRequests, "120")
	_, err = c.Fetch(ctx, nil)
	var ce *connector.Error
	require.ErrorAs(t, err, &ce)
	require.Equal(t, connector.ClassRateLimited, ce.Class)
	require.Equal(t, 2*time.Minute, ce.RetryAfter)

	fake.FailNext(1, http.StatusNotFound, "")
	_, err = c.Fetch(ctx, nil)
	require.Equal(t, connector.ClassCredentials, connector.ClassOf(err))
	require.NotContains(t, err.Error(), fake.Path, "the secret address stays out of messages")

	fake.SetFeed("<html><body>Sign in to continue</body></html>")
	_, err = c.Fetch(ctx, nil)
	require.Equal(t, connector.ClassBadData, connector.ClassOf(err))
	require.Error(t, c.Test(ctx))

	fake.SetFeed(studioFeed())
	require.NoError(t, c.Test(ctx))
	page, err := c.Fetch(ctx, nil)
	require.NoError(t, err)
	require.Len(t, page.Records, 9)
}

func TestProviderForm(t *testing.T) {
	t.Parallel()
	p := Provider()
	require.Equal(t, "Calendars", p.Category)
	require.Equal(t, "iCalendar feed", p.Label)
	names := []string{}
	for _, f := range p.Fields {
		names = append(names, f.Name)
	}
	require.Equal(t, []string{FeedURLKey, calmap.WeddingKey, calmap.ConsultationKey, calmap.CalendarsKey}, names)
	require.True(t, p.Fields[0].Secret)

	require.Contains(t, p.CheckFields(map[string]string{}, false), FeedURLKey, "required")
	require.Contains(t, p.CheckFields(map[string]string{FeedURLKey: "webcal://p01-caldav.icloud.com/x.ics"}, false)[FeedURLKey], "https://")
	require.Contains(t, p.CheckFields(map[string]string{FeedURLKey: "ftp://example.com/x.ics"}, false), FeedURLKey)
	require.Contains(t, p.CheckFields(map[string]string{FeedURLKey: "https://x.example/a.ics", calmap.WeddingKey: "/(/"}, false), calmap.WeddingKey)
	require.Empty(t, p.CheckFields(map[string]string{FeedURLKey: "https://calendar.google.com/calendar/ical/a/private-b/basic.ics"}, false))
	require.Empty(t, p.CheckFields(map[string]string{}, true), "a stored URL is kept on edit")
}
