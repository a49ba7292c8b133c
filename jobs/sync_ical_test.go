package jobs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/jobs/connector/ical/icaltest"
	"github.com/wedsync/wedsync/store"
)

// icalFeed: a wedding written in Los Angeles time that falls on 7 June in London, an all-day
// wedding, a wedding whose title names nobody, and a floating tasting.
func icalFeed(withAnaBo bool) string {
	anaBo := `BEGIN:VEVENT
		UID:anabo@feed
		DTSTART;TZID=Pacific Standard Time:20260606T170000
		DTEND;TZID=Pacific Standard Time:20260606T230000
		SUMMARY:Wedding: Ana & Bo
		END:VEVENT`
	if !withAnaBo {
		anaBo = ""
	}
	return icaltest.Calendar(anaBo, `BEGIN:VEVENT
		UID:caradan@feed
		DTSTART;VALUE=DATE:20260613
		DTEND;VALUE=DATE:20260614
		SUMMARY:Wedding Cara & Dan
		END:VEVENT
		BEGIN:VEVENT
		UID:noname@feed
		DTSTART:20260620T110000Z
		DTEND:20260620T180000Z
		SUMMARY:Wedding
		END:VEVENT
		BEGIN:VEVENT
		UID:tasting@feed
		DTSTART:20260520T180000
		DTEND:20260520T190000
		SUMMARY:Menu tasting
		END:VEVENT`)
}

type storedEvent struct {
	Kind      string
	StartsAt  time.Time
	BookingID *int64
}

// TestICalSyncLinksWeddingsAndFollowsTheFeed runs the iCalendar connector through the sync
// framework against the fake feed server: events land with their kinds and local dates (an
// all-day date and a floating time placed in the organization's timezone), weddings link to
// the booking of their local date whose couple the title names (not the lone booking of a date
// whose title names nobody), an unchanged feed (304) applies nothing, and an event removed from
// the feed is deleted.
func TestICalSyncLinksWeddingsAndFollowsTheFeed(t *testing.T) {
	t.Parallel()
	f := newSyncFixture(t, nil)
	ctx := context.Background()
	fake := icaltest.New()
	fake.SetFeed(icalFeed(true))
	srv := fake.Start()
	t.Cleanup(srv.Close)

	booking := func(client, date string) int64 {
		var id int64
		require.NoError(t, f.env.Admin.QueryRow(ctx, `with c as (insert into clients (org_id, name) values ($1, $2) returning id)
			insert into bookings (org_id, client_id, wedding_date, booked_at, contract_amount, currency)
			select $1, c.id, $3::date, now(), 100000, 'GBP' from c returning id`, f.org, client, date).Scan(&id))
		return id
	}
	anaBo := booking("Ana & Bo", "2026-06-07")
	booking("Someone Else", "2026-06-06")
	caraDan := booking("Cara Dan & Dan Cara", "2026-06-13")
	booking("Eve & Finn", "2026-06-20")

	in, err := f.env.DB.CreateIntegration(ctx, f.org, f.user, f.keys, store.IntegrationInput{Provider: "ical", Name: "Studio calendar",
		IntervalMinutes: "15", Secrets: map[string]string{"feed_url": fake.URL(srv)},
		Config: map[string]string{"consultation_match": "tasting"}})
	require.NoError(t, err)
	f.integ = in

	events := func() map[string]storedEvent {
		out := map[string]storedEvent{}
		rows, err := f.env.Admin.Query(ctx, `select external_id, kind, starts_at, booking_id from calendar_events where integration_id = $1`, in.ID)
		require.NoError(t, err)
		for rows.Next() {
			var id string
			var e storedEvent
			require.NoError(t, rows.Scan(&id, &e.Kind, &e.StartsAt, &e.BookingID))
			out[id] = e
		}
		require.NoError(t, rows.Err())
		return out
	}
	newest := func() store.SyncRun {
		runs := f.runs(t)
		require.NotEmpty(t, runs)
		last := runs[0]
		for _, r := range runs {
			if r.ID > last.ID {
				last = r
			}
		}
		require.Empty(t, last.ErrorClass, last.ErrorMessage)
		return last
	}

	f.syncNow(t)
	got := events()
	require.Len(t, got, 4)
	require.Equal(t, &anaBo, got["anabo@feed"].BookingID, "7 June in London, and the title names the couple")
	require.Equal(t, &caraDan, got["caradan@feed"].BookingID, "first names of a couple")
	require.Nil(t, got["noname@feed"].BookingID, "the only booking that day, but the title names nobody")
	require.Equal(t, "consultation", got["tasting@feed"].Kind)
	london, err := time.LoadLocation("Europe/London")
	require.NoError(t, err)
	require.Equal(t, time.Date(2026, 6, 13, 0, 0, 0, 0, london), got["caradan@feed"].StartsAt.In(london), "an all-day date at local midnight")
	require.Equal(t, time.Date(2026, 5, 20, 18, 0, 0, 0, london), got["tasting@feed"].StartsAt.In(london), "a floating time in local time")
	require.Equal(t, store.SyncCounts{Created: 4}, newest().Counts)

	f.syncNow(t)
	require.Equal(t, store.SyncCounts{}, newest().Counts, "304: nothing applied")
	require.Equal(t, 1, fake.Stats().NotModified)

	fake.SetFeed(icalFeed(false))
	f.syncNow(t)
	got = events()
	require.Len(t, got, 3)
	require.NotContains(t, got, "anabo@feed")
	require.Equal(t, 1, newest().Counts.Deleted)
	require.True(t, strings.HasPrefix(fake.URL(srv), "http://127.0.0.1"))
}

// TestICalFeedOnAPrivateAddressIsRefused: by default a feed address an admin types may only be
// on the public internet, so nobody can aim our servers at internal services; the integration
// asks for another address and the feed server never sees a request.
func TestICalFeedOnAPrivateAddressIsRefused(t *testing.T) {
	t.Parallel()
	f := newSyncFixture(t, func(sc *jobs.SyncConfig) { sc.AllowPrivateURLs = false })
	ctx := context.Background()
	fake := icaltest.New()
	fake.SetFeed(icalFeed(true))
	srv := fake.Start()
	t.Cleanup(srv.Close)
	in, err := f.env.DB.CreateIntegration(ctx, f.org, f.user, f.keys, store.IntegrationInput{Provider: "ical", Name: "Internal calendar",
		IntervalMinutes: "15", Secrets: map[string]string{"feed_url": fake.URL(srv)}})
	require.NoError(t, err)
	f.integ = in

	f.syncNow(t)
	got := f.reload(t)
	require.Equal(t, store.IntegrationNeedsReauth, got.Status)
	require.Equal(t, "credentials", got.LastErrorClass)
	require.Contains(t, got.LastError, "not on the public internet")
	require.Zero(t, fake.Stats().Requests, "the feed server was never called")
}
