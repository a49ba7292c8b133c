package google

import (
	"fmt"
	"time"

	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/calmap"
	"github.com/wedsync/wedsync/store"
	"google.golang.org/api/calendar/v3"
)

// ExternalID is the stored id of an event: event ids are unique per calendar only.
func ExternalID(cal, eventID string) string { return cal + "/" + eventID }

// mapEvent maps one event of calendar cal, whose zone is calZone. An all-day event (start.date,
// end exclusive) runs from midnight to midnight in the event's or the calendar's zone; a timed
// one carries its offset. A cancelled event from an incremental sync has only id and status:
// it is stored as cancelled, keeping what was known of it.
func mapEvent(cal, calZone string, rules calmap.Rules, ev *calendar.Event) connector.Record {
	rec := connector.Record{Kind: connector.KindCalendarEvent, ExternalID: ExternalID(cal, ev.Id)}
	row := store.CalendarEventRow{ExternalID: rec.ExternalID, CalendarID: cal, Title: ev.Summary, Status: status(ev.Status)}
	if ev.Status == "cancelled" && (ev.Start == nil || (ev.Start.Date == "" && ev.Start.DateTime == "")) {
		rec.Row = row
		return rec
	}
	start, allDay, err := when(ev.Start, calZone)
	if err != nil {
		rec.Problem = fmt.Sprintf("event %s: start: %v", ev.Id, err)
		return rec
	}
	end, _, err := when(ev.End, calZone)
	if err != nil {
		end = start
	}
	row.StartsAt, row.EndsAt, row.AllDay = start, end, allDay
	row.Kind = rules.Classify(ev.Summary)
	rec.Row = row
	return rec
}

func status(s string) string {
	switch s {
	case "tentative", "cancelled":
		return s
	}
	return "confirmed"
}

// when reads a start or end: {date} (all day) or {dateTime} (RFC 3339 with offset).
func when(t *calendar.EventDateTime, calZone string) (at time.Time, allDay bool, err error) {
	if t == nil {
		return time.Time{}, false, fmt.Errorf("missing")
	}
	if t.DateTime != "" {
		at, err = time.Parse(time.RFC3339, t.DateTime)
		return at, false, err
	}
	if t.Date == "" {
		return time.Time{}, false, fmt.Errorf("neither date nor dateTime")
	}
	zone := t.TimeZone
	if zone == "" {
		zone = calZone
	}
	loc, lerr := time.LoadLocation(zone)
	if zone == "" || lerr != nil {
		loc = time.UTC
	}
	at, err = time.ParseInLocation("2006-01-02", t.Date, loc)
	return at, true, err
}
