package views

import (
	"github.com/wedsync/wedsync/store"
)

// conflictWords describes a calendar conflict: "Sat 6 Jun: 1 booking and 1 wedding only in the
// calendar for 1 slot".
func conflictWords(c store.CalendarConflict, capacity int) string {
	return fmtDay(c.Date) + ": " + plural(c.Bookings, "booking", "bookings") + " and " +
		plural(c.CalendarWeddings, "wedding", "weddings") + " only in the calendar for " + plural(max(capacity, 1), "slot", "slots")
}

// conflictsByDate indexes the calendar conflicts by date ("2006-01-02").
func conflictsByDate(k *store.KPIs) map[string]store.CalendarConflict {
	out := make(map[string]store.CalendarConflict, len(k.CalendarConflicts))
	for _, c := range k.CalendarConflicts {
		out[c.Date] = c
	}
	return out
}

// conflictNote lists the calendar conflicts in words, under the calendar.
func conflictNote(k *store.KPIs) string {
	s := "Calendar conflicts (days outlined in the calendar): "
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
