package store

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// revenueHistoryMonths is how many months before the current one the revenue query reads: the
// backtest of the last 12 complete months needs 36 months before its oldest month.
const revenueHistoryMonths = 48

// ComputeKPIs computes every KPI of orgID as of now in one consistent snapshot (a read-only
// REPEATABLE READ transaction scoped to the organization). First, in a short transaction of its
// own, it compacts the organization's running totals (see CompactTotals).
func (db *DB) ComputeKPIs(ctx context.Context, orgID int64, now time.Time) (*KPIs, error) {
	if orgID <= 0 {
		return nil, fmt.Errorf("compute kpis: no organization")
	}
	if err := db.CompactTotals(ctx, orgID); err != nil {
		return nil, fmt.Errorf("compute kpis: %w", err)
	}
	tx, err := db.BeginScoped(ctx, orgID, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("compute kpis: begin: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	k, err := ComputeKPIsTx(ctx, tx, orgID, now)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("compute kpis: commit: %w", err)
	}
	return k, nil
}

// CompactTotals folds the organization's payment totals journal (migration 0015) into
// payment_days (one row per currency and local date) and bookings.paid_net. The totals are exact
// either way; folding keeps the KPI queries reading about one row per day and per booking. Safe
// to run at any time, concurrently with writers and other folds.
func (db *DB) CompactTotals(ctx context.Context, orgID int64) error {
	return wrap("compact totals", db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		var tz string
		var journal []int64
		if err := tx.QueryRow(ctx, sqlFoldStart, orgID).Scan(&tz, &journal); err != nil {
			return err
		}
		if len(journal) == 0 {
			return nil
		}
		// The rest returns nothing: it travels with the commit, in one round trip.
		var b pgx.Batch
		b.Queue(sqlFoldLockBookings, journal)
		// The fold is set-based: hash joins and aggregates. Mid-sync statistics (a table of a few
		// rows, by the last analyze) would plan its update of bookings as a nested loop over an
		// index of the organization's bookings, once per booking. The cost that rules nested loops
		// out would also make PostgreSQL compile the statement (JIT, ~200 ms), hence jit off.
		b.Queue(`select set_config('wedsync.folding_paid_net', 'on', true),
			set_config('enable_nestloop', 'off', true), set_config('jit', 'off', true)`)
		b.Queue(sqlFold, orgID, journal, tz)
		return sendLater(ctx, tx, &b)
	}))
}

// ComputeKPIsTx is ComputeKPIs inside a transaction the caller has already scoped to orgID (begun
// with BeginScoped; use REPEATABLE READ for a consistent snapshot). It makes two round trips (the
// organization, then one batch of every query) and, for the rest of the transaction, turns JIT
// and parallel plans off and sets work_mem = 16MB. now is the instant the KPIs are computed for
// (ComputedAt).
func ComputeKPIsTx(ctx context.Context, tx pgx.Tx, orgID int64, now time.Time) (*KPIs, error) {
	k := &KPIs{OrgID: orgID, ComputedAt: now}
	var days []int16
	var today time.Time
	var done string
	err := tx.QueryRow(ctx, sqlOrg, orgID, now).Scan(&k.Timezone, &k.Currency, &days, &k.DailyCapacity, &today, &done)
	if err != nil {
		return nil, wrap("compute kpis: org", err)
	}
	for _, d := range days {
		k.WeddingDays = append(k.WeddingDays, int(d))
	}
	w := newKPIWindows(today)
	k.Today = ymd(w.today)

	c := &kpiCollector{k: k, w: w}
	b := &pgx.Batch{}
	c.queue(b, orgID, now)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("compute kpis: %w", err)
	}
	c.finish()
	return k, nil
}

// kpiWindows holds the local dates of every window, as UTC midnights (civil dates).
type kpiWindows struct {
	today, tomorrow   time.Time
	ltmStart          time.Time // today-364
	d90Start          time.Time // today-89
	months            []time.Time
	nextMonth, after6 time.Time // first days of month+1 and month+7
	periods           []periodWindow
}

func newKPIWindows(today time.Time) kpiWindows {
	y, m, _ := today.Date()
	w := kpiWindows{today: today, tomorrow: today.AddDate(0, 0, 1)}
	w.ltmStart = today.AddDate(0, 0, -364)
	w.d90Start = today.AddDate(0, 0, -89)
	for i := -revenueHistoryMonths; i <= 0; i++ {
		w.months = append(w.months, civil(y, m+time.Month(i), 1))
	}
	w.nextMonth, w.after6 = civil(y, m+1, 1), civil(y, m+1+forecastHorizon, 1)
	w.periods = periodWindows(today)
	return w
}

func civil(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func ymd(t time.Time) string { return t.Format("2006-01-02") }

// kpiCollector receives the batch results.
type kpiCollector struct {
	k *KPIs
	w kpiWindows

	revenue               *segments // net: every month of w.months and every period window
	bookings              *segments // counting, counting in the org's currency, their contracts
	inquiries             *segments // received, booked
	respN, respLo, respHi int64
	weddingCounts         map[string]int
	calendarWeddings      map[string]int // unlinked wedding calendar events per date (kpi_conflicts.go)
	reviewsSum            int64
	earliestWedding       *time.Time
	seasonCounts          map[[2]int]int64
	committed             map[string]int64
}

func (c *kpiCollector) queue(b *pgx.Batch, org int64, now time.Time) {
	k, w := c.k, c.w
	tz, cur := k.Timezone, k.Currency
	// Every window starts on a bound and ends the day before one, so it is a union of segments.
	var periodBounds []time.Time
	for _, p := range w.periods {
		periodBounds = append(periodBounds, p.bounds()...)
	}
	c.revenue = newSegments(slices.Concat(w.months, periodBounds, []time.Time{w.tomorrow})...)
	b.Queue(sqlRevenue, org, cur, c.revenue.bounds).Query(c.revenue.read("revenue", 1))
	c.bookings = newSegments(slices.Concat(periodBounds, []time.Time{w.tomorrow})...)
	b.Queue(sqlBookingSegments, org, tz, cur, c.bookings.bounds).Query(c.bookings.read("bookings", 3))
	c.inquiries = newSegments(slices.Concat(periodBounds, []time.Time{w.d90Start, w.tomorrow})...)
	b.Queue(sqlInquirySegments, org, tz, c.inquiries.bounds).Query(c.inquiries.read("inquiries", 2))
	b.Queue(sqlResponseMedian, org, tz, w.d90Start, w.tomorrow).QueryRow(func(row pgx.Row) error {
		return wrap("response time", row.Scan(&c.respN, &c.respLo, &c.respHi))
	})
	b.Queue(sqlLeadSources, org, tz, w.d90Start, w.tomorrow).Query(func(rows pgx.Rows) error {
		var s SourceLeads
		_, err := pgx.ForEachRow(rows, []any{&s.Source, &s.Inquiries, &s.Booked}, func() error {
			k.LeadsBySource90d = append(k.LeadsBySource90d, s)
			return nil
		})
		return wrap("lead sources", err)
	})
	b.Queue(sqlUnanswered, org, now).QueryRow(func(row pgx.Row) error {
		return wrap("unanswered", row.Scan(&k.UnansweredInquiries24h))
	})
	c.weddingCounts = map[string]int{}
	b.Queue(sqlWeddingDates, org, w.today, w.today.AddDate(0, 0, 364)).Query(func(rows pgx.Rows) error {
		var d time.Time
		var n int
		_, err := pgx.ForEachRow(rows, []any{&d, &n}, func() error {
			c.weddingCounts[ymd(d)] = n
			return nil
		})
		return wrap("wedding dates", err)
	})
	c.queueCalendarConflicts(b, org)
	b.Queue(sqlUpcoming, org, w.today, w.today.AddDate(0, 0, 30), UpcomingWeddingsMax).Query(func(rows pgx.Rows) error {
		var u UpcomingWedding
		var d time.Time
		_, err := pgx.ForEachRow(rows, []any{&u.BookingID, &d, &u.ClientName, &u.ContractAmount, &u.Currency, &u.BalanceDue}, func() error {
			u.Date = ymd(d)
			k.UpcomingWeddings = append(k.UpcomingWeddings, u)
			return nil
		})
		return wrap("upcoming weddings", err)
	})
	c.queueCalendarWeddings(b, org)
	b.Queue(sqlOwed, org, cur).QueryRow(func(row pgx.Row) error {
		return wrap("outstanding", row.Scan(&k.OutstandingBalance, &k.ForeignCurrencyRows))
	})
	c.committed = map[string]int64{}
	b.Queue(sqlInvoices, org, cur, w.today, w.today.AddDate(0, 0, 89), w.nextMonth, w.after6).Query(func(rows pgx.Rows) error {
		var due time.Time
		var overdue, overdueN, scheduled, committed int64
		_, err := pgx.ForEachRow(rows, []any{&due, &overdue, &overdueN, &scheduled, &committed}, func() error {
			k.OverdueAmount += overdue
			k.OverdueInvoices += int(overdueN)
			k.ScheduledNext90d += scheduled
			c.committed[due.Format("2006-01")] += committed
			return nil
		})
		return wrap("invoices", err)
	})
	b.Queue(sqlReviews, org, tz, w.ltmStart, w.tomorrow).QueryRow(func(row pgx.Row) error {
		return wrap("reviews", row.Scan(&k.Reviews12m, &c.reviewsSum))
	})
	b.Queue(sqlEarliestWedding, org).QueryRow(func(row pgx.Row) error {
		return wrap("earliest wedding", row.Scan(&c.earliestWedding))
	})
	y := w.today.Year()
	c.seasonCounts = map[[2]int]int64{}
	b.Queue(sqlSeasonCounts, org, civil(y-3, 1, 1), civil(y, 1, 1)).Query(func(rows pgx.Rows) error {
		var d time.Time
		var n int64
		_, err := pgx.ForEachRow(rows, []any{&d, &n}, func() error {
			c.seasonCounts[[2]int{d.Year(), int(d.Month())}] += n
			return nil
		})
		return wrap("seasonality", err)
	})
	b.Queue(sqlFreshness, org).Query(func(rows pgx.Rows) error {
		var f SourceFreshness
		_, err := pgx.ForEachRow(rows, []any{&f.Provider, &f.LastSuccessAt, &f.Health}, func() error {
			k.SourceFreshness = append(k.SourceFreshness, f)
			return nil
		})
		return wrap("source freshness", err)
	})
}

// finish derives everything that is computed from the query results.
func (c *kpiCollector) finish() {
	k, w := c.k, c.w
	byKey := map[string]PeriodFigures{}
	for _, p := range w.periods {
		f := p.figures(c.revenue, c.bookings, c.inquiries)
		k.Periods = append(k.Periods, f)
		byKey[f.Key] = f
	}
	// The MTD, YTD and LTM KPIs are the period figures themselves, so they always agree.
	mtd, ytd, ltm := byKey["mtd"], byKey["ytd"], byKey["ltm"]
	k.RevenueMTD, k.RevenueMTDLastYear, k.RevenueMTDChangePct = mtd.Revenue, mtd.RevenueLastYear, mtd.RevenueChangePct
	k.RevenueYTD, k.RevenueLTM = ytd.Revenue, ltm.Revenue
	k.BookingsMTD, k.BookingsMTDLastYear, k.BookingsMTDChangePct = mtd.Bookings, mtd.BookingsLastYear, mtd.BookingsChangePct
	k.InquiriesMTD, k.InquiriesMTDLastYear = mtd.Inquiries, mtd.InquiriesLastYear
	k.BookedValueLTM = ltm.BookedValue
	if n := c.bookings.sum(w.ltmStart, w.today, 1); n > 0 {
		v := roundRat(big.NewRat(k.BookedValueLTM, n))
		k.AvgBookingValueLTM = &v
	}
	if n := c.inquiries.sum(w.d90Start, w.today, 0); n > 0 {
		s := roundQuo64(100*c.inquiries.sum(w.d90Start, w.today, 1), n, 1)
		k.ConversionRate90d = &s
	}

	history := make([]int64, len(w.months)) // monthly net revenue, the current month up to today
	for i, m := range w.months {
		end := w.today
		if i+1 < len(w.months) {
			end = w.months[i+1].AddDate(0, 0, -1)
		}
		history[i] = c.revenue.sum(m, end, 0)
		if i >= len(w.months)-24 {
			k.RevenueByMonth = append(k.RevenueByMonth, MonthAmount{Month: m.Format("2006-01"), Amount: history[i]})
		}
	}
	if c.respN > 0 { // median = (lo + hi) / 2 microseconds, in hours
		s := roundQuo(new(big.Int).Add(big.NewInt(c.respLo), big.NewInt(c.respHi)), big.NewInt(2*3600*1000000), 1)
		k.ResponseTimeMedianHours90d = &s
	}
	if k.Reviews12m > 0 {
		s := roundQuo64(c.reviewsSum, int64(k.Reviews12m), 2)
		k.SatisfactionAvg12m = &s
	}
	c.capacity()
	c.calendarConflicts()
	c.seasonality()

	f := ForecastRevenue(history)
	k.ForecastMAPE12m, k.ForecastBaselineMAPE12m = f.MAPE, f.BaselineMAPE
	for h := range forecastHorizon {
		m := w.nextMonth.AddDate(0, h, 0).Format("2006-01")
		k.Forecast = append(k.Forecast, ForecastMonth{Month: m, Committed: c.committed[m],
			Expected: f.Expected[h], Low: f.Low[h], High: f.High[h]})
	}
}

// capacity walks the 365 dates today .. today+364.
func (c *kpiCollector) capacity() {
	k := c.k
	capacity := max(k.DailyCapacity, 1)
	var used, weddingDates int64
	for i := range 365 {
		d := c.w.today.AddDate(0, 0, i)
		key := ymd(d)
		n := c.weddingCounts[key]
		isWD := slices.Contains(k.WeddingDays, int(d.Weekday()))
		if i == 0 {
			k.WeddingsToday = n
		}
		if i <= 30 {
			k.UpcomingWeddings30d += n
		}
		if isWD {
			weddingDates++
			used += int64(min(n, capacity))
		}
		if n >= capacity {
			k.FullyBookedDates12m++
		}
		if n > capacity {
			k.OverbookedDates12m++
			k.OverbookedDates = append(k.OverbookedDates, key)
		}
		if isWD || n > 0 {
			k.CapacityCalendar = append(k.CapacityCalendar, CapacityDay{Date: key, Bookings: n, IsWeddingDay: isWD})
		}
	}
	if weddingDates > 0 {
		s := roundQuo64(100*used, weddingDates*int64(capacity), 1)
		k.CapacityUtilization12m = &s
	}
}

// seasonality applies the rule of METRICS.md: over the last 3 complete calendar years not before
// the year of the earliest counting wedding, index = month mean / mean of the 12 month means,
// which is exactly 12 × month count / total count (the number of years cancels).
func (c *kpiCollector) seasonality() {
	if c.earliestWedding == nil {
		return
	}
	y := c.w.today.Year()
	var months [13]int64
	var total int64
	years := 0
	for yy := max(y-3, c.earliestWedding.Year()); yy <= y-1; yy++ {
		years++
		for m := 1; m <= 12; m++ {
			months[m] += c.seasonCounts[[2]int{yy, m}]
			total += c.seasonCounts[[2]int{yy, m}]
		}
	}
	if years == 0 || total == 0 {
		return
	}
	for m := 1; m <= 12; m++ {
		s := roundQuo64(12*months[m], total, 2)
		c.k.Seasonality = append(c.k.Seasonality, MonthIndex{Month: m, Index: &s})
	}
}
