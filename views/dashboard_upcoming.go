package views

import "github.com/wedsync/wedsync/store"

// upcomingRow is one line of the upcoming weddings table: a booking, or a wedding event of a
// connected calendar that no booking is linked to.
type upcomingRow struct {
	Date    string
	Booking *store.UpcomingWedding
	Event   *store.CalendarWedding
}

// upcomingRows merges the booked weddings and the calendar's unbooked ones by date (bookings
// first on a date).
func upcomingRows(k *store.KPIs) []upcomingRow {
	out := make([]upcomingRow, 0, len(k.UpcomingWeddings)+len(k.CalendarWeddings))
	i, j := 0, 0
	for i < len(k.UpcomingWeddings) || j < len(k.CalendarWeddings) {
		if j >= len(k.CalendarWeddings) || (i < len(k.UpcomingWeddings) && k.UpcomingWeddings[i].Date <= k.CalendarWeddings[j].Date) {
			out = append(out, upcomingRow{Date: k.UpcomingWeddings[i].Date, Booking: &k.UpcomingWeddings[i]})
			i++
		} else {
			out = append(out, upcomingRow{Date: k.CalendarWeddings[j].Date, Event: &k.CalendarWeddings[j]})
			j++
		}
	}
	return out
}
