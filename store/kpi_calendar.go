package store

import (
	"time"

	"github.com/jackc/pgx/v5"
)

// CalendarWedding is a confirmed wedding event of a connected calendar in today..today+30 that
// no counting booking of its date is linked to: the dashboard lists it with the upcoming weddings, marked "in
// calendar, no booking". It is not a booking, so no KPI counts it (upcoming_weddings_30d stays
// bookings only).
type CalendarWedding struct {
	EventID int64  `json:"event_id"`
	Date    string `json:"date"` // YYYY-MM-DD, the local date it starts
	Title   string `json:"title"`
}

// sqlUpcomingCalendarWeddings lists the first $5 confirmed wedding events starting on local
// dates $2 .. $3 (inclusive) in zone $4 that no counting booking of that date accounts for (the
// same rule as the calendar conflicts of kpi_conflicts.go).
const sqlUpcomingCalendarWeddings = `select e.id, (e.starts_at at time zone $4)::date, e.title
from calendar_events e
where e.org_id = $1 and e.kind = 'wedding' and e.status = 'confirmed'
	and e.starts_at >= ($2::date)::timestamp at time zone $4
	and e.starts_at < ($3::date + 1)::timestamp at time zone $4
	and not exists (select 1 from bookings b where b.id = e.booking_id and b.status <> 'cancelled'
		and b.wedding_date = (e.starts_at at time zone $4)::date)
order by e.starts_at, e.id
limit $5`

// queueCalendarWeddings reads KPIs.CalendarWeddings in the KPI batch.
func (c *kpiCollector) queueCalendarWeddings(b *pgx.Batch, org int64) {
	k, w := c.k, c.w
	b.Queue(sqlUpcomingCalendarWeddings, org, w.today, w.today.AddDate(0, 0, 30), k.Timezone, UpcomingWeddingsMax).Query(func(rows pgx.Rows) error {
		var e CalendarWedding
		var d time.Time
		_, err := pgx.ForEachRow(rows, []any{&e.EventID, &d, &e.Title}, func() error {
			e.Date = ymd(d)
			k.CalendarWeddings = append(k.CalendarWeddings, e)
			return nil
		})
		return wrap("calendar weddings", err)
	})
}
