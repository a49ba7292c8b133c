package ical

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	goical "github.com/emersion/go-ical"
)

// Limits of one feed.
const (
	// DefaultMaxEvents caps the events and occurrences taken from one feed.
	DefaultMaxEvents = 20000
	// maxPerSeries caps the occurrences of one recurring event inside the window.
	maxPerSeries = 2000
	// maxSteps caps the occurrences a recurrence rule may generate on its way to the window's
	// end (a daily rule that started decades ago).
	maxSteps = 50000
	// DefaultExpandBudget bounds the time spent expanding recurrences of one feed.
	DefaultExpandBudget = 5 * time.Second
)

// Options say which part of a feed to read.
type Options struct {
	// From and To are the window: events and occurrences overlapping [From, To) are kept.
	From, To time.Time
	// MaxEvents caps the result (DefaultMaxEvents when zero).
	MaxEvents int
	// ExpandBudget bounds recurrence expansion (DefaultExpandBudget when zero).
	ExpandBudget time.Duration
}

// Event is one event of a feed, or one occurrence of a recurring event.
type Event struct {
	// ExternalID is the UID, plus "/" and the original start for an occurrence of a series.
	ExternalID string
	UID        string
	Title      string
	// Start and End (exclusive) of the event. For all-day and floating events they are wall
	// times carried in UTC (a date is its midnight), to be placed in the reader's time zone.
	Start, End time.Time
	AllDay     bool
	Floating   bool
	Tentative  bool
}

// Problem is an event of the feed that was skipped, and why.
type Problem struct {
	UID     string
	Message string
}

func (p Problem) String() string {
	if p.UID == "" {
		return p.Message
	}
	return "event " + p.UID + ": " + p.Message
}

// Feed is what a feed holds inside the window.
type Feed struct {
	Events   []Event
	Problems []Problem
}

// ParseFeed reads an iCalendar feed (one or more VCALENDAR objects) with the go-ical library,
// which unfolds lines and unescapes text, and returns its events inside the window: recurring
// events expanded (RRULE, RDATE, EXDATE), overridden occurrences (RECURRENCE-ID) replacing
// theirs, and cancelled events or occurrences left out. A feed that is not iCalendar at all is
// an error; an event that cannot be read is skipped and reported in Feed.Problems.
func ParseFeed(r io.Reader, opt Options) (Feed, error) {
	if opt.MaxEvents <= 0 {
		opt.MaxEvents = DefaultMaxEvents
	}
	if opt.ExpandBudget <= 0 {
		opt.ExpandBudget = DefaultExpandBudget
	}
	dec := goical.NewDecoder(r)
	b := &builder{opt: opt, seen: map[string]bool{}, started: time.Now()}
	for n := 0; ; n++ {
		cal, err := decode(dec)
		if errors.Is(err, io.EOF) && n > 0 {
			break
		}
		if err != nil {
			return Feed{}, fmt.Errorf("ical: not an iCalendar feed: %w", err)
		}
		if cal.Name != goical.CompCalendar {
			return Feed{}, fmt.Errorf("ical: not an iCalendar feed: starts with %s", cal.Name)
		}
		b.calendar(cal)
	}
	return b.feed, nil
}

// decode reads the next VCALENDAR. go-ical panics on some malformed lines (a parameter with
// nothing after its "="); such a feed is refused like any other unreadable one.
func decode(dec *goical.Decoder) (cal *goical.Calendar, err error) {
	defer func() {
		if r := recover(); r != nil {
			cal, err = nil, fmt.Errorf("malformed content line (%v)", r)
		}
	}()
	return dec.Decode()
}

// builder collects the events of a feed.
type builder struct {
	opt     Options
	feed    Feed
	seen    map[string]bool // external ids already taken (a feed may repeat an event)
	started time.Time
	full    bool
}

func (b *builder) problem(uid, format string, args ...any) {
	if len(b.feed.Problems) < 100 {
		b.feed.Problems = append(b.feed.Problems, Problem{UID: uid, Message: fmt.Sprintf(format, args...)})
	}
}

// calendar reads one VCALENDAR: its events grouped by UID, each series with its overrides.
func (b *builder) calendar(cal *goical.Calendar) {
	p := &parser{zones: zoneCache{}}
	for _, comp := range cal.Children {
		if comp.Name == goical.CompTimezone {
			tzid, lic := comp.Props.Get(goical.PropTimezoneID), comp.Props.Get("X-LIC-LOCATION")
			if tzid != nil && lic != nil {
				if _, err := loadZone(tzid.Value); err != nil {
					p.zones.alias(tzid.Value, lic.Value)
				}
			}
		}
	}
	if prop := cal.Props.Get("X-WR-TIMEZONE"); prop != nil {
		if loc, err := p.zones.resolve(prop.Value); err == nil {
			p.floating = loc
		}
	}
	type series struct {
		master    *goical.Component
		overrides []*goical.Component
	}
	byUID := map[string]*series{}
	var order []string
	for _, comp := range cal.Children {
		if comp.Name != goical.CompEvent {
			continue
		}
		uid := ""
		if prop := comp.Props.Get(goical.PropUID); prop != nil {
			uid = strings.TrimSpace(prop.Value)
		}
		if uid == "" {
			b.problem("", "an event without a UID (%s) was skipped", summary(comp))
			continue
		}
		s := byUID[uid]
		if s == nil {
			s = &series{}
			byUID[uid] = s
			order = append(order, uid)
		}
		if comp.Props.Get(goical.PropRecurrenceID) != nil {
			s.overrides = append(s.overrides, comp)
		} else {
			s.master = comp // a repeated master: the last one wins
		}
	}
	for _, uid := range order {
		s := byUID[uid]
		if err := b.series(p, uid, s.master, s.overrides); err != nil {
			b.problem(uid, "%v", err)
		}
	}
}

// occurrence is one event with its start as written (for overrides and external ids).
type occurrence struct {
	comp        *goical.Component
	start, end  stamp
	recurrence  bool // part of a series: the external id carries the original start
	originalKey string
}

// series emits a single event or the occurrences of a recurring one, overrides applied.
func (b *builder) series(p *parser, uid string, master *goical.Component, overrides []*goical.Component) error {
	var occs []occurrence
	var start, end stamp
	if master != nil {
		var err error
		if start, end, err = p.span(master); err != nil {
			return err
		}
		if cancelled(master) {
			return nil // the whole series is cancelled, overrides included
		}
		if master.Props.Get(goical.PropRecurrenceRule) != nil || master.Props.Get(goical.PropRecurrenceDates) != nil {
			if occs, err = b.expand(p, master, start, end); err != nil {
				return err
			}
		} else {
			occs = []occurrence{{comp: master, start: start, end: end, originalKey: start.key()}}
		}
	}
	byKey := map[string]*goical.Component{}
	for _, o := range overrides {
		rid, err := p.value(o.Props.Get(goical.PropRecurrenceID))
		if err != nil {
			return fmt.Errorf("override: %w", err)
		}
		if master != nil && rid.form == formFloating && start.form == formZoned {
			// A RECURRENCE-ID written without the series' TZID: the series' wall time.
			w := rid.t
			rid = stamp{t: time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, start.t.Location()), form: formZoned}
		}
		byKey[rid.key()] = o
	}
	used := map[string]bool{}
	for i := range occs {
		if o, ok := byKey[occs[i].originalKey]; ok {
			used[occs[i].originalKey] = true
			if err := b.override(p, &occs[i], o); err != nil {
				return err
			}
		}
	}
	// Overrides of occurrences the series does not produce here (moved into the window, or no
	// master in the feed) stand on their own, under the id of their original start.
	keys := make([]string, 0, len(byKey))
	for key := range byKey {
		if !used[key] {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	for _, key := range keys {
		o := byKey[key]
		occ := occurrence{recurrence: true, originalKey: key}
		if err := b.override(p, &occ, o); err != nil {
			return err
		}
		occs = append(occs, occ)
	}
	for _, occ := range occs {
		b.emit(uid, occ)
	}
	return nil
}

// override replaces an occurrence by an overriding VEVENT (its own start, end, title, status).
func (b *builder) override(p *parser, occ *occurrence, o *goical.Component) error {
	start, end, err := p.span(o)
	if err != nil {
		return fmt.Errorf("override %s: %w", occ.originalKey, err)
	}
	occ.comp, occ.start, occ.end = o, start, end
	return nil
}

// emit adds an occurrence that overlaps the window and is not cancelled.
func (b *builder) emit(uid string, occ occurrence) {
	if occ.comp == nil || cancelled(occ.comp) {
		return
	}
	instant := occ.end.t.Equal(occ.start.t)
	overlaps := occ.start.t.Before(b.opt.To) && (occ.end.t.After(b.opt.From) || (instant && !occ.start.t.Before(b.opt.From)))
	if !overlaps {
		return
	}
	id := uid
	if occ.recurrence {
		id = uid + "/" + occ.originalKey
	}
	if b.seen[id] {
		return
	}
	if len(b.feed.Events) >= b.opt.MaxEvents {
		if !b.full {
			b.full = true
			b.problem("", "the feed has more than %d events in the window; the rest were skipped", b.opt.MaxEvents)
		}
		return
	}
	b.seen[id] = true
	status := statusOf(occ.comp)
	b.feed.Events = append(b.feed.Events, Event{ExternalID: id, UID: uid, Title: summary(occ.comp),
		Start: occ.start.t, End: occ.end.t, AllDay: occ.start.form == formDate, Floating: occ.start.form == formFloating,
		Tentative: status == goical.EventTentative})
}
