package views

import (
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store"
)

// TestDashboardCalendarConflicts: the "needs you today" strip counts the calendar conflicts and
// links to the bookings of their dates; the capacity calendar marks each one with its own class
// and a title, and names them in words for screen readers; with none, nothing of it shows.
func TestDashboardCalendarConflicts(t *testing.T) {
	t.Parallel()
	d := sampleData()
	d.KPIs.CalendarConflicts = []store.CalendarConflict{
		{Date: "2025-06-21", Bookings: 1, CalendarWeddings: 1},
		{Date: "2025-07-05", Bookings: 0, CalendarWeddings: 2},
	}
	_, doc := renderPage(t, d)

	need := doc.Find(`[data-need="calendar-conflicts"]`)
	require.Equal(t, 1, need.Length())
	require.Equal(t, "2", strings.TrimSpace(need.Find(".need-count").Text()))
	require.Contains(t, need.Text(), "calendar conflicts:")
	var hrefs []string
	need.Find("a").Each(func(_ int, a *goquery.Selection) { hrefs = append(hrefs, a.AttrOr("href", "")) })
	require.Equal(t, []string{"/records/bookings?from=2025-06-21&to=2025-07-05",
		"/records/bookings?from=2025-06-21&to=2025-06-21", "/records/bookings?from=2025-07-05&to=2025-07-05"}, hrefs)

	marks := doc.Find(`[data-chart="capacity_calendar"] .cal-grid i.conflict`)
	require.Equal(t, 2, marks.Length())
	require.Equal(t, "2025-06", marks.First().Parent().AttrOr("data-month", ""))
	require.Equal(t, "Calendar conflict on Sat 21 Jun: 1 booking and 1 wedding only in the calendar for 1 slot",
		marks.First().AttrOr("title", ""))
	note := doc.Find(`[data-calendar-conflicts]`)
	require.Equal(t, "2", note.AttrOr("data-calendar-conflicts", ""))
	require.Contains(t, note.Text(), "Sat 5 Jul: 0 bookings and 2 weddings only in the calendar for 1 slot")
	require.Equal(t, strconv.Itoa(d.KPIs.OverbookedDates12m), doc.Find(`[data-kpi="overbooked_dates_12m"]`).AttrOr("data-value", ""),
		"the KPI card shows bookings only")

	d.KPIs.CalendarConflicts = nil
	_, doc = renderPage(t, d)
	require.Zero(t, doc.Find(`[data-need="calendar-conflicts"], .cal-grid i.conflict, [data-calendar-conflicts]`).Length())
}
