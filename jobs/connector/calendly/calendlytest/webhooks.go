package calendlytest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// InviteeCreated builds the invitee.created webhook body of a stored event.
func (s *Server) InviteeCreated(eventID string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byID[eventID]
	if !ok {
		return nil, fmt.Errorf("calendlytest: no event %s", eventID)
	}
	return s.deliveryLocked("invitee.created", e, false, "", "")
}

// InviteeCanceled cancels a stored event, as its invitee does, and builds the invitee.canceled
// webhook body.
func (s *Server) InviteeCanceled(eventID string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.byID[eventID]
	if !ok {
		return nil, fmt.Errorf("calendlytest: no event %s", eventID)
	}
	e.Status, e.Updated = "canceled", time.Now()
	return s.deliveryLocked("invitee.canceled", e, false, "", "")
}

// Reschedule moves a stored event's invitee to a new slot starting at start (same length and
// name), as Calendly does: the old event is canceled and a new one created. It returns the two
// webhook bodies in the order Calendly sends them (invitee.canceled with rescheduled true, then
// invitee.created) and the new event.
func (s *Server) Reschedule(eventID string, start time.Time) (canceled, created []byte, moved Event, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.byID[eventID]
	if !ok {
		return nil, nil, Event{}, fmt.Errorf("calendlytest: no event %s", eventID)
	}
	old.Status, old.Updated = "canceled", time.Now()
	n := s.addLocked(Event{Name: old.Name, Start: start, End: start.Add(old.End.Sub(old.Start)),
		InviteeName: old.InviteeName, InviteeEmail: old.InviteeEmail})
	base := s.base
	oldURI := base + "/scheduled_events/" + old.ID + "/invitees/" + old.InviteeID
	newURI := base + "/scheduled_events/" + n.ID + "/invitees/" + n.InviteeID
	if canceled, err = s.deliveryLocked("invitee.canceled", old, true, newURI, ""); err != nil {
		return nil, nil, Event{}, err
	}
	if created, err = s.deliveryLocked("invitee.created", n, false, "", oldURI); err != nil {
		return nil, nil, Event{}, err
	}
	return canceled, created, *n, nil
}

func (s *Server) deliveryLocked(typ string, e *Event, rescheduled bool, newInvitee, oldInvitee string) ([]byte, error) {
	base := s.base
	uri := base + "/scheduled_events/" + e.ID
	optional := func(v string) any {
		if v == "" {
			return nil
		}
		return v
	}
	status := "active"
	if typ == "invitee.canceled" {
		status = "canceled"
	}
	payload := map[string]any{
		"uri": uri + "/invitees/" + e.InviteeID, "event": uri, "email": e.InviteeEmail, "name": e.InviteeName,
		"status": status, "timezone": "Europe/London", "rescheduled": rescheduled,
		"new_invitee": optional(newInvitee), "old_invitee": optional(oldInvitee),
		"cancel_url": "https://calendly.com/cancellations/" + e.InviteeID, "reschedule_url": "https://calendly.com/reschedulings/" + e.InviteeID,
		"created_at": stamp(e.Created), "updated_at": stamp(e.Updated), "questions_and_answers": []any{},
		"scheduled_event": e.wire(base),
	}
	if typ == "invitee.canceled" {
		payload["cancellation"] = map[string]any{"canceled_by": e.InviteeName, "reason": "", "canceler_type": "invitee", "created_at": stamp(e.Updated)}
	}
	return json.Marshal(map[string]any{"event": typ, "created_at": stamp(time.Now()),
		"created_by": base + "/users/" + UserID, "payload": payload})
}

// Sign returns the Calendly-Webhook-Signature header of body signed with key at time at (zero:
// now): t=<unix>,v1=<hex HMAC-SHA256 of "t.body">.
func Sign(body []byte, key string, at time.Time) string {
	if at.IsZero() {
		at = time.Now()
	}
	t := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(t + "."))
	mac.Write(body)
	return "t=" + t + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// Deliver posts a signed webhook body to url, as Calendly does, and returns the status.
func Deliver(ctx context.Context, client *http.Client, url, key string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Calendly Webhooks")
	req.Header.Set("Calendly-Webhook-Signature", Sign(body, key, time.Time{}))
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, nil
}
