package views

import (
	"time"

	"github.com/wedsync/wedsync/store"
)

// conflictMark marks a calendar conflict on the capacity calendar: a dot in the day's top
// right corner, with a title.
type conflictMark struct {
	Date, Title string
	X, Y        float64
}

// conflictWords describes a calendar conflict: "Sat 6 Jun: 1 booking and 1 wedding only in the
// calendar for 1 slot".
func conflictWords(c store.CalendarConflict, capacity int) string {
	return fmtDay(c.Date) + ": " + plural(c.Bookings, "booking", "bookings") + " and " +
		plural(c.CalendarWeddings, "wedding", "weddings") + " only in the calendar for " + plural(max(capacity, 1), "slot", "slots")
}

// conflictMarks places the calendar conflicts of one month (ID "2006-01") on its grid, the
// way capacityModel places its days (Monday first).
func conflictMarks(k *store.KPIs, monthID string) []conflictMark {
	m, err := time.Parse("2006-01", monthID)
	if err != nil {
		return nil
	}
	offset := (int(m.Weekday()) + 6) % 7
	var out []conflictMark
	for _, c := range k.CalendarConflicts {
		day, err := time.Parse("2006-01-02", c.Date)
		if err != nil || day.Year() != m.Year() || day.Month() != m.Month() {
			continue
		}
		pos := offset + day.Day() - 1
		out = append(out, conflictMark{Date: c.Date, Title: "Calendar conflict on " + conflictWords(c, k.DailyCapacity),
			X: float64(pos%7)*calPitch + calCell - 2.5, Y: calTop + float64(pos/7)*calPitch + 2.5})
	}
	return out
}

// conflictNote lists the calendar conflicts in words, under the calendar.
func conflictNote(k *store.KPIs) string {
	s := "Calendar conflicts (marked with a dot): "
	for i, c := range k.CalendarConflicts {
		if i > 0 {
			s += "; "
		}
		s += conflictWords(c, k.DailyCapacity)
	}
	return s + "."
}

// conflictNeed is the "needs you today" item of the calendar conflicts: the count, a link to
// the bookings of the dates concerned, and the first dates.
func conflictNeed(k *store.KPIs, link func(string) string) (needItem, bool) {
	n := len(k.CalendarConflicts)
	if n == 0 {
		return needItem{}, false
	}
	first, last := k.CalendarConflicts[0].Date, k.CalendarConflicts[n-1].Date
	it := needItem{Key: "calendar-conflicts", Count: fmtCount(n), Warn: true,
		Text:  pick(n, "calendar conflict:", "calendar conflicts:"),
		Href:  link("/records/bookings?from=" + first + "&to=" + last),
		Extra: "more weddings in your calendar than slots"}
	for i, c := range k.CalendarConflicts {
		if i == maxNeedDates {
			it.More = n - maxNeedDates
			break
		}
		it.Dates = append(it.Dates, needDate{Label: fmtDay(c.Date), Href: link("/records/bookings?from=" + c.Date + "&to=" + c.Date)})
	}
	return it, true
}
