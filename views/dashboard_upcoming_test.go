package views

import (
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store"
)

// TestUpcomingWeddingsListCalendarWeddingsWithoutBooking: unbooked wedding events of a connected
// calendar join the booked weddings in date order, marked, without contract or balance; the
// upcoming_weddings_30d card keeps counting bookings only.
func TestUpcomingWeddingsListCalendarWeddingsWithoutBooking(t *testing.T) {
	d := sampleData()
	booked := d.KPIs.UpcomingWeddings
	require.NotEmpty(t, booked)
	d.KPIs.CalendarWeddings = []store.CalendarWedding{
		{EventID: 901, Date: booked[0].Date, Title: "Nguyen & Park wedding"},
		{EventID: 902, Date: "2025-07-13", Title: "Elopement at the lake"},
	}
	_, doc := renderPage(t, d)
	rows := doc.Find(`[data-table="upcoming_weddings"] tbody tr`)
	require.Equal(t, len(booked)+2, rows.Length())
	var dates []string
	rows.Each(func(_ int, r *goquery.Selection) { dates = append(dates, r.Find("time").AttrOr("datetime", "")) })
	for i := 1; i < len(dates); i++ {
		require.LessOrEqual(t, dates[i-1], dates[i], "in date order: %v", dates)
	}
	require.Equal(t, strconv.FormatInt(booked[0].BookingID, 10), rows.First().AttrOr("data-booking", ""), "the booking comes first on its date")
	ev := doc.Find(`tr[data-calendar-event="901"]`)
	require.Contains(t, ev.Text(), "Nguyen & Park wedding")
	require.Equal(t, "in calendar, no booking", strings.TrimSpace(ev.Find(`[data-mark="no-booking"]`).Text()))
	require.NotContains(t, ev.Text(), "$")
	require.Zero(t, ev.Find(`[data-label="Balance due"]`).Length())
	require.Equal(t, "6", doc.Find(`[data-kpi="upcoming_weddings_30d"]`).AttrOr("data-value", ""))

	// Only calendar weddings: the table is shown, not the empty note.
	d.KPIs.UpcomingWeddings = nil
	_, doc = renderPage(t, d)
	require.Equal(t, 2, doc.Find(`[data-table="upcoming_weddings"] tr[data-calendar-event]`).Length())
}
