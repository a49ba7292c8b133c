package googletest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Channel is a push channel opened with events.watch.
type Channel struct {
	ID, Token, Address, ResourceID, Calendar string
	Expiration                               time.Time
	Stopped                                  bool
	messages                                 int
}

// Notification is one push the fake sent, with the status the receiver answered (0 when the
// request failed).
type Notification struct {
	ChannelID, State string
	Number           int
	Status           int
}

// ChannelTTL is the lifetime of a new channel (Google's default for events is a week).
const ChannelTTL = 7 * 24 * time.Hour

// watch serves events.watch.
func (s *Server) watch(w http.ResponseWriter, r *http.Request, cal string) {
	var req struct{ ID, Type, Address, Token string }
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.ID == "" || req.Type != "web_hook" || req.Address == "" {
		apiError(w, http.StatusBadRequest, "invalid", "Invalid channel: id, type web_hook and address are required.")
		return
	}
	s.mu.Lock()
	if _, ok := s.cals[cal]; !ok {
		s.mu.Unlock()
		apiError(w, http.StatusNotFound, "notFound", "Not Found")
		return
	}
	for _, ch := range s.channels {
		if ch.ID == req.ID {
			s.mu.Unlock()
			apiError(w, http.StatusBadRequest, "channelIdNotUnique", "Channel id not unique")
			return
		}
	}
	ch := &Channel{ID: req.ID, Token: req.Token, Address: req.Address, Calendar: cal,
		ResourceID: fmt.Sprintf("res-%s-%d", cal, len(s.channels)+1), Expiration: time.Now().Add(ChannelTTL).Truncate(time.Millisecond)}
	s.channels = append(s.channels, ch)
	s.mu.Unlock()
	writeJSON(w, map[string]any{"kind": "api#channel", "id": ch.ID, "resourceId": ch.ResourceID,
		"resourceUri": s.resourceURI(cal), "token": ch.Token, "expiration": strconv.FormatInt(ch.Expiration.UnixMilli(), 10)})
}

// stop serves channels.stop.
func (s *Server) stop(w http.ResponseWriter, r *http.Request) {
	var req struct{ ID, ResourceID string }
	_ = json.NewDecoder(r.Body).Decode(&req)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range s.channels {
		if ch.ID == req.ID && ch.ResourceID == req.ResourceID {
			ch.Stopped = true
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	apiError(w, http.StatusNotFound, "notFound", "Channel not found")
}

func (s *Server) resourceURI(cal string) string {
	return s.url + "/calendar/v3/calendars/" + cal + "/events?alt=json"
}

// Channels lists the channels opened so far (copies).
func (s *Server) Channels() []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Channel, len(s.channels))
	for i, ch := range s.channels {
		out[i] = *ch
	}
	return out
}

// Notifications lists the pushes sent so far.
func (s *Server) Notifications() []Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Notification(nil), s.sent...)
}

// Notify POSTs a notification with resource state state ("sync", "exists", "not_exists") to
// every open channel of calendar cal, as Google does: no body, X-Goog-* headers. It returns
// what was sent.
func (s *Server) Notify(cal, state string) []Notification {
	s.mu.Lock()
	type send struct {
		ch  Channel
		num int
	}
	var todo []send
	for _, ch := range s.channels {
		if ch.Calendar == cal && !ch.Stopped && time.Now().Before(ch.Expiration) {
			ch.messages++
			todo = append(todo, send{*ch, ch.messages})
		}
	}
	uri := s.resourceURI(cal)
	s.mu.Unlock()
	var out []Notification
	for _, t := range todo {
		n := Notification{ChannelID: t.ch.ID, State: state, Number: t.num}
		req, err := http.NewRequest(http.MethodPost, t.ch.Address, nil)
		if err == nil {
			h := req.Header
			h.Set("X-Goog-Channel-ID", t.ch.ID)
			if t.ch.Token != "" {
				h.Set("X-Goog-Channel-Token", t.ch.Token)
			}
			h.Set("X-Goog-Channel-Expiration", t.ch.Expiration.UTC().Format(http.TimeFormat))
			h.Set("X-Goog-Resource-ID", t.ch.ResourceID)
			h.Set("X-Goog-Resource-URI", uri)
			h.Set("X-Goog-Resource-State", state)
			h.Set("X-Goog-Message-Number", strconv.Itoa(t.num))
			if resp, err := s.push.Do(req); err == nil {
				n.Status = resp.StatusCode
				resp.Body.Close()
			}
		}
		out = append(out, n)
	}
	s.mu.Lock()
	s.sent = append(s.sent, out...)
	s.mu.Unlock()
	return out
}
