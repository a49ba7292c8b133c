package outlooktest

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// window is a calendar view's time range.
type window struct {
	cal      string
	from, to time.Time
}

// pass is one delta query being paged through: the items it delivers, in order, and how far it
// has got. baseSeq is the change sequence its deltaLink will continue from.
type pass struct {
	window
	ids     []string
	offset  int
	baseSeq int64
}

// deltaState is what a deltaLink's token stands for.
type deltaState struct {
	window
	seq int64
}

// defaultPageSize is Graph's page size without Prefer: odata.maxpagesize.
const defaultPageSize = 10

func (s *Server) delta(w http.ResponseWriter, r *http.Request, cal string) {
	q := r.URL.Query()
	zone, zoneName, size, applied := preferences(r.Header.Values("Prefer"))
	self := "http://" + r.Host + r.URL.Path

	s.mu.Lock()
	defer s.mu.Unlock()
	s.prefer = r.Header.Values("Prefer")
	s.deltaURLs = append(s.deltaURLs, r.URL.RequestURI())
	var p *pass
	switch {
	case q.Get("$skiptoken") != "":
		tok := q.Get("$skiptoken")
		if p = s.pages[tok]; p == nil {
			s.goneLocked(w, self, s.expired[tok])
			return
		}
		delete(s.pages, tok)
	case q.Get("$deltatoken") != "":
		d, ok := s.deltas[q.Get("$deltatoken")]
		if !ok || d.cal != cal {
			s.goneLocked(w, self, s.expired[q.Get("$deltatoken")])
			return
		}
		p = &pass{window: d.window, ids: s.changedSinceLocked(d), baseSeq: s.seq}
	default:
		from, err1 := parseWhen(q.Get("startDateTime"))
		to, err2 := parseWhen(q.Get("endDateTime"))
		if err1 != nil || err2 != nil || !from.Before(to) {
			writeError(w, http.StatusBadRequest, "ErrorInvalidParameter",
				"This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.")
			return
		}
		p = &pass{window: window{cal: cal, from: from, to: to}, baseSeq: s.seq}
		p.ids = s.inWindowLocked(p.window)
	}
	if len(applied) > 0 {
		w.Header().Set("Preference-Applied", strings.Join(applied, ", "))
	}
	s.lists++
	end := min(p.offset+size, len(p.ids))
	body := map[string]any{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(event)"}
	items := []any{}
	if end < len(p.ids) && s.emptyEvery > 0 && s.lists%s.emptyEvery == 0 {
		body["@odata.nextLink"] = self + "?$skiptoken=" + s.pageTokenLocked(p)
		body["value"] = items
		writeJSON(w, http.StatusOK, body)
		return
	}
	if s.duplicates && p.offset > 0 {
		items = append(items, s.itemLocked(p.ids[p.offset-1], p.window, zone, zoneName))
	}
	for _, id := range p.ids[p.offset:end] {
		items = append(items, s.itemLocked(id, p.window, zone, zoneName))
	}
	p.offset = end
	if end < len(p.ids) {
		body["@odata.nextLink"] = self + "?$skiptoken=" + s.pageTokenLocked(p)
	} else {
		s.tokenSeq++
		tok := "dt" + strconv.Itoa(s.tokenSeq)
		s.deltas[tok] = deltaState{window: p.window, seq: p.baseSeq}
		body["@odata.deltaLink"] = self + "?$deltatoken=" + tok
	}
	body["value"] = items
	writeJSON(w, http.StatusOK, body)
}

// goneLocked answers a token the fake no longer knows: 410 Gone, syncStateNotFound, and, when
// so configured and the token's window is known, a Location that starts a full pass over it.
func (s *Server) goneLocked(w http.ResponseWriter, self string, win *window) {
	if s.goneLocation && win != nil {
		p := &pass{window: *win, ids: s.inWindowLocked(*win), baseSeq: s.seq}
		w.Header().Set("Location", self+"?$skiptoken="+s.pageTokenLocked(p))
	}
	writeError(w, http.StatusGone, "syncStateNotFound", "The sync state generation is not found or expired; restart the sync.")
}

func (s *Server) pageTokenLocked(p *pass) string {
	s.tokenSeq++
	tok := "st" + strconv.Itoa(s.tokenSeq)
	s.pages[tok] = p
	return tok
}

// inWindowLocked lists the calendar's events overlapping the window, earliest first.
func (s *Server) inWindowLocked(win window) []string {
	var evs []*Event
	for _, e := range s.events {
		if e.CalendarID == win.cal && e.overlaps(win.from, win.to) {
			evs = append(evs, e)
		}
	}
	sort.Slice(evs, func(i, j int) bool {
		if !evs[i].Start.Equal(evs[j].Start) {
			return evs[i].Start.Before(evs[j].Start)
		}
		return evs[i].ID < evs[j].ID
	})
	ids := make([]string, len(evs))
	for i, e := range evs {
		ids[i] = e.ID
	}
	return ids
}

// changedSinceLocked lists what changed after d: changed events of the calendar (in change
// order) and removed events.
func (s *Server) changedSinceLocked(d deltaState) []string {
	type change struct {
		id  string
		seq int64
	}
	var cs []change
	for id, seq := range s.changed {
		if e := s.events[id]; seq > d.seq && e.CalendarID == d.cal {
			cs = append(cs, change{id, seq})
		}
	}
	for id, seq := range s.removed {
		if seq > d.seq {
			cs = append(cs, change{id, seq})
		}
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].seq < cs[j].seq })
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.id
	}
	return ids
}

// itemLocked renders an item as it is now: removed, or moved out of the window, is @removed.
func (s *Server) itemLocked(id string, win window, zone *time.Location, zoneName string) any {
	e, ok := s.events[id]
	if !ok || !e.overlaps(win.from, win.to) {
		return removedWire(id)
	}
	return e.wire(zone, zoneName)
}

// preferences reads the Prefer header values: outlook.timezone and odata.maxpagesize.
func preferences(values []string) (zone *time.Location, zoneName string, size int, applied []string) {
	size = defaultPageSize
	for _, v := range values {
		for _, pref := range strings.Split(v, ",") {
			k, val, _ := strings.Cut(strings.TrimSpace(pref), "=")
			val = strings.Trim(strings.TrimSpace(val), `"`)
			switch strings.TrimSpace(k) {
			case "outlook.timezone":
				if loc, err := time.LoadLocation(val); err == nil {
					zone, zoneName = loc, val
					applied = append(applied, fmt.Sprintf("outlook.timezone=%q", val))
				}
			case "odata.maxpagesize":
				if n, err := strconv.Atoi(val); err == nil && n > 0 {
					size = n
					applied = append(applied, "odata.maxpagesize="+val)
				}
			}
		}
	}
	return zone, zoneName, size, applied
}

// parseWhen reads startDateTime/endDateTime: ISO 8601 with an offset, or a UTC wall time.
func parseWhen(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02T15:04:05", v)
}
