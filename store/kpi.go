package store

import (
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Decimal1 is a decimal rounded half away from zero to one place, carried in its exact text form
// ("-12.5", "33.3", "0.0"). It is an alias of string, so it prints and compares as the data-value.
type Decimal1 = string

// Decimal2 is a decimal rounded half away from zero to two places ("4.50").
type Decimal2 = string

// KPIs is one computed snapshot of every KPI of METRICS.md, plus what the dashboard's "needs you
// today" strip and charts need. It is stored as JSON in kpi_snapshots.data. Money is in minor
// units of Currency; nullable KPIs are pointers (nil = null = data-value "").
type KPIs struct {
	OrgID         int64     `json:"org_id"`
	Currency      string    `json:"currency"`
	Timezone      string    `json:"timezone"`
	Today         string    `json:"today"` // YYYY-MM-DD in Timezone
	ComputedAt    time.Time `json:"computed_at"`
	WeddingDays   []int     `json:"wedding_days"` // PostgreSQL day-of-week numbers, 0 = Sunday
	DailyCapacity int       `json:"daily_capacity"`

	RevenueMTD          int64         `json:"revenue_mtd"`
	RevenueMTDLastYear  int64         `json:"revenue_mtd_last_year"`
	RevenueMTDChangePct *Decimal1     `json:"revenue_mtd_change_pct"`
	RevenueYTD          int64         `json:"revenue_ytd"`
	RevenueLTM          int64         `json:"revenue_ltm"`
	RevenueByMonth      []MonthAmount `json:"revenue_by_month"` // 24 months, oldest first

	BookingsMTD                int           `json:"bookings_mtd"`
	BookingsMTDLastYear        int           `json:"bookings_mtd_last_year"`
	BookingsMTDChangePct       *Decimal1     `json:"bookings_mtd_change_pct"`
	BookedValueLTM             int64         `json:"booked_value_ltm"`
	AvgBookingValueLTM         *int64        `json:"avg_booking_value_ltm"`
	InquiriesMTD               int           `json:"inquiries_mtd"`
	InquiriesMTDLastYear       int           `json:"inquiries_mtd_last_year"`
	ConversionRate90d          *Decimal1     `json:"conversion_rate_90d"`
	ResponseTimeMedianHours90d *Decimal1     `json:"response_time_median_hours_90d"`
	LeadsBySource90d           []SourceLeads `json:"leads_by_source_90d"` // most inquiries first

	WeddingsToday          int       `json:"weddings_today"`
	UpcomingWeddings30d    int       `json:"upcoming_weddings_30d"`
	CapacityUtilization12m *Decimal1 `json:"capacity_utilization_12m"`
	FullyBookedDates12m    int       `json:"fully_booked_dates_12m"` // number of dates
	OverbookedDates12m     int       `json:"overbooked_dates_12m"`   // number of dates

	OutstandingBalance int64 `json:"outstanding_balance"`
	OverdueAmount      int64 `json:"overdue_amount"`
	OverdueInvoices    int   `json:"overdue_invoices"`
	ScheduledNext90d   int64 `json:"scheduled_next_90d"`

	SatisfactionAvg12m *Decimal2 `json:"satisfaction_avg_12m"`
	Reviews12m         int       `json:"reviews_12m"`

	Seasonality             []MonthIndex    `json:"seasonality"`         // 12 (Jan..Dec), or nil when null
	Forecast                []ForecastMonth `json:"forecast_revenue_6m"` // the 6 months after this one
	ForecastMAPE12m         *Decimal1       `json:"forecast_mape_12m"`
	ForecastBaselineMAPE12m *Decimal1       `json:"forecast_baseline_mape_12m"`

	// ForeignCurrencyRows counts, over all time, the payments and bookings whose currency is not
	// the organization's, plus the invoices whose booking's currency is not (inquiries carry an
	// estimate only and enter no money KPI, so they are not counted). Any status counts.
	ForeignCurrencyRows    int               `json:"foreign_currency_rows"`
	SourceFreshness        []SourceFreshness `json:"source_freshness"`
	UnansweredInquiries24h int               `json:"unanswered_inquiries_24h"`
	CapacityCalendar       []CapacityDay     `json:"capacity_calendar"`
	UpcomingWeddings       []UpcomingWedding `json:"upcoming_weddings"` // the soonest UpcomingWeddingsMax
	OverbookedDates        []string          `json:"overbooked_dates"`  // YYYY-MM-DD, ascending
	// CalendarWeddings are wedding events of connected calendars with no booking, next 30 days.
	CalendarWeddings []CalendarWedding `json:"calendar_weddings,omitempty"`
	// CalendarConflicts are the dates where wedding calendar events no booking accounts for
	// push the day over capacity (store/kpi_conflicts.go), ascending.
	CalendarConflicts []CalendarConflict `json:"calendar_conflicts"`
	// Periods are the figures of the dashboard's period switch (store/kpi_periods.go).
	Periods []PeriodFigures `json:"periods"`
}

// MonthAmount is one month of a money series.
type MonthAmount struct {
	Month  string `json:"month"` // YYYY-MM
	Amount int64  `json:"amount"`
}

// SourceLeads is one lead source of the last 90 days.
type SourceLeads struct {
	Source    string `json:"source"`
	Inquiries int    `json:"inquiries"`
	Booked    int    `json:"booked"`
}

// MonthIndex is the seasonality index of one calendar month (1 = January).
type MonthIndex struct {
	Month int       `json:"month"`
	Index *Decimal2 `json:"index"`
}

// ForecastMonth is the revenue forecast of one future month. Committed is the open invoice
// balance due that month; Expected is the model's forecast of all cash collected that month and
// Low..High its 80% band.
type ForecastMonth struct {
	Month     string `json:"month"` // YYYY-MM
	Committed int64  `json:"committed"`
	Expected  int64  `json:"expected"`
	Low       int64  `json:"low"`
	High      int64  `json:"high"`
}

// SourceFreshness is the sync state of one active (not paused) integration.
type SourceFreshness struct {
	Provider      string     `json:"provider"`
	LastSuccessAt *time.Time `json:"last_success_at"`
	Health        string     `json:"health"` // the integration's status
}

// CapacityDay is one local date of the next 365 days. The calendar lists every wedding-day date
// and every other date that has a booking; other dates (no booking, not a wedding day) are left out.
type CapacityDay struct {
	Date         string `json:"date"` // YYYY-MM-DD
	Bookings     int    `json:"bookings"`
	IsWeddingDay bool   `json:"is_wedding_day"`
}

// UpcomingWeddingsMax caps KPIs.UpcomingWeddings: the dashboard lists the soonest weddings of the
// next 30 days, and UpcomingWeddings30d says how many there are in all, so a supplier with
// thousands of weddings a month still gets a snapshot (and a page) of bounded size.
const UpcomingWeddingsMax = 100

// UpcomingWedding is a counting booking whose wedding is in today..today+30.
type UpcomingWedding struct {
	BookingID      int64  `json:"booking_id"`
	Date           string `json:"date"` // YYYY-MM-DD
	ClientName     string `json:"client_name"`
	ContractAmount int64  `json:"contract_amount"`
	BalanceDue     int64  `json:"balance_due"` // max(0, contract - net paid in the booking's currency)
	Currency       string `json:"currency"`
}

// scalarKPINames is the display order of the scalar KPIs.
var scalarKPINames = []string{
	"revenue_mtd", "revenue_mtd_last_year", "revenue_mtd_change_pct", "revenue_ytd", "revenue_ltm",
	"bookings_mtd", "bookings_mtd_last_year", "bookings_mtd_change_pct", "booked_value_ltm",
	"avg_booking_value_ltm", "inquiries_mtd", "inquiries_mtd_last_year", "conversion_rate_90d",
	"response_time_median_hours_90d",
	"weddings_today", "upcoming_weddings_30d", "capacity_utilization_12m", "fully_booked_dates_12m",
	"overbooked_dates_12m",
	"outstanding_balance", "overdue_amount", "overdue_invoices", "scheduled_next_90d",
	"satisfaction_avg_12m", "reviews_12m",
	"forecast_mape_12m", "forecast_baseline_mape_12m",
	"foreign_currency_rows", "computed_at",
}

// ScalarKPINames lists every scalar KPI name of METRICS.md in display order (the series
// revenue_by_month, leads_by_source_90d, seasonality, forecast_revenue_6m and source_freshness
// are not scalars). computed_at is last; its value is RFC 3339 in UTC.
func ScalarKPINames() []string { return append([]string(nil), scalarKPINames...) }

// RawValue returns the METRICS.md data-value of a scalar KPI: integers for money and counts,
// the rounded decimal text for rates, "" for null. ok is false for an unknown name. Besides the
// names of ScalarKPINames it knows unanswered_inquiries_24h.
func (k *KPIs) RawValue(name string) (string, bool) {
	i := func(v int) string { return strconv.Itoa(v) }
	m := func(v int64) string { return strconv.FormatInt(v, 10) }
	switch name {
	case "revenue_mtd":
		return m(k.RevenueMTD), true
	case "revenue_mtd_last_year":
		return m(k.RevenueMTDLastYear), true
	case "revenue_mtd_change_pct":
		return dec(k.RevenueMTDChangePct), true
	case "revenue_ytd":
		return m(k.RevenueYTD), true
	case "revenue_ltm":
		return m(k.RevenueLTM), true
	case "bookings_mtd":
		return i(k.BookingsMTD), true
	case "bookings_mtd_last_year":
		return i(k.BookingsMTDLastYear), true
	case "bookings_mtd_change_pct":
		return dec(k.BookingsMTDChangePct), true
	case "booked_value_ltm":
		return m(k.BookedValueLTM), true
	case "avg_booking_value_ltm":
		if k.AvgBookingValueLTM == nil {
			return "", true
		}
		return m(*k.AvgBookingValueLTM), true
	case "inquiries_mtd":
		return i(k.InquiriesMTD), true
	case "inquiries_mtd_last_year":
		return i(k.InquiriesMTDLastYear), true
	case "conversion_rate_90d":
		return dec(k.ConversionRate90d), true
	case "response_time_median_hours_90d":
		return dec(k.ResponseTimeMedianHours90d), true
	case "weddings_today":
		return i(k.WeddingsToday), true
	case "upcoming_weddings_30d":
		return i(k.UpcomingWeddings30d), true
	case "capacity_utilization_12m":
		return dec(k.CapacityUtilization12m), true
	case "fully_booked_dates_12m":
		return i(k.FullyBookedDates12m), true
	case "overbooked_dates_12m":
		return i(k.OverbookedDates12m), true
	case "outstanding_balance":
		return m(k.OutstandingBalance), true
	case "overdue_amount":
		return m(k.OverdueAmount), true
	case "overdue_invoices":
		return i(k.OverdueInvoices), true
	case "scheduled_next_90d":
		return m(k.ScheduledNext90d), true
	case "satisfaction_avg_12m":
		return dec(k.SatisfactionAvg12m), true
	case "reviews_12m":
		return i(k.Reviews12m), true
	case "forecast_mape_12m":
		return dec(k.ForecastMAPE12m), true
	case "forecast_baseline_mape_12m":
		return dec(k.ForecastBaselineMAPE12m), true
	case "foreign_currency_rows":
		return i(k.ForeignCurrencyRows), true
	case "computed_at":
		return k.ComputedAt.UTC().Format(time.RFC3339), true
	case "unanswered_inquiries_24h":
		return i(k.UnansweredInquiries24h), true
	}
	return "", false
}

func dec(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// roundQuo returns num/den rounded half away from zero to places decimals, in exact decimal
// text. It uses integer arithmetic only, so the rounding is applied once to the exact quotient.
func roundQuo(num, den *big.Int, places int) string {
	if den.Sign() == 0 {
		panic("store: roundQuo by zero")
	}
	n := new(big.Int).Mul(num, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(places)), nil))
	q, r := new(big.Int).QuoRem(n, den, new(big.Int)) // truncated toward zero
	r.Abs(r).Lsh(r, 1)
	if r.Cmp(new(big.Int).Abs(den)) >= 0 {
		if (n.Sign() < 0) != (den.Sign() < 0) {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	neg := q.Sign() < 0
	digits := q.Abs(q).String()
	if places > 0 {
		if len(digits) <= places {
			digits = strings.Repeat("0", places-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-places] + "." + digits[len(digits)-places:]
	}
	if neg {
		digits = "-" + digits
	}
	return digits
}

// roundQuo64 is roundQuo for int64 operands.
func roundQuo64(num, den int64, places int) string {
	return roundQuo(big.NewInt(num), big.NewInt(den), places)
}

// pctChange is (cur - prev) / prev * 100 with one decimal, nil when prev is 0.
func pctChange(cur, prev int64) *Decimal1 {
	if prev == 0 {
		return nil
	}
	num := new(big.Int).Sub(big.NewInt(cur), big.NewInt(prev))
	s := roundQuo(num.Mul(num, big.NewInt(100)), big.NewInt(prev), 1)
	return &s
}

// roundRat rounds x half away from zero to an integer.
func roundRat(x *big.Rat) int64 {
	s := roundQuo(x.Num(), x.Denom(), 0)
	v, _ := strconv.ParseInt(s, 10, 64)
	return v
}
