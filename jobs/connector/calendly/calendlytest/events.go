package calendlytest

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Event is a scheduled event as the fake stores it, with its one invitee.
type Event struct {
	// ID is the uuid (the uri's last segment); AddEvent assigns one when empty.
	ID   string
	Name string
	// Start and End are stored to the microsecond, as Calendly does.
	Start, End time.Time
	// Status is active (default) or canceled.
	Status           string
	Created, Updated time.Time
	// InviteeID, InviteeName and InviteeEmail describe the invitee; defaults are filled in.
	InviteeID, InviteeName, InviteeEmail string
}

// AddEvent stores a scheduled event and returns it with its defaults.
func (s *Server) AddEvent(e Event) Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.addLocked(e)
}

func (s *Server) addLocked(e Event) *Event {
	s.nextID++
	if e.ID == "" {
		e.ID = fmt.Sprintf("GBGBDCAADAEDCR%06d", s.nextID)
	}
	if e.InviteeID == "" {
		e.InviteeID = fmt.Sprintf("DDDDDDDDDDDDD%06d", s.nextID)
	}
	if e.InviteeName == "" {
		e.InviteeName = "Grace Hopper"
	}
	if e.InviteeEmail == "" {
		e.InviteeEmail = "grace@example.com"
	}
	if e.Status == "" {
		e.Status = "active"
	}
	if e.Created.IsZero() {
		e.Created = time.Now()
	}
	if e.Updated.IsZero() {
		e.Updated = e.Created
	}
	e.Start, e.End = e.Start.Truncate(time.Microsecond), e.End.Truncate(time.Microsecond)
	stored := e
	s.events = append(s.events, &stored)
	s.byID[e.ID] = &stored
	return &stored
}

// Cancel marks an event canceled (the invitee or the host canceled it).
func (s *Server) Cancel(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byID[id]
	if !ok {
		return fmt.Errorf("calendlytest: no event %s", id)
	}
	e.Status, e.Updated = "canceled", time.Now()
	return nil
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, base string) {
	q := r.URL.Query()
	count := 20
	if v := q.Get("count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeJSON(w, http.StatusBadRequest, map[string]any{"title": "Invalid Argument", "message": "The supplied parameters are invalid.",
				"details": []any{map[string]any{"parameter": "count", "message": "must be less than or equal to 100"}}})
			return
		}
		count = n
	}
	switch user := q.Get("user"); {
	case user == "" && q.Get("organization") == "":
		writeJSON(w, http.StatusBadRequest, map[string]any{"title": "Invalid Argument", "message": "The supplied parameters are invalid.",
			"details": []any{map[string]any{"parameter": "user", "message": "user or organization is required"}}})
		return
	case user != base+"/users/"+UserID:
		writeError(w, http.StatusForbidden, "Permission Denied", "This user is not in your organization")
		return
	}
	var minStart time.Time
	if v := q.Get("min_start_time"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "Invalid Argument", "min_start_time is not a valid time")
			return
		}
		minStart = t
	}
	offset := 0
	if tok := q.Get("page_token"); tok != "" {
		n, err := decodeToken(tok)
		if err != nil {
			writeError(w, http.StatusBadRequest, "Invalid Argument", "page_token is invalid")
			return
		}
		offset = n
	}

	s.mu.Lock()
	s.queries = append(s.queries, r.URL.RawQuery)
	var match []*Event
	for _, e := range s.events {
		if !e.Start.Before(minStart) && (q.Get("status") == "" || q.Get("status") == e.Status) {
			match = append(match, e)
		}
	}
	sort.SliceStable(match, func(i, j int) bool { return match[i].Start.Before(match[j].Start) })
	s.lists++
	end := min(offset+count, len(match))
	page := []any{}
	next := offset
	if !(end < len(match) && s.emptyEvery > 0 && s.lists%s.emptyEvery == 0) {
		if s.duplicates && offset > 0 && offset <= len(match) {
			page = append(page, match[offset-1].wire(base))
		}
		for _, e := range match[min(offset, len(match)):end] {
			page = append(page, e.wire(base))
		}
		next = end
	}
	s.mu.Unlock()

	pagination := map[string]any{"count": len(page), "next_page": nil, "previous_page": nil, "next_page_token": nil, "previous_page_token": nil}
	if next < len(match) {
		tok := encodeToken(next)
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("page_token", tok)
		pagination["next_page_token"] = tok
		pagination["next_page"] = base + "/scheduled_events?" + nq.Encode()
	}
	writeJSON(w, http.StatusOK, map[string]any{"collection": page, "pagination": pagination})
}

func (s *Server) getEvent(w http.ResponseWriter, id, base string) {
	s.mu.Lock()
	e, ok := s.byID[id]
	var body map[string]any
	if ok {
		body = e.wire(base)
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "Resource Not Found", "The server could not find the requested resource.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"resource": body})
}

// wire renders the event as Calendly does.
func (e *Event) wire(base string) map[string]any {
	active := 1
	if e.Status == "canceled" {
		active = 0
	}
	out := map[string]any{
		"uri": base + "/scheduled_events/" + e.ID, "name": e.Name, "meeting_notes_plain": nil, "meeting_notes_html": nil,
		"status": e.Status, "start_time": stamp(e.Start), "end_time": stamp(e.End),
		"event_type":       base + "/event_types/CCCCCCCCCCCCCCCC",
		"location":         map[string]any{"type": "physical", "location": "The Studio"},
		"invitees_counter": map[string]any{"total": 1, "active": active, "limit": 1},
		"created_at":       stamp(e.Created), "updated_at": stamp(e.Updated),
		"event_memberships": []any{map[string]any{"user": base + "/users/" + UserID, "user_email": "ada@example.com", "user_name": "Ada"}},
		"event_guests":      []any{},
	}
	if e.Status == "canceled" {
		out["cancellation"] = map[string]any{"canceled_by": e.InviteeName, "reason": "", "canceler_type": "invitee", "created_at": stamp(e.Updated)}
	}
	return out
}

func encodeToken(offset int) string {
	return strings.TrimRight(base64.URLEncoding.EncodeToString([]byte("offset:"+strconv.Itoa(offset))), "=")
}

func decodeToken(tok string) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, err
	}
	v, ok := strings.CutPrefix(string(b), "offset:")
	if !ok {
		return 0, fmt.Errorf("bad token")
	}
	return strconv.Atoi(v)
}

func itoa(n int) string { return strconv.Itoa(n) }
