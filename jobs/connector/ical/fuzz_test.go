package ical

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// FuzzParseFeed feeds arbitrary bytes to the feed parser (seed corpus in
// testdata/fuzz/FuzzParseFeed): it never panics or hangs, and whatever it returns holds
// together: ends never before starts, every occurrence inside the window, one event per
// external id, each id its UID (plus the original start of an occurrence), at most MaxEvents.
func FuzzParseFeed(f *testing.F) {
	f.Add([]byte(studioFeed()))
	from, to := t0.Add(-WindowBack), t0.Add(WindowAhead)
	f.Fuzz(func(t *testing.T, data []byte) {
		opt := Options{From: from, To: to, MaxEvents: 500, ExpandBudget: 2 * time.Second}
		feed, err := ParseFeed(bytes.NewReader(data), opt)
		if err != nil {
			if len(feed.Events) != 0 {
				t.Fatalf("events returned with an error: %v", err)
			}
			return
		}
		if len(feed.Events) > opt.MaxEvents {
			t.Fatalf("%d events, more than the cap %d", len(feed.Events), opt.MaxEvents)
		}
		seen := map[string]bool{}
		for _, e := range feed.Events {
			if e.End.Before(e.Start) {
				t.Fatalf("%s ends %v before it starts %v", e.ExternalID, e.End, e.Start)
			}
			if !e.Start.Before(to) || (e.End.Before(from) && !e.End.Equal(e.Start)) {
				t.Fatalf("%s (%v .. %v) is outside the window", e.ExternalID, e.Start, e.End)
			}
			if e.UID == "" || seen[e.ExternalID] {
				t.Fatalf("external id %q empty or repeated", e.ExternalID)
			}
			if e.ExternalID != e.UID && !strings.HasPrefix(e.ExternalID, e.UID+"/") {
				t.Fatalf("external id %q is not built from its UID %q", e.ExternalID, e.UID)
			}
			if e.AllDay && (e.Floating || e.End.Sub(e.Start) < 24*time.Hour) {
				t.Fatalf("all-day event %s spans %v", e.ExternalID, e.End.Sub(e.Start))
			}
			seen[e.ExternalID] = true
		}
	})
}
