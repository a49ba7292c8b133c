package outlook

import (
	"fmt"
	"strings"
	"time"

	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/calmap"
	"github.com/wedsync/wedsync/store"
)

// graphEvent is the part of a Graph event (or a removed item) the connector reads.
type graphEvent struct {
	ID      string `json:"id"`
	Removed *struct {
		Reason string `json:"reason"`
	} `json:"@removed"`
	Subject     string      `json:"subject"`
	IsAllDay    bool        `json:"isAllDay"`
	IsCancelled bool        `json:"isCancelled"`
	ShowAs      string      `json:"showAs"`
	Type        string      `json:"type"` // singleInstance, occurrence, exception, seriesMaster
	Start       *dateTimeTZ `json:"start"`
	End         *dateTimeTZ `json:"end"`
}

// dateTimeTZ is Graph's wall time plus a zone name (no offset).
type dateTimeTZ struct {
	DateTime string `json:"dateTime"`
	TimeZone string `json:"timeZone"`
}

// mapPage maps a delta page. Series masters are skipped (calendarView delivers their occurrences
// expanded), and an item the page repeats is delivered once, as its last copy.
func (c *Client) mapPage(calendarID string, items []graphEvent) []connector.Record {
	out := make([]connector.Record, 0, len(items))
	at := make(map[string]int, len(items))
	for _, ev := range items {
		if ev.Removed == nil && ev.Type == "seriesMaster" {
			continue
		}
		rec := mapEvent(ev, calendarID, c.rules)
		if k, seen := at[rec.ExternalID]; seen && rec.ExternalID != "" {
			out[k] = rec
			continue
		}
		at[rec.ExternalID] = len(out)
		out = append(out, rec)
	}
	return out
}

// mapEvent maps one Graph event to a calendar event record: removed items are deletions,
// isCancelled is status cancelled, showAs tentative is tentative, all-day events keep their
// dates (midnight UTC, exclusive end), and the title is classified with rules.
func mapEvent(ev graphEvent, calendarID string, rules calmap.Rules) connector.Record {
	rec := connector.Record{Kind: connector.KindCalendarEvent, ExternalID: ev.ID}
	if ev.ID == "" {
		rec.Problem = "outlook: an event without an id"
		return rec
	}
	if ev.Removed != nil {
		rec.Deleted = true
		return rec
	}
	if ev.Start == nil || ev.End == nil {
		rec.Problem = fmt.Sprintf("outlook: event %s has no start or end", ev.ID)
		return rec
	}
	start, err1 := parseDateTime(*ev.Start, ev.IsAllDay)
	end, err2 := parseDateTime(*ev.End, ev.IsAllDay)
	if err1 != nil || err2 != nil {
		rec.Problem = fmt.Sprintf("outlook: event %s: %v", ev.ID, firstErr(err1, err2))
		return rec
	}
	status := "confirmed"
	switch {
	case ev.IsCancelled:
		status = "cancelled"
	case strings.EqualFold(ev.ShowAs, "tentative"):
		status = "tentative"
	}
	rec.Row = store.CalendarEventRow{ExternalID: ev.ID, CalendarID: calendarID, Title: ev.Subject,
		StartsAt: start, EndsAt: end, AllDay: ev.IsAllDay, Status: status, Kind: rules.Classify(ev.Subject)}
	return rec
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// wallLayout is Graph's dateTime ("2026-06-06T14:00:00.0000000"); Go reads the fraction itself.
const wallLayout = "2006-01-02T15:04:05"

// parseDateTime reads a wall time in its zone. All-day dates are floating: their wall date is
// kept, at midnight UTC.
func parseDateTime(d dateTimeTZ, allDay bool) (time.Time, error) {
	if allDay {
		t, err := time.Parse(wallLayout, d.DateTime)
		if err != nil {
			return time.Time{}, fmt.Errorf("date %q: %w", d.DateTime, err)
		}
		y, m, day := t.Date()
		return time.Date(y, m, day, 0, 0, 0, 0, time.UTC), nil
	}
	loc, err := zone(d.TimeZone)
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.ParseInLocation(wallLayout, d.DateTime, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("date-time %q: %w", d.DateTime, err)
	}
	return t.UTC(), nil
}

// windowsZones are the Windows zone names Outlook uses most, for answers that ignore our
// Prefer: outlook.timezone="UTC".
var windowsZones = map[string]string{
	"GMT Standard Time":            "Europe/London",
	"W. Europe Standard Time":      "Europe/Berlin",
	"Romance Standard Time":        "Europe/Paris",
	"Central Europe Standard Time": "Europe/Budapest",
	"Eastern Standard Time":        "America/New_York",
	"Central Standard Time":        "America/Chicago",
	"Mountain Standard Time":       "America/Denver",
	"Pacific Standard Time":        "America/Los_Angeles",
	"AUS Eastern Standard Time":    "Australia/Sydney",
	"New Zealand Standard Time":    "Pacific/Auckland",
	"Greenwich Standard Time":      "Atlantic/Reykjavik",
}

// zone resolves a Graph zone name: UTC, an IANA name, or a common Windows name.
func zone(name string) (*time.Location, error) {
	switch name {
	case "", "UTC", "Etc/UTC", "Coordinated Universal Time":
		return time.UTC, nil
	}
	if iana, ok := windowsZones[name]; ok {
		name = iana
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	return loc, nil
}
