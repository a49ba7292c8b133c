package googletest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Event is an event of a fake calendar.
type Event struct {
	// ID is set by AddEvent when empty.
	ID      string
	Summary string
	// Status is confirmed (default), tentative or cancelled.
	Status string
	// Start and End: for an all-day event only their dates count (End exclusive, Google's
	// convention); a timed event is sent with the offset of its location.
	Start, End time.Time
	AllDay     bool
	seq        int64
	updated    time.Time
}

// AddEvent adds (or replaces, by ID) an event of calendar cal and notifies the calendar's push
// channels; it returns the stored event.
func (s *Server) AddEvent(cal string, ev Event) Event {
	s.mu.Lock()
	c, ok := s.cals[cal]
	if !ok {
		c = newCalendar()
		s.cals[cal] = c
	}
	s.seq++
	if ev.ID == "" {
		ev.ID = fmt.Sprintf("ev%06d", s.seq)
	}
	if ev.Status == "" {
		ev.Status = "confirmed"
	}
	ev.seq, ev.updated = s.seq, time.Now().UTC()
	if old, ok := c.byID[ev.ID]; ok {
		*old = ev
	} else {
		stored := ev
		c.events = append(c.events, &stored)
		c.byID[ev.ID] = &stored
	}
	s.mu.Unlock()
	s.Notify(cal, "exists")
	return ev
}

// CancelEvent deletes an event (Google keeps it as cancelled for incremental syncs) and
// notifies the push channels.
func (s *Server) CancelEvent(cal, id string) {
	s.mu.Lock()
	c, ok := s.cals[cal]
	if ok && c.byID[id] != nil {
		s.seq++
		ev := c.byID[id]
		ev.Status, ev.seq, ev.updated = "cancelled", s.seq, time.Now().UTC()
	}
	s.mu.Unlock()
	s.Notify(cal, "exists")
}

// listing is the snapshot a paged list walks through.
type listing struct {
	items     []Event
	offset    int
	syncToken string
}

// list serves events.list: a full list (no cancelled events) or, with syncToken, every change
// since the token including cancelled events in their short form.
func (s *Server) list(w http.ResponseWriter, r *http.Request, cal string) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lists = append(s.lists, q)
	c, ok := s.cals[cal]
	if !ok {
		apiError(w, http.StatusNotFound, "notFound", "Not Found")
		return
	}
	size := s.pageSize
	if m, err := strconv.Atoi(q.Get("maxResults")); err == nil && m > 0 && m < size {
		size = m
	}
	var l *listing
	if pt := q.Get("pageToken"); pt != "" {
		if l = s.listings[pt]; l == nil {
			apiError(w, http.StatusBadRequest, "invalid", "Invalid page token value.")
			return
		}
		delete(s.listings, pt)
	} else {
		st := q.Get("syncToken")
		if st != "" && (q.Get("timeMin") != "" || q.Get("timeMax") != "" || q.Get("q") != "" || q.Get("updatedMin") != "") {
			apiError(w, http.StatusBadRequest, "invalid", "Sync token cannot be used with filters.")
			return
		}
		since := int64(-1)
		if st != "" {
			n, err := strconv.ParseInt(strings.TrimPrefix(st, "st"), 10, 64)
			if err != nil || !strings.HasPrefix(st, "st") || n < s.expiredBefore {
				apiError(w, http.StatusGone, "fullSyncRequired", "Sync token is no longer valid, a full sync is required.")
				return
			}
			since = n
		}
		l = &listing{syncToken: "st" + strconv.FormatInt(s.seq, 10)}
		for _, ev := range c.events {
			if (since < 0 && ev.Status != "cancelled") || (since >= 0 && ev.seq > since) {
				l.items = append(l.items, *ev)
			}
		}
	}
	from := l.offset
	if s.duplicates && from > 0 {
		from--
	}
	end := min(l.offset+size, len(l.items))
	items := make([]map[string]any, 0, end-from)
	for _, ev := range l.items[from:end] {
		items = append(items, wire(ev))
	}
	body := map[string]any{"kind": "calendar#events", "etag": fmt.Sprintf(`"p%d"`, s.seq), "summary": cal,
		"updated": time.Now().UTC().Format(time.RFC3339Nano), "timeZone": s.timeZone, "accessRole": "owner",
		"defaultReminders": []any{}, "items": items}
	if end < len(l.items) {
		l.offset = end
		token := fmt.Sprintf("pt%d_%d", s.seq, len(s.lists))
		s.listings[token] = l
		body["nextPageToken"] = token
	} else {
		body["nextSyncToken"] = l.syncToken
	}
	writeJSON(w, body)
}

// wire is an event as Google sends it; a cancelled event only has its identity and status.
func wire(ev Event) map[string]any {
	out := map[string]any{"kind": "calendar#event", "etag": fmt.Sprintf(`"%d"`, ev.seq), "id": ev.ID, "status": ev.Status}
	if ev.Status == "cancelled" {
		return out
	}
	out["summary"] = ev.Summary
	out["updated"] = ev.updated.Format("2006-01-02T15:04:05.000Z")
	out["created"] = out["updated"]
	out["iCalUID"] = ev.ID + "@google.com"
	out["htmlLink"] = "https://www.google.com/calendar/event?eid=" + ev.ID
	out["sequence"] = 0
	if ev.AllDay {
		out["start"] = map[string]string{"date": ev.Start.Format("2006-01-02")}
		out["end"] = map[string]string{"date": ev.End.Format("2006-01-02")}
	} else {
		out["start"] = map[string]string{"dateTime": ev.Start.Format(time.RFC3339)}
		out["end"] = map[string]string{"dateTime": ev.End.Format(time.RFC3339)}
	}
	return out
}
