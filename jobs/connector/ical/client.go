// Package ical is the iCalendar feed connector: it reads a calendar's secret feed URL (Google's
// "secret address in iCal format", Apple, Outlook published calendars) with conditional GETs,
// parses it with github.com/emersion/go-ical, expands recurrences with
// github.com/teambition/rrule-go, and maps events to store.CalendarEventRow records classified
// by the integration's calmap rules. A feed is a full snapshot: events that disappear from it
// are deleted. icaltest holds an HTTP fake of a feed server.
package ical

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/calmap"
	"github.com/wedsync/wedsync/store"

	"github.com/wedsync/wedsync/jobs/netguard"
)

// Window of a sync: events from one year back to two years ahead.
const (
	WindowBack  = 365 * 24 * time.Hour
	WindowAhead = 2 * 365 * 24 * time.Hour
	// MaxFeedBytes caps the size of a feed.
	MaxFeedBytes = 20 << 20
)

// Client reads one feed; it implements connector.Connector.
type Client struct {
	feedURL string
	http    *http.Client
	now     func() time.Time
	rules   calmap.Rules
}

var _ connector.Connector = (*Client)(nil)

// cursor is what a sync keeps between runs: the validators of the last feed read (for a
// conditional GET) and the external ids it held (to delete those that disappear).
type cursor struct {
	// Feed identifies the URL the validators belong to (a hash: the URL is a secret).
	Feed         string   `json:"feed"`
	ETag         string   `json:"etag,omitempty"`
	LastModified string   `json:"last_modified,omitempty"`
	IDs          []string `json:"ids"`
}

func feedHash(u string) string {
	sum := sha256.Sum256([]byte(u))
	return hex.EncodeToString(sum[:8])
}

// Test reads and parses the feed once.
func (c *Client) Test(ctx context.Context) error {
	body, _, err := c.get(ctx, cursor{})
	if err != nil {
		return err
	}
	_, err = c.parse(body)
	return err
}

// Fetch reads the whole feed in one page. A 304 answer (nothing changed since the cursor's
// validators) gives no records. Otherwise every event in the window is upserted and every id of
// the previous read that is gone (deleted, cancelled, or moved out of the window) is deleted.
func (c *Client) Fetch(ctx context.Context, raw json.RawMessage) (connector.Page, error) {
	var prev cursor
	if len(raw) > 0 && string(raw) != "null" {
		if err := json.Unmarshal(raw, &prev); err != nil {
			prev = cursor{} // an unreadable cursor: a full read, nothing to delete
		}
	}
	if prev.Feed != feedHash(c.feedURL) {
		prev.ETag, prev.LastModified = "", "" // another URL: its validators do not apply
	}
	body, next, err := c.get(ctx, prev)
	if err != nil {
		return connector.Page{}, err
	}
	if body == nil { // 304 Not Modified
		return connector.Page{Cursor: raw, Done: true}, nil
	}
	feed, err := c.parse(body)
	if err != nil {
		return connector.Page{}, err
	}
	recs := make([]connector.Record, 0, len(feed.Events)+len(feed.Problems))
	next.IDs = make([]string, 0, len(feed.Events))
	current := map[string]bool{}
	for _, ev := range feed.Events {
		recs = append(recs, c.record(ev))
		next.IDs = append(next.IDs, ev.ExternalID)
		current[ev.ExternalID] = true
	}
	for _, id := range prev.IDs {
		if !current[id] {
			recs = append(recs, connector.Record{Kind: connector.KindCalendarEvent, ExternalID: id, Deleted: true})
		}
	}
	for _, p := range feed.Problems {
		recs = append(recs, connector.Record{Kind: connector.KindCalendarEvent, ExternalID: p.UID, Problem: p.String()})
	}
	sort.Strings(next.IDs)
	cur, err := json.Marshal(next)
	if err != nil {
		return connector.Page{}, fmt.Errorf("ical: cursor: %w", err)
	}
	return connector.Page{Records: recs, Cursor: cur, Done: true}, nil
}

// record maps an event to a calendar event row, classified by the integration's rules.
func (c *Client) record(ev Event) connector.Record {
	status := "confirmed"
	if ev.Tentative {
		status = "tentative"
	}
	return connector.Record{Kind: connector.KindCalendarEvent, ExternalID: ev.ExternalID, Row: store.CalendarEventRow{
		ExternalID: ev.ExternalID, CalendarID: "feed", Title: ev.Title, StartsAt: ev.Start, EndsAt: ev.End,
		AllDay: ev.AllDay, LocalTime: ev.Floating, Status: status, Kind: c.rules.Classify(ev.Title)}}
}

func (c *Client) parse(body []byte) (Feed, error) {
	now := c.now()
	feed, err := ParseFeed(bytes.NewReader(body), Options{From: now.Add(-WindowBack), To: now.Add(WindowAhead)})
	if err != nil {
		return Feed{}, &connector.Error{Class: connector.ClassBadData, Err: err}
	}
	return feed, nil
}

// get makes the conditional GET. It returns a nil body for 304 Not Modified, and the cursor
// validators of the answer.
func (c *Client) get(ctx context.Context, prev cursor) ([]byte, cursor, error) {
	next := cursor{Feed: feedHash(c.feedURL)}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.feedURL, nil)
	if err != nil {
		return nil, next, &connector.Error{Class: connector.ClassCredentials, Err: fmt.Errorf("ical: feed URL: %w", err)}
	}
	req.Header.Set("Accept", "text/calendar, */*;q=0.5")
	req.Header.Set("User-Agent", "WedSync/1 (+calendar feed sync)")
	if prev.ETag != "" {
		req.Header.Set("If-None-Match", prev.ETag)
	}
	if prev.LastModified != "" {
		req.Header.Set("If-Modified-Since", prev.LastModified)
	}
	resp, err := c.http.Do(req)
	if errors.Is(err, netguard.ErrPrivateAddress) {
		return nil, next, &connector.Error{Class: connector.ClassCredentials,
			Err: errors.New("ical: the feed address is not on the public internet; enter the calendar's public https address")}
	}
	if err != nil {
		return nil, next, &connector.Error{Class: connector.ClassProviderDown, Err: fmt.Errorf("ical: %w", scrub(err, c.feedURL))}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return nil, next, nil
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, next, &connector.Error{Class: connector.ClassCredentials, Status: resp.StatusCode,
			Err: errors.New("ical: the feed URL no longer exists; copy the calendar's secret address again")}
	case resp.StatusCode != http.StatusOK:
		return nil, next, connector.FromStatus(resp.StatusCode, connector.ParseRetryAfter(resp.Header.Get("Retry-After"), c.now()),
			fmt.Errorf("ical: feed answered %s", resp.Status))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxFeedBytes+1))
	if err != nil {
		return nil, next, &connector.Error{Class: connector.ClassProviderDown, Err: fmt.Errorf("ical: reading the feed: %w", scrub(err, c.feedURL))}
	}
	if len(body) > MaxFeedBytes {
		return nil, next, &connector.Error{Class: connector.ClassBadData, Err: fmt.Errorf("ical: the feed is larger than %d MB", MaxFeedBytes>>20)}
	}
	next.ETag = resp.Header.Get("ETag")
	next.LastModified = resp.Header.Get("Last-Modified")
	return body, next, nil
}

// scrub keeps the secret feed URL out of error messages (sync runs show them).
func scrub(err error, secret string) error {
	return errors.New(strings.ReplaceAll(err.Error(), secret, "<feed URL>"))
}
