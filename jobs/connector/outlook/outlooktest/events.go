package outlooktest

import (
	"fmt"
	"time"
)

// Event is an event as the fake stores it.
type Event struct {
	// ID is assigned by AddEvent when empty.
	ID string
	// CalendarID is the calendar holding it; empty is the primary calendar.
	CalendarID string
	Subject    string
	// Start and End are instants; for all-day events their wall dates (in their own location)
	// are the dates, End exclusive.
	Start, End time.Time
	// Zone is the organizer's zone, used when the client does not ask for another (nil: UTC);
	// ZoneName is the name Graph reports for it ("GMT Standard Time"; default Zone's IANA name).
	Zone     *time.Location
	ZoneName string
	AllDay   bool
	// Cancelled is isCancelled (a cancelled meeting still in the calendar).
	Cancelled bool
	// ShowAs is free, tentative, busy (default), oof or workingElsewhere.
	ShowAs string
	// Type is singleInstance (default), occurrence, exception or seriesMaster.
	Type           string
	SeriesMasterID string
}

// AddEvent stores an event and returns it with its defaults (an id, type, showAs).
func (s *Server) AddEvent(e Event) Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.ID == "" {
		s.nextID++
		e.ID = fmt.Sprintf("AAMkAGI2TGuLAAA%06d", s.nextID)
	}
	if e.Type == "" {
		e.Type = "singleInstance"
	}
	if e.ShowAs == "" {
		e.ShowAs = "busy"
	}
	stored := e
	s.events[e.ID] = &stored
	delete(s.removed, e.ID)
	s.touchLocked(e.ID)
	return e
}

// UpdateEvent changes a stored event; it is delivered again by the next delta query.
func (s *Server) UpdateEvent(id string, change func(*Event)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.events[id]
	if !ok {
		return fmt.Errorf("outlooktest: no event %s", id)
	}
	change(e)
	e.ID = id
	s.touchLocked(id)
	return nil
}

// DeleteEvent removes an event; the next delta query reports it as @removed.
func (s *Server) DeleteEvent(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.events[id]; !ok {
		return fmt.Errorf("outlooktest: no event %s", id)
	}
	delete(s.events, id)
	delete(s.changed, id)
	s.seq++
	s.removed[id] = s.seq
	return nil
}

func (s *Server) touchLocked(id string) {
	s.seq++
	s.changed[id] = s.seq
}

// overlaps reports whether e lies (partly) inside [from, to).
func (e *Event) overlaps(from, to time.Time) bool {
	return e.Start.Before(to) && e.End.After(from)
}

// wallLayout is Graph's dateTime format.
const wallLayout = "2006-01-02T15:04:05.0000000"

// wire renders the event as Graph does, its times in zone (named zoneName), or in its own zone
// when zone is nil.
func (e *Event) wire(zone *time.Location, zoneName string) map[string]any {
	if zone == nil {
		zone, zoneName = time.UTC, "UTC"
		if e.Zone != nil {
			zone, zoneName = e.Zone, e.Zone.String()
		}
		if e.ZoneName != "" {
			zoneName = e.ZoneName
		}
	}
	at := func(t time.Time) map[string]any {
		if e.AllDay {
			y, m, d := t.Date()
			return map[string]any{"dateTime": time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Format(wallLayout), "timeZone": zoneName}
		}
		return map[string]any{"dateTime": t.In(zone).Format(wallLayout), "timeZone": zoneName}
	}
	var master any
	if e.SeriesMasterID != "" {
		master = e.SeriesMasterID
	}
	return map[string]any{
		"@odata.type": "#microsoft.graph.event", "@odata.etag": `W/"DwAAABYAAAB` + e.ID[len(e.ID)-6:] + `"`,
		"id": e.ID, "subject": e.Subject, "isAllDay": e.AllDay, "isCancelled": e.Cancelled, "showAs": e.ShowAs,
		"type": e.Type, "seriesMasterId": master, "start": at(e.Start), "end": at(e.End),
		"bodyPreview": "", "isOrganizer": true, "responseStatus": map[string]any{"response": "organizer", "time": "0001-01-01T00:00:00Z"},
	}
}

func removedWire(id string) map[string]any {
	return map[string]any{"@odata.type": "#microsoft.graph.event", "id": id, "@removed": map[string]any{"reason": "deleted"}}
}
