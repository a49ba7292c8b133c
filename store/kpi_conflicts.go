package store

import (
	"cmp"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// CalendarConflict is a date of the next 12 months (today .. today+364) on which the counting
// bookings plus the confirmed wedding calendar events that are not linked to one of them
// exceed the daily capacity, and at least one such calendar event is there: a wedding the
// calendar knows of that the bookings do not. It is not a METRICS.md KPI:
// overbooked_dates_12m stays bookings only.
type CalendarConflict struct {
	Date             string `json:"date"` // YYYY-MM-DD
	Bookings         int    `json:"bookings"`
	CalendarWeddings int    `json:"calendar_weddings"`
}

// sqlCalendarWeddings ($2 tz) counts per local date in $3 .. $4 (inclusive) the confirmed
// wedding calendar events not linked to a counting booking of that same date.
const sqlCalendarWeddings = `select (e.starts_at at time zone $2)::date, count(*)
from calendar_events e
where e.org_id = $1 and e.kind = 'wedding' and e.status = 'confirmed'
	and e.starts_at >= ($3::date::timestamp at time zone $2) and e.starts_at < (($4::date + 1)::timestamp at time zone $2)
	and not exists (select 1 from bookings b where b.id = e.booking_id and b.status <> 'cancelled'
		and b.wedding_date = (e.starts_at at time zone $2)::date)
group by 1`

// queueCalendarConflicts reads the unlinked wedding events of the capacity window.
func (c *kpiCollector) queueCalendarConflicts(b *pgx.Batch, org int64) {
	c.calendarWeddings = map[string]int{}
	b.Queue(sqlCalendarWeddings, org, c.k.Timezone, c.w.today, c.w.today.AddDate(0, 0, 364)).Query(func(rows pgx.Rows) error {
		var d time.Time
		var n int
		_, err := pgx.ForEachRow(rows, []any{&d, &n}, func() error {
			c.calendarWeddings[ymd(d)] = n
			return nil
		})
		return wrap("calendar weddings", err)
	})
}

// calendarConflicts lists the conflict dates, ascending.
func (c *kpiCollector) calendarConflicts() {
	capacity := max(c.k.DailyCapacity, 1)
	for day, n := range c.calendarWeddings {
		if b := c.weddingCounts[day]; b+n > capacity {
			c.k.CalendarConflicts = append(c.k.CalendarConflicts, CalendarConflict{Date: day, Bookings: b, CalendarWeddings: n})
		}
	}
	slices.SortFunc(c.k.CalendarConflicts, func(a, b CalendarConflict) int { return cmp.Compare(a.Date, b.Date) })
}
