package calendly

import (
	"fmt"
	"strings"
	"time"

	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/calmap"
	"github.com/wedsync/wedsync/store"
)

// scheduledEvent is the part of a Calendly scheduled event the connector reads.
type scheduledEvent struct {
	URI       string `json:"uri"`
	Name      string `json:"name"`
	Status    string `json:"status"` // active or canceled
	StartTime string `json:"start_time"`
	EndTime   string `json:"end_time"`
	EventType string `json:"event_type"`
}

// EventID is a scheduled event's id: the last segment of its uri.
func EventID(uri string) string {
	uri = strings.TrimRight(uri, "/")
	return uri[strings.LastIndex(uri, "/")+1:]
}

// mapScheduledEvent maps a scheduled event to a calendar event record: id from the uri, times
// in UTC (microseconds kept), canceled is status cancelled, the name classified with rules.
func mapScheduledEvent(ev scheduledEvent, rules calmap.Rules) connector.Record {
	id := EventID(ev.URI)
	rec := connector.Record{Kind: connector.KindCalendarEvent, ExternalID: id}
	if id == "" {
		rec.Problem = "calendly: a scheduled event without a uri"
		return rec
	}
	start, err1 := time.Parse(time.RFC3339Nano, ev.StartTime)
	end, err2 := time.Parse(time.RFC3339Nano, ev.EndTime)
	if err1 != nil || err2 != nil {
		rec.Problem = fmt.Sprintf("calendly: event %s: start %q or end %q cannot be read", id, ev.StartTime, ev.EndTime)
		return rec
	}
	status := "confirmed"
	switch ev.Status {
	case "active":
	case "canceled", "cancelled":
		status = "cancelled"
	default:
		rec.Problem = fmt.Sprintf("calendly: event %s: unknown status %q", id, ev.Status)
		return rec
	}
	rec.Row = store.CalendarEventRow{ExternalID: id, Title: ev.Name, StartsAt: start.UTC(), EndsAt: end.UTC(),
		Status: status, Kind: rules.Classify(ev.Name)}
	return rec
}
