package store_test

import (
	"math/big"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wedsync/wedsync/store"
)

// The oracle recomputes every KPI from METRICS.md with plain loops over the fixture's rows, Go's
// own timezone conversion and big.Rat's FloatString (which rounds half away from zero): nothing
// is shared with the SQL under test except the forecast model itself.

func civilDay(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func (f *kpiFixture) day(ts time.Time) time.Time { return civilDay(ts.In(f.loc).Date()) }

func parseDay(s string) time.Time {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return d
}

func between(d, lo, hi time.Time) bool { return !d.Before(lo) && !d.After(hi) }

// rounded is num/den rounded half away from zero; a rounded zero has no sign.
func rounded(num, den int64, places int) string {
	s := big.NewRat(num, den).FloatString(places)
	if strings.Trim(s, "-0.") == "" {
		s = strings.TrimPrefix(s, "-")
	}
	return s
}

func net(p fxPayment) int64 {
	switch p.Status {
	case "succeeded", "partially_refunded", "refunded":
		return p.Amount - p.Refunded
	}
	return 0
}

func (f *kpiFixture) revenue(lo, hi time.Time) int64 {
	var s int64
	for _, p := range f.payments {
		if p.Currency == f.cur && between(f.day(p.PaidAt), lo, hi) {
			s += net(p)
		}
	}
	return s
}

func pct(cur, prev int64) string {
	if prev == 0 {
		return ""
	}
	return rounded((cur-prev)*100, prev, 1)
}

// oracle is what the fixture's KPIs must be at one instant.
type oracle struct {
	scalars    map[string]string
	byMonth    []store.MonthAmount
	history    []int64 // 49 months ending with this month
	leads      []store.SourceLeads
	season     []store.MonthIndex
	committed  []int64
	months     []string // the 6 forecast months
	upcoming   []store.UpcomingWedding
	overbooked []string
	calendar   []store.CapacityDay
	fresh      []store.SourceFreshness
	periods    []store.PeriodFigures
}

func (f *kpiFixture) expect(now time.Time) oracle {
	o := oracle{scalars: map[string]string{}}
	s := o.scalars
	today := f.day(now)
	y, m, d := today.Date()
	if m == time.February && d == 29 {
		d = 28
	}
	monthStart, lyLo, lyHi := civilDay(y, m, 1), civilDay(y-1, m, 1), civilDay(y-1, m, d)
	ltm, d90 := today.AddDate(0, 0, -364), today.AddDate(0, 0, -89)
	i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
	itoa := strconv.Itoa

	// Revenue.
	mtd, ly := f.revenue(monthStart, today), f.revenue(lyLo, lyHi)
	s["revenue_mtd"], s["revenue_mtd_last_year"], s["revenue_mtd_change_pct"] = i64(mtd), i64(ly), pct(mtd, ly)
	s["revenue_ytd"], s["revenue_ltm"] = i64(f.revenue(civilDay(y, 1, 1), today)), i64(f.revenue(ltm, today))
	for i := -48; i <= 0; i++ {
		ms := civilDay(y, m+time.Month(i), 1)
		me := ms.AddDate(0, 1, -1)
		if me.After(today) {
			me = today
		}
		o.history = append(o.history, f.revenue(ms, me))
		if i > -24 {
			o.byMonth = append(o.byMonth, store.MonthAmount{Month: ms.Format("2006-01"), Amount: o.history[len(o.history)-1]})
		}
	}

	// Bookings and leads.
	var bMTD, bLY, bN, bValue int64
	for _, b := range f.bookings {
		if b.Status == "cancelled" {
			continue
		}
		bd := f.day(b.BookedAt)
		if between(bd, monthStart, today) {
			bMTD++
		}
		if between(bd, lyLo, lyHi) {
			bLY++
		}
		if between(bd, ltm, today) && b.Currency == f.cur {
			bN++
			bValue += b.Contract
		}
	}
	s["bookings_mtd"], s["bookings_mtd_last_year"], s["bookings_mtd_change_pct"] = i64(bMTD), i64(bLY), pct(bMTD, bLY)
	s["booked_value_ltm"], s["avg_booking_value_ltm"] = i64(bValue), ""
	if bN > 0 {
		s["avg_booking_value_ltm"] = rounded(bValue, bN, 0)
	}
	var qMTD, qLY, q90, qBooked int64
	var waits []int64 // microseconds
	bySource := map[string]*store.SourceLeads{}
	for _, q := range f.inquiries {
		qd := f.day(q.ReceivedAt)
		if between(qd, monthStart, today) {
			qMTD++
		}
		if between(qd, lyLo, lyHi) {
			qLY++
		}
		if !between(qd, d90, today) {
			continue
		}
		q90++
		if bySource[q.Source] == nil {
			bySource[q.Source] = &store.SourceLeads{Source: q.Source}
		}
		bySource[q.Source].Inquiries++
		if q.Status == "booked" {
			qBooked++
			bySource[q.Source].Booked++
		}
		if q.FirstResponse != nil {
			waits = append(waits, q.FirstResponse.Sub(q.ReceivedAt).Microseconds())
		}
	}
	s["inquiries_mtd"], s["inquiries_mtd_last_year"] = i64(qMTD), i64(qLY)
	s["conversion_rate_90d"], s["response_time_median_hours_90d"] = "", ""
	if q90 > 0 {
		s["conversion_rate_90d"] = rounded(100*qBooked, q90, 1)
	}
	if n := len(waits); n > 0 {
		slices.Sort(waits)
		median := new(big.Rat).SetInt64(waits[n/2])
		if n%2 == 0 {
			median.Add(big.NewRat(waits[n/2-1], 2), big.NewRat(waits[n/2], 2))
		}
		s["response_time_median_hours_90d"] = median.Quo(median, big.NewRat(3600_000_000, 1)).FloatString(1)
	}
	for _, l := range bySource {
		o.leads = append(o.leads, *l)
	}
	sort.Slice(o.leads, func(i, j int) bool {
		a, b := o.leads[i], o.leads[j]
		return a.Inquiries > b.Inquiries || a.Inquiries == b.Inquiries && a.Source < b.Source
	})

	// Weddings and capacity.
	perDay := map[time.Time]int{}
	for _, b := range f.bookings {
		if b.Status != "cancelled" {
			perDay[parseDay(b.WeddingDate)]++
		}
	}
	var upcoming30, used, wdDates, full, over int64
	for i := range 365 {
		dd := today.AddDate(0, 0, i)
		n := perDay[dd]
		if i <= 30 {
			upcoming30 += int64(n)
		}
		wd := slices.Contains(f.weddingDays, int(dd.Weekday()))
		if wd {
			wdDates++
			used += int64(min(n, f.capacity))
		}
		if n >= f.capacity {
			full++
		}
		if n > f.capacity {
			over++
			o.overbooked = append(o.overbooked, dd.Format("2006-01-02"))
		}
		if wd || n > 0 {
			o.calendar = append(o.calendar, store.CapacityDay{Date: dd.Format("2006-01-02"), Bookings: n, IsWeddingDay: wd})
		}
	}
	s["weddings_today"], s["upcoming_weddings_30d"] = itoa(perDay[today]), i64(upcoming30)
	s["capacity_utilization_12m"] = rounded(100*used, wdDates*int64(f.capacity), 1)
	s["fully_booked_dates_12m"], s["overbooked_dates_12m"] = i64(full), i64(over)

	// Money owed.
	paid := map[int64]map[string]int64{}
	for _, p := range f.payments {
		if p.Booking != 0 {
			if paid[p.Booking] == nil {
				paid[p.Booking] = map[string]int64{}
			}
			paid[p.Booking][p.Currency] += net(p)
		}
	}
	var outstanding int64
	currencyOf := map[int64]string{}
	for _, b := range f.bookings {
		currencyOf[b.ID] = b.Currency
		if b.Status == "cancelled" {
			continue
		}
		due := max(0, b.Contract-paid[b.ID][b.Currency])
		if b.Currency == f.cur {
			outstanding += due
		}
		if between(parseDay(b.WeddingDate), today, today.AddDate(0, 0, 30)) {
			o.upcoming = append(o.upcoming, store.UpcomingWedding{BookingID: b.ID, Date: b.WeddingDate, ClientName: b.Client,
				ContractAmount: b.Contract, BalanceDue: due, Currency: b.Currency})
		}
	}
	sort.SliceStable(o.upcoming, func(i, j int) bool {
		a, b := o.upcoming[i], o.upcoming[j]
		return a.Date < b.Date || a.Date == b.Date && a.BookingID < b.BookingID
	})
	o.upcoming = o.upcoming[:min(len(o.upcoming), store.UpcomingWeddingsMax)]
	var overdue, overdueN, scheduled int64
	nextMonth := civilDay(y, m+1, 1)
	o.committed = make([]int64, 6)
	for h := range 6 {
		o.months = append(o.months, nextMonth.AddDate(0, h, 0).Format("2006-01"))
	}
	foreign := 0
	for _, inv := range f.invoices {
		if currencyOf[inv.Booking] != f.cur {
			foreign++
			continue
		}
		if inv.Status != "open" {
			continue
		}
		due, bal := parseDay(inv.Due), inv.Amount-inv.Paid
		if due.Before(today) {
			overdue += bal
			overdueN++
		}
		if between(due, today, today.AddDate(0, 0, 89)) {
			scheduled += bal
		}
		if h := slices.Index(o.months, due.Format("2006-01")); h >= 0 {
			o.committed[h] += bal
		}
	}
	s["outstanding_balance"], s["overdue_amount"], s["overdue_invoices"], s["scheduled_next_90d"] = i64(outstanding), i64(overdue), i64(overdueN), i64(scheduled)
	for _, p := range f.payments {
		if p.Currency != f.cur {
			foreign++
		}
	}
	for _, b := range f.bookings {
		if b.Currency != f.cur {
			foreign++
		}
	}
	s["foreign_currency_rows"] = itoa(foreign)

	// Satisfaction.
	var nReviews, ratings int64
	for _, r := range f.reviews {
		if between(f.day(r.ReceivedAt), ltm, today) {
			nReviews++
			ratings += int64(r.Rating)
		}
	}
	s["reviews_12m"], s["satisfaction_avg_12m"] = i64(nReviews), ""
	if nReviews > 0 {
		s["satisfaction_avg_12m"] = rounded(ratings, nReviews, 2)
	}

	// The period switch: this month, quarter and year to date and the LTM window, each against
	// the same month and day numbers one year earlier (the LTM's: the 365 dates ending there).
	quarter := civilDay(y, m-(m-1)%3, 1)
	for _, p := range []struct {
		key, label   string
		from, lyFrom time.Time
	}{
		{"mtd", "Month to date", monthStart, lyLo},
		{"qtd", "Quarter to date", quarter, civilDay(y-1, quarter.Month(), 1)},
		{"ytd", "Year to date", civilDay(y, 1, 1), civilDay(y-1, 1, 1)},
		{"ltm", "Last 12 months", ltm, lyHi.AddDate(0, 0, -364)},
	} {
		o.periods = append(o.periods, f.period(p.key, p.label, p.from, today, p.lyFrom, lyHi))
	}

	o.season = f.seasonality(y)
	s["forecast_baseline_mape_12m"], s["forecast_mape_12m"] = backtest(o.history, func(h []int64) int64 { return h[len(h)-12] }),
		backtest(o.history, func(h []int64) int64 { return store.ForecastModel(h, 1) })

	unanswered := 0
	for _, q := range f.inquiries {
		if q.FirstResponse == nil && q.Status != "booked" && q.Status != "lost" && !q.ReceivedAt.After(now.Add(-24*time.Hour)) {
			unanswered++
		}
	}
	s["unanswered_inquiries_24h"] = itoa(unanswered)
	for _, i := range f.integrations {
		if i.Status != "paused" {
			o.fresh = append(o.fresh, store.SourceFreshness{Provider: i.Provider, LastSuccessAt: i.LastSuccessAt, Health: i.Status})
		}
	}
	sort.SliceStable(o.fresh, func(i, j int) bool { return o.fresh[i].Provider < o.fresh[j].Provider })
	return o
}

// period is the figures of one period of the switch: from .. to against lyFrom .. lyTo.
func (f *kpiFixture) period(key, label string, from, to, lyFrom, lyTo time.Time) store.PeriodFigures {
	p := store.PeriodFigures{Key: key, Label: label, From: from.Format("2006-01-02"), To: to.Format("2006-01-02"),
		Revenue: f.revenue(from, to), RevenueLastYear: f.revenue(lyFrom, lyTo)}
	for _, b := range f.bookings {
		if b.Status == "cancelled" {
			continue
		}
		bd := f.day(b.BookedAt)
		if between(bd, from, to) {
			p.Bookings++
			if b.Currency == f.cur {
				p.BookedValue += b.Contract
			}
		}
		if between(bd, lyFrom, lyTo) {
			p.BookingsLastYear++
		}
	}
	for _, q := range f.inquiries {
		qd := f.day(q.ReceivedAt)
		if between(qd, from, to) {
			p.Inquiries++
		}
		if between(qd, lyFrom, lyTo) {
			p.InquiriesLastYear++
		}
	}
	p.RevenueChangePct = pctPtr(p.Revenue, p.RevenueLastYear)
	p.BookingsChangePct = pctPtr(int64(p.Bookings), int64(p.BookingsLastYear))
	p.InquiriesChangePct = pctPtr(int64(p.Inquiries), int64(p.InquiriesLastYear))
	return p
}

func pctPtr(cur, prev int64) *string {
	if prev == 0 {
		return nil
	}
	s := pct(cur, prev)
	return &s
}

// backtest is forecast_mape_12m's definition over the 12 complete months before the last entry.
func backtest(history []int64, forecast func([]int64) int64) string {
	total, n := new(big.Rat), int64(0)
	for i := len(history) - 13; i < len(history)-1; i++ {
		if history[i] == 0 {
			continue
		}
		e := big.NewRat(history[i]-forecast(history[:i]), history[i])
		total.Add(total, e.Abs(e))
		n++
	}
	if n == 0 {
		return ""
	}
	return total.Mul(total, big.NewRat(100, n)).FloatString(1)
}

func (f *kpiFixture) seasonality(year int) []store.MonthIndex {
	earliest := 0
	counts := map[[2]int]int64{}
	for _, b := range f.bookings {
		if b.Status == "cancelled" {
			continue
		}
		wd := parseDay(b.WeddingDate)
		if earliest == 0 || wd.Year() < earliest {
			earliest = wd.Year()
		}
		counts[[2]int{wd.Year(), int(wd.Month())}]++
	}
	var years []int
	for yy := year - 3; yy <= year-1; yy++ {
		if earliest != 0 && yy >= earliest {
			years = append(years, yy)
		}
	}
	means := make([]*big.Rat, 13)
	total := new(big.Rat)
	for mm := 1; mm <= 12; mm++ {
		means[mm] = new(big.Rat)
		for _, yy := range years {
			means[mm].Add(means[mm], big.NewRat(counts[[2]int{yy, mm}], 1))
		}
		if len(years) > 0 {
			means[mm].Quo(means[mm], big.NewRat(int64(len(years)), 1))
		}
		total.Add(total, means[mm])
	}
	if len(years) == 0 || total.Sign() == 0 {
		return nil
	}
	meanOfMeans := total.Quo(total, big.NewRat(12, 1))
	var out []store.MonthIndex
	for mm := 1; mm <= 12; mm++ {
		v := new(big.Rat).Quo(means[mm], meanOfMeans).FloatString(2)
		out = append(out, store.MonthIndex{Month: mm, Index: &v})
	}
	return out
}
