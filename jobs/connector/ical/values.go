package ical

import (
	"errors"
	"fmt"
	"strings"
	"time"

	goical "github.com/emersion/go-ical"
)

// form is how a date-time value was written.
type form int

const (
	formZoned    form = iota // UTC (Z) or with a TZID: an instant
	formFloating             // no zone: a wall time wherever the reader is
	formDate                 // VALUE=DATE: a whole day
)

// stamp is a parsed DTSTART, DTEND, RECURRENCE-ID, EXDATE or RDATE value. Floating times and
// dates are wall times carried in UTC (unless the calendar names a default zone with
// X-WR-TIMEZONE, which turns floating times into zoned ones).
type stamp struct {
	t    time.Time
	form form
}

// key identifies an occurrence by its original start: the same instant, wall time or date
// written in any of the allowed ways gives the same key.
func (s stamp) key() string {
	switch s.form {
	case formDate:
		return s.t.Format("20060102")
	case formFloating:
		return s.t.Format("20060102T150405")
	}
	return s.t.UTC().Format("20060102T150405Z")
}

// parser holds what the values of one feed are read with.
type parser struct {
	zones zoneCache
	// floating is where floating times are placed (X-WR-TIMEZONE); nil keeps them floating.
	floating *time.Location
}

// values parses a date or date-time property, which may hold a comma-separated list (EXDATE,
// RDATE). The go-ical library reads each value; the TZID is resolved here first, because it
// may be a Windows zone name.
func (p *parser) values(prop *goical.Prop) ([]stamp, error) {
	loc := time.UTC
	zoned := false
	if tzid := prop.Params.Get(goical.PropTimezoneID); tzid != "" {
		l, err := p.zones.resolve(tzid)
		if err != nil {
			return nil, err
		}
		loc, zoned = l, true
	}
	var out []stamp
	for _, v := range strings.Split(prop.Value, ",") {
		v = strings.TrimSpace(v)
		one := goical.Prop{Name: prop.Name, Params: goical.Params{}, Value: v}
		f, at := formFloating, time.UTC
		switch {
		case len(v) == len("20060102"):
			f = formDate // VALUE=DATE, or a date written without it
			one.Params.Set(goical.ParamValue, string(goical.ValueDate))
		case strings.HasSuffix(v, "Z") || zoned:
			f, at = formZoned, loc
		case p.floating != nil:
			f, at = formZoned, p.floating
		}
		t, err := one.DateTime(at)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", prop.Name, v, err)
		}
		if y := t.Year(); y < 1 || y > 9998 {
			return nil, fmt.Errorf("%s %q: year out of range", prop.Name, v)
		}
		out = append(out, stamp{t: t, form: f})
	}
	return out, nil
}

// value parses a property that holds one date or date-time (DTSTART, DTEND, RECURRENCE-ID).
func (p *parser) value(prop *goical.Prop) (stamp, error) {
	if strings.Contains(prop.Value, ",") {
		return stamp{}, fmt.Errorf("%s %q: one value expected", prop.Name, prop.Value)
	}
	vs, err := p.values(prop)
	if err != nil {
		return stamp{}, err
	}
	return vs[0], nil
}

// span reads DTSTART and the end (DTEND, else DURATION, else one day for a date and nothing for
// a date-time). An end before the start is taken as the start (a one-day all-day event).
func (p *parser) span(comp *goical.Component) (start, end stamp, err error) {
	sp := comp.Props.Get(goical.PropDateTimeStart)
	if sp == nil {
		return start, end, errors.New("no DTSTART")
	}
	if start, err = p.value(sp); err != nil {
		return start, end, err
	}
	end = start
	switch ep, dp := comp.Props.Get(goical.PropDateTimeEnd), comp.Props.Get(goical.PropDuration); {
	case ep != nil:
		if end, err = p.value(ep); err != nil {
			return start, end, err
		}
	case dp != nil:
		d, derr := dp.Duration()
		if derr != nil {
			return start, end, fmt.Errorf("DURATION %q: %w", dp.Value, derr)
		}
		end.t = start.t.Add(d)
	case start.form == formDate:
		end.t = start.t.AddDate(0, 0, 1)
	}
	if start.form == formDate { // whole days: a date-time end is rounded up to the next midnight
		e := time.Date(end.t.Year(), end.t.Month(), end.t.Day(), 0, 0, 0, 0, time.UTC)
		if e.Before(end.t.UTC()) {
			e = e.AddDate(0, 0, 1)
		}
		if !e.After(start.t) {
			e = start.t.AddDate(0, 0, 1)
		}
		end.t = e
	}
	if end.t.Before(start.t) {
		end.t = start.t
	}
	end.form = start.form
	return start, end, nil
}

func summary(comp *goical.Component) string {
	prop := comp.Props.Get(goical.PropSummary)
	if prop == nil {
		return ""
	}
	if s, err := prop.Text(); err == nil {
		return strings.TrimSpace(s)
	}
	return strings.TrimSpace(prop.Value)
}

func statusOf(comp *goical.Component) goical.EventStatus {
	prop := comp.Props.Get(goical.PropStatus)
	if prop == nil {
		return ""
	}
	return goical.EventStatus(strings.ToUpper(strings.TrimSpace(prop.Value)))
}

func cancelled(comp *goical.Component) bool { return statusOf(comp) == goical.EventCancelled }
