package outlooktest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// MaxSubscriptionLife is Graph's limit for subscriptions to Outlook events (10080 minutes).
const MaxSubscriptionLife = 10080 * time.Minute

// Subscription is a change-notification subscription as the fake records it.
type Subscription struct {
	ID, Resource, ChangeType, NotificationURL, ClientState string
	ExpiresAt                                              time.Time
	// Renewals counts the PATCHes that extended it.
	Renewals int
	created  int
}

// ValidateSubscriptions makes the fake check a new subscription's notificationUrl as Graph does:
// POST it ?validationToken=<token> and require 200 with the token as text/plain within ten
// seconds. nil turns the check off.
func (s *Server) ValidateSubscriptions(client *http.Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.validate = client
}

// Subscriptions lists the live subscriptions, oldest first.
func (s *Server) Subscriptions() []Subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Subscription, 0, len(s.subs))
	for _, sub := range s.subs {
		out = append(out, *sub)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].created < out[j].created })
	return out
}

// DropSubscriptions forgets every subscription, as Graph does when they expire.
func (s *Server) DropSubscriptions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subs = map[string]*Subscription{}
}

type subscriptionWire struct {
	ID                        string `json:"id,omitempty"`
	Resource                  string `json:"resource,omitempty"`
	ChangeType                string `json:"changeType,omitempty"`
	NotificationURL           string `json:"notificationUrl,omitempty"`
	ExpirationDateTime        string `json:"expirationDateTime,omitempty"`
	ClientState               string `json:"clientState,omitempty"`
	LatestSupportedTLSVersion string `json:"latestSupportedTlsVersion,omitempty"`
}

func (sub *Subscription) wire() subscriptionWire {
	return subscriptionWire{ID: sub.ID, Resource: sub.Resource, ChangeType: sub.ChangeType, NotificationURL: sub.NotificationURL,
		ExpirationDateTime: sub.ExpiresAt.UTC().Format("2006-01-02T15:04:05.0000000Z"), ClientState: sub.ClientState,
		LatestSupportedTLSVersion: "v1_2"}
}

func (s *Server) createSubscription(w http.ResponseWriter, r *http.Request) {
	var in subscriptionWire
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "Unable to read JSON request payload.")
		return
	}
	u, err := url.Parse(in.NotificationURL)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		writeError(w, http.StatusBadRequest, "InvalidRequest", "Invalid notification url '"+in.NotificationURL+"'.")
		return
	case in.Resource == "" || in.ChangeType == "":
		writeError(w, http.StatusBadRequest, "InvalidRequest", "Subscription resource and changeType are required.")
		return
	case len(in.ClientState) > 128:
		writeError(w, http.StatusBadRequest, "InvalidRequest", "The clientState exceeds 128 characters.")
		return
	}
	expires, ok := s.checkExpiry(w, in.ExpirationDateTime)
	if !ok {
		return
	}
	s.mu.Lock()
	client := s.validate
	s.mu.Unlock()
	if client != nil {
		if err := validateEndpoint(r.Context(), client, in.NotificationURL); err != nil {
			writeError(w, http.StatusBadRequest, "ValidationError",
				"Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request: "+err.Error())
			return
		}
	}
	s.mu.Lock()
	s.subscriptions++
	sub := &Subscription{ID: newGUID(), Resource: in.Resource, ChangeType: in.ChangeType, NotificationURL: in.NotificationURL,
		ClientState: in.ClientState, ExpiresAt: expires, created: s.subscriptions}
	s.subs[sub.ID] = sub
	out := sub.wire()
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) renewSubscription(w http.ResponseWriter, r *http.Request, id string) {
	var in subscriptionWire
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, "InvalidRequest", "Unable to read JSON request payload.")
		return
	}
	expires, ok := s.checkExpiry(w, in.ExpirationDateTime)
	if !ok {
		return
	}
	s.mu.Lock()
	sub, found := s.subs[id]
	var out subscriptionWire
	if found {
		sub.ExpiresAt = expires
		sub.Renewals++
		out = sub.wire()
	}
	s.mu.Unlock()
	if !found {
		writeError(w, http.StatusNotFound, "ResourceNotFound", "The object was not found.")
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) checkExpiry(w http.ResponseWriter, v string) (time.Time, bool) {
	expires, err := time.Parse(time.RFC3339Nano, v)
	s.mu.Lock()
	now := s.now()
	s.mu.Unlock()
	if err != nil || !expires.After(now) || expires.Sub(now) > MaxSubscriptionLife {
		writeError(w, http.StatusBadRequest, "InvalidRequest",
			"Subscription expiration can only be 10080 minutes in the future.")
		return time.Time{}, false
	}
	return expires.UTC(), true
}

// validateEndpoint runs Graph's validation handshake against a notification URL.
func validateEndpoint(ctx context.Context, client *http.Client, notificationURL string) error {
	token := "Validation: Testing client application reachability for subscription Request-Id: " + newGUID()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	sep := "?"
	if strings.Contains(notificationURL, "?") {
		sep = "&"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, notificationURL+sep+"validationToken="+url.QueryEscape(token), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 8192))
	switch {
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("status %d", resp.StatusCode)
	case !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain"):
		return fmt.Errorf("content type %q", resp.Header.Get("Content-Type"))
	case string(body) != token:
		return fmt.Errorf("the body is not the validation token")
	}
	return nil
}

// Notification builds a change notification body for a subscription, as Graph posts it, with
// the subscription's clientState (or clientState, when not empty, to forge one).
func (s *Server) Notification(subscriptionID, changeType, eventID, clientState string) ([]byte, error) {
	s.mu.Lock()
	sub, ok := s.subs[subscriptionID]
	var n map[string]any
	if ok {
		if clientState == "" {
			clientState = sub.ClientState
		}
		n = map[string]any{
			"subscriptionId": sub.ID, "subscriptionExpirationDateTime": sub.ExpiresAt.Format(time.RFC3339),
			"changeType": changeType, "resource": "Users/00000000-0000-0000-0000-000000000001/Events/" + eventID,
			"resourceData": map[string]any{"@odata.type": "#Microsoft.Graph.Event",
				"@odata.id": "Users/00000000-0000-0000-0000-000000000001/Events/" + eventID, "id": eventID},
			"clientState": clientState, "tenantId": "00000000-0000-0000-0000-0000000000aa",
		}
	}
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("outlooktest: no subscription %s", subscriptionID)
	}
	return json.Marshal(map[string]any{"value": []any{n}})
}

// Deliver posts a notification body to a subscription's notificationUrl, as Graph does, and
// returns the status.
func (s *Server) Deliver(ctx context.Context, client *http.Client, subscriptionID string, body []byte) (int, error) {
	s.mu.Lock()
	sub, ok := s.subs[subscriptionID]
	var target string
	if ok {
		target = sub.NotificationURL
	}
	s.mu.Unlock()
	if !ok {
		return 0, fmt.Errorf("outlooktest: no subscription %s", subscriptionID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, nil
}

func newGUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
