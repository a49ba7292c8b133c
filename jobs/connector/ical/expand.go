package ical

import (
	"errors"
	"fmt"
	"sort"
	"time"

	goical "github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"
)

// expand lists the occurrences of a recurring event that start before the window's end: its
// RRULE (read by go-ical and expanded by rrule-go in DTSTART's own zone, so a 10:00 wedding
// stays at 10:00 across daylight saving changes) and RDATEs, less its EXDATEs. Each keeps the
// duration of the first.
func (b *builder) expand(p *parser, master *goical.Component, start, end stamp) ([]occurrence, error) {
	if time.Since(b.started) > b.opt.ExpandBudget {
		return nil, errors.New("recurrence skipped: the feed took too long to expand")
	}
	excluded := map[string]bool{}
	for i := range master.Props[goical.PropExceptionDates] {
		stamps, err := p.values(&master.Props[goical.PropExceptionDates][i])
		if err != nil {
			return nil, err
		}
		for _, s := range stamps {
			excluded[s.key()] = true
			if s.form == formDate && start.form != formDate { // a date excludes that whole day
				excluded["day:"+s.t.Format("20060102")] = true
			}
		}
	}
	var starts []time.Time
	if master.Props.Get(goical.PropRecurrenceRule) != nil {
		var err error
		if starts, err = b.ruleStarts(master, start); err != nil {
			return nil, err
		}
	}
	for i := range master.Props[goical.PropRecurrenceDates] {
		stamps, err := p.values(&master.Props[goical.PropRecurrenceDates][i])
		if err != nil {
			return nil, err
		}
		for _, s := range stamps {
			if s.t.Before(b.opt.To) {
				starts = append(starts, s.t)
			}
		}
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i].Before(starts[j]) })
	days := int(end.t.Sub(start.t).Hours()/24 + 0.5)
	var out []occurrence
	seen := map[string]bool{}
	for _, t := range starts {
		s := stamp{t: t, form: start.form}
		key := s.key()
		if seen[key] || excluded[key] || excluded["day:"+t.In(start.t.Location()).Format("20060102")] {
			continue
		}
		seen[key] = true
		e := stamp{t: t.Add(end.t.Sub(start.t)), form: start.form}
		if start.form == formDate {
			e.t = t.AddDate(0, 0, days)
		}
		out = append(out, occurrence{comp: master, start: s, end: e, recurrence: true, originalKey: key})
	}
	return out, nil
}

// ruleStarts expands the RRULE from DTSTART up to the window's end.
func (b *builder) ruleStarts(master *goical.Component, start stamp) ([]time.Time, error) {
	opt, err := master.Props.RecurrenceRule()
	if err != nil {
		return nil, err
	}
	switch opt.Freq {
	case rrule.SECONDLY, rrule.MINUTELY:
		return nil, errors.New("a recurrence more often than hourly is not supported")
	}
	if impossible(opt) {
		return nil, nil
	}
	opt.Dtstart = start.t
	if opt.Until.IsZero() || opt.Until.After(b.opt.To) {
		opt.Until = b.opt.To
	}
	rule, err := rrule.NewRRule(*opt)
	if err != nil {
		return nil, fmt.Errorf("RRULE: %w", err)
	}
	var out []time.Time
	next := rule.Iterator()
	for steps := 0; ; steps++ {
		t, ok := next()
		if !ok || !t.Before(b.opt.To) {
			break
		}
		if steps >= maxSteps && len(out) == 0 {
			return nil, fmt.Errorf("the recurrence repeats more than %d times before the synced window", maxSteps)
		}
		if steps >= maxSteps || len(out) >= maxPerSeries {
			return out, nil // the far end of a very long series is dropped, not the series
		}
		if !t.Before(b.opt.From.AddDate(0, 0, -14)) { // occurrences still running into the window
			out = append(out, t)
		}
	}
	return out, nil
}

// impossible reports a rule whose BYMONTH and BYMONTHDAY never meet (30 February), which
// rrule-go would search for until the year 9999.
func impossible(opt *rrule.ROption) bool {
	if len(opt.Bymonthday) == 0 {
		return false
	}
	months := opt.Bymonth
	if len(months) == 0 {
		months = []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	}
	longest := map[int]int{2: 29, 4: 30, 6: 30, 9: 30, 11: 30}
	for _, m := range months {
		n := longest[m]
		if n == 0 {
			n = 31
		}
		for _, d := range opt.Bymonthday {
			if (d > 0 && d <= n) || (d < 0 && -d <= n) {
				return false
			}
		}
	}
	return true
}
