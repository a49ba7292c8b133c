package ical

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs/connector/ical/icaltest"
)

// t0 is the tests' clock: the window runs from 2025-05-01 to 2028-04-30.
var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// studioFeed is a feed with every form the connector must read.
func studioFeed() string {
	return icaltest.Calendar(
		// A weekly consultation in London time: 6 Tuesdays from 2 June, the 9th excluded, the
		// 16th moved to 14:00 under a new title, the 23rd cancelled.
		`BEGIN:VEVENT
		UID:consult-series@studio
		DTSTART;TZID=Europe/London:20260602T100000
		DTEND;TZID=Europe/London:20260602T110000
		RRULE:FREQ=WEEKLY;COUNT=6
		EXDATE;TZID=Europe/London:20260609T100000
		SUMMARY:Consultation slot
		END:VEVENT
		BEGIN:VEVENT
		UID:consult-series@studio
		RECURRENCE-ID;TZID=Europe/London:20260616T100000
		DTSTART;TZID=Europe/London:20260616T140000
		DTEND;TZID=Europe/London:20260616T150000
		SUMMARY:Consultation with Lee (moved)
		END:VEVENT
		BEGIN:VEVENT
		UID:consult-series@studio
		RECURRENCE-ID:20260623T090000Z
		STATUS:CANCELLED
		DTSTART;TZID=Europe/London:20260623T100000
		SUMMARY:Consultation slot
		END:VEVENT`,
		// A wedding written by Outlook with a Windows zone name (CEST, UTC+2 in June).
		`BEGIN:VEVENT
		UID:040000008200E00074C5B7101A82E008
		DTSTART;TZID="W. Europe Standard Time":20260606T140000
		DTEND;TZID="W. Europe Standard Time":20260606T220000
		SUMMARY:Wedding: Ana & Bo
		END:VEVENT`,
		// An all-day wedding (DTEND exclusive), in UTC and with an IANA zone elsewhere.
		`BEGIN:VEVENT
		UID:allday@studio
		DTSTART;VALUE=DATE:20260613
		DTEND;VALUE=DATE:20260614
		SUMMARY:Wedding Cara & Dan
		END:VEVENT
		BEGIN:VEVENT
		UID:ny@studio
		DTSTART;TZID=America/New_York:20260620T160000
		DURATION:PT6H
		SUMMARY:Elopement in Central Park
		STATUS:TENTATIVE
		END:VEVENT`,
		// A cancelled wedding, a floating tasting, one far in the past, one with an escaped and
		// folded title.
		`BEGIN:VEVENT
		UID:cancelled@studio
		DTSTART:20260627T120000Z
		DTEND:20260627T200000Z
		STATUS:CANCELLED
		SUMMARY:Wedding Eve & Finn
		END:VEVENT
		BEGIN:VEVENT
		UID:floating@studio
		DTSTART:20260520T180000
		DTEND:20260520T190000
		SUMMARY:Tasting
		END:VEVENT
		BEGIN:VEVENT
		UID:old@studio
		DTSTART:20200101T120000Z
		DTEND:20200101T130000Z
		SUMMARY:Wedding long ago
		END:VEVENT
		BEGIN:VEVENT
		UID:folded@studio
		DTSTART:20260704T110000Z
		DTEND:20260704T180000Z
		SUMMARY:Wedding: Gus\, Hal and their families at the lakeside venue with the long name that folds
		END:VEVENT`,
	)
}

func parseAt(t *testing.T, body string, now time.Time) Feed {
	t.Helper()
	feed, err := ParseFeed(strings.NewReader(body), Options{From: now.Add(-WindowBack), To: now.Add(WindowAhead)})
	require.NoError(t, err)
	return feed
}

func byID(feed Feed) map[string]Event {
	out := map[string]Event{}
	for _, e := range feed.Events {
		out[e.ExternalID] = e
	}
	return out
}

func TestParseFeedReadsEveryForm(t *testing.T) {
	t.Parallel()
	feed := parseAt(t, studioFeed(), t0)
	require.Empty(t, feed.Problems)
	got := byID(feed)
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return v
	}

	// The series: 2, 16 (moved), 30 June and 7 July remain; 9 excluded, 23 cancelled.
	var series []string
	for id := range got {
		if strings.HasPrefix(id, "consult-series@studio/") {
			series = append(series, id)
		}
	}
	require.ElementsMatch(t, []string{"consult-series@studio/20260602T090000Z", "consult-series@studio/20260616T090000Z",
		"consult-series@studio/20260630T090000Z", "consult-series@studio/20260707T090000Z"}, series)
	moved := got["consult-series@studio/20260616T090000Z"]
	require.Equal(t, "Consultation with Lee (moved)", moved.Title)
	require.Equal(t, utc("2026-06-16T13:00:00Z"), moved.Start.UTC(), "14:00 London summer time")
	require.Equal(t, utc("2026-06-16T14:00:00Z"), moved.End.UTC())
	require.Equal(t, utc("2026-06-30T09:00:00Z"), got["consult-series@studio/20260630T090000Z"].Start.UTC())

	wed := got["040000008200E00074C5B7101A82E008"]
	require.Equal(t, "Wedding: Ana & Bo", wed.Title)
	require.Equal(t, utc("2026-06-06T12:00:00Z"), wed.Start.UTC(), "W. Europe Standard Time is Europe/Berlin")
	require.Equal(t, utc("2026-06-06T20:00:00Z"), wed.End.UTC())
	require.False(t, wed.AllDay || wed.Floating)

	all := got["allday@studio"]
	require.True(t, all.AllDay)
	require.Equal(t, utc("2026-06-13T00:00:00Z"), all.Start)
	require.Equal(t, utc("2026-06-14T00:00:00Z"), all.End, "DTEND of a date is exclusive: one day")

	ny := got["ny@studio"]
	require.Equal(t, utc("2026-06-20T20:00:00Z"), ny.Start.UTC(), "16:00 New York daylight time")
	require.Equal(t, utc("2026-06-21T02:00:00Z"), ny.End.UTC(), "DURATION:PT6H")
	require.True(t, ny.Tentative)

	fl := got["floating@studio"]
	require.True(t, fl.Floating)
	require.Equal(t, utc("2026-05-20T18:00:00Z"), fl.Start, "a floating time keeps its wall clock")

	require.NotContains(t, got, "cancelled@studio")
	require.NotContains(t, got, "old@studio", "outside the window")
	require.Equal(t, "Wedding: Gus, Hal and their families at the lakeside venue with the long name that folds",
		got["folded@studio"].Title, "unfolded and unescaped")
	require.Len(t, got, 9)
}

func TestParseFeedDaylightSavingAndWindowsZones(t *testing.T) {
	t.Parallel()
	// A Friday wedding fair at 10:00 Pacific time every week across the November change, with a
	// Windows zone name and one occurrence moved, and an all-day weekly event with an EXDATE
	// written as a date.
	feed := parseAt(t, icaltest.Calendar(`BEGIN:VEVENT
		UID:fair
		DTSTART;TZID=Pacific Standard Time:20261023T100000
		DTEND;TZID=Pacific Standard Time:20261023T120000
		RRULE:FREQ=WEEKLY;UNTIL=20261114T000000Z
		SUMMARY:Wedding fair
		END:VEVENT
		BEGIN:VEVENT
		UID:fair
		RECURRENCE-ID:20261030T100000
		DTSTART;TZID=Pacific Standard Time:20261030T130000
		DTEND;TZID=Pacific Standard Time:20261030T150000
		SUMMARY:Wedding fair (afternoon)
		END:VEVENT
		BEGIN:VEVENT
		UID:market
		DTSTART;VALUE=DATE:20260704
		RRULE:FREQ=WEEKLY;COUNT=3
		EXDATE;VALUE=DATE:20260711
		SUMMARY:Flower market
		END:VEVENT`), t0)
	got := byID(feed)
	require.Equal(t, 17, got["fair/20261023T170000Z"].Start.UTC().Hour(), "10:00 PDT")
	require.Equal(t, 18, got["fair/20261106T180000Z"].Start.UTC().Hour(), "10:00 PST after the change")
	require.Equal(t, "Wedding fair (afternoon)", got["fair/20261030T170000Z"].Title,
		"an override whose RECURRENCE-ID omits the series' TZID still replaces its occurrence")
	require.Contains(t, got, "fair/20261113T180000Z")
	require.Len(t, got, 4+2)
	require.Contains(t, got, "market/20260704")
	require.Contains(t, got, "market/20260718")
	require.True(t, got["market/20260718"].AllDay)
	require.Equal(t, 24*time.Hour, got["market/20260718"].End.Sub(got["market/20260718"].Start))
}

func TestParseFeedReportsBadEventsAndRefusesNonCalendars(t *testing.T) {
	t.Parallel()
	feed := parseAt(t, icaltest.Calendar(`BEGIN:VEVENT
		UID:nozone
		DTSTART;TZID=Mars/Olympus_Mons:20260606T100000
		SUMMARY:Wedding on Mars
		END:VEVENT
		BEGIN:VEVENT
		SUMMARY:No UID wedding
		DTSTART:20260606T100000Z
		END:VEVENT
		BEGIN:VTIMEZONE
		TZID:Studio Time
		X-LIC-LOCATION:Europe/Lisbon
		END:VTIMEZONE
		BEGIN:VEVENT
		UID:custom-zone
		DTSTART;TZID=Studio Time:20260606T100000
		SUMMARY:Wedding in Lisbon
		END:VEVENT
		BEGIN:VEVENT
		UID:ok
		DTSTART:20260606T100000Z
		SUMMARY:Fine
		END:VEVENT`), t0)
	require.Len(t, feed.Events, 2)
	require.Equal(t, time.Date(2026, 6, 6, 9, 0, 0, 0, time.UTC), byID(feed)["custom-zone"].Start.UTC(),
		"a custom VTIMEZONE read through its X-LIC-LOCATION")
	require.Len(t, feed.Problems, 2)
	require.Contains(t, feed.Problems[0].String(), "No UID wedding")
	require.Contains(t, feed.Problems[1].String(), "unknown time zone")

	for _, bad := range []string{"", "<html>Sign in</html>", "BEGIN:VEVENT\r\nEND:VEVENT\r\n", "BEGIN:VCALENDAR\r\n"} {
		_, err := ParseFeed(strings.NewReader(bad), Options{From: t0, To: t0.AddDate(1, 0, 0)})
		require.Error(t, err, "%q", bad)
	}
}
