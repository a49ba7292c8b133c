package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/storetest"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func raw(t *testing.T, k *store.KPIs, name string) string {
	t.Helper()
	v, ok := k.RawValue(name)
	require.True(t, ok, name)
	return v
}

// TestKPIMatchesOracle fills two organizations of one database (New York and Auckland) with
// random records and checks every KPI against the oracle at instants that cross month, year and
// DST boundaries and Feb 29 in each timezone. Sharing the database also proves neither sees the
// other's rows.
func TestKPIMatchesOracle(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ny := newFixture(t, env, "America/New_York", "USD")
	ny.setCapacity([]int{5, 6, 0}, 2)
	nyNows := []time.Time{
		utc("2026-03-01T03:30:00Z"), // Feb 28 22:30 local
		utc("2026-03-01T05:30:00Z"), // Mar 1 00:30 local
		utc("2026-03-08T07:30:00Z"), // the morning clocks spring forward
		utc("2026-04-01T03:59:00Z"), // Mar 31 23:59 local: the last minute of a quarter
		utc("2026-04-01T04:00:00Z"), // Apr 1 00:00 local: the first of the next
		utc("2026-06-15T16:00:00Z"),
		utc("2026-11-01T06:30:00Z"), // the night clocks fall back
		utc("2027-01-01T04:59:59Z"), // Dec 31 23:59:59 local
		utc("2027-01-01T05:00:00Z"), // Jan 1 00:00 local
		utc("2028-02-29T15:00:00Z"), // Feb 29
		utc("2028-03-01T15:00:00Z"),
		utc("2029-02-28T15:00:00Z"), // last year's window ends Feb 28, not 29
	}
	ny.randomFill(11, nyNows)

	akl := newFixture(t, env, "Pacific/Auckland", "NZD")
	akl.setCapacity([]int{6}, 1)
	aklNows := []time.Time{
		utc("2026-12-31T10:30:00Z"), // Dec 31 23:30 local
		utc("2026-12-31T11:30:00Z"), // Jan 1 2027 00:30 local
		utc("2026-04-04T14:30:00Z"), // the night clocks fall back
		utc("2026-09-26T14:30:00Z"), // the night clocks spring forward
		utc("2026-09-30T10:30:00Z"), // Sep 30 23:30 local: the end of a quarter
		utc("2026-09-30T11:30:00Z"), // Oct 1 00:30 local
		utc("2027-02-28T11:30:00Z"), // Mar 1 00:30 local
		utc("2028-02-29T10:30:00Z"), // Feb 29 23:30 local
		utc("2028-02-29T11:30:00Z"), // Mar 1 00:30 local
	}
	akl.randomFill(23, aklNows)

	for _, now := range nyNows {
		ny.check(now)
	}
	for _, now := range aklNows {
		akl.check(now)
	}
	k := ny.check(utc("2026-06-15T16:00:00Z"))
	require.Positive(t, k.ForeignCurrencyRows)
	require.NotEmpty(t, k.LeadsBySource90d)
	require.Len(t, k.Seasonality, 12)
}

func TestKPIPaymentCountsOnItsLocalDate(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	f := newFixture(t, env, "America/New_York", "USD")
	f.pay(fxPayment{Amount: 5000, PaidAt: utc("2026-03-01T03:30:00Z")}) // Feb 28, 22:30 in New York
	f.pay(fxPayment{Amount: 700, PaidAt: utc("2026-03-01T05:00:00Z")})  // Mar 1, 00:00 in New York

	k := f.check(utc("2026-03-01T04:00:00Z"))
	require.Equal(t, "2026-02-28", k.Today)
	require.Equal(t, "5000", raw(t, k, "revenue_mtd"))

	k = f.check(utc("2026-03-01T06:00:00Z"))
	require.Equal(t, "2026-03-01", k.Today)
	require.Equal(t, "700", raw(t, k, "revenue_mtd"))
	require.Equal(t, "5700", raw(t, k, "revenue_ytd"))
	require.Equal(t, store.MonthAmount{Month: "2026-02", Amount: 5000}, k.RevenueByMonth[22])
	require.Equal(t, store.MonthAmount{Month: "2026-03", Amount: 700}, k.RevenueByMonth[23])
	require.Equal(t, "2024-04", k.RevenueByMonth[0].Month)

	// The same instants in Auckland are both on Mar 1 afternoon.
	g := newFixture(t, env, "Pacific/Auckland", "NZD")
	g.pay(fxPayment{Amount: 5000, PaidAt: utc("2026-03-01T03:30:00Z")})
	k = g.check(utc("2026-03-01T04:00:00Z"))
	require.Equal(t, "2026-03-01", k.Today)
	require.Equal(t, "5000", raw(t, k, "revenue_mtd"))
}

func TestKPIRefundsStatusesAndForeignCurrency(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	f := newFixture(t, env, "America/New_York", "USD")
	now := f.local(2026, 6, 20, 12, 0)
	june := f.local(2026, 6, 10, 9, 0)
	b := f.book(fxBooking{Client: "Ada & Bo", WeddingDate: "2026-07-04", BookedAt: f.local(2026, 1, 5, 10, 0), Contract: 50_000})
	f.book(fxBooking{WeddingDate: "2026-07-11", BookedAt: f.local(2026, 1, 6, 10, 0), Status: "cancelled", Contract: 99_999})
	eur := f.book(fxBooking{WeddingDate: "2026-07-18", BookedAt: f.local(2026, 1, 7, 10, 0), Contract: 40_000, Currency: "EUR"})
	f.pay(fxPayment{Booking: b, Amount: 10_000, PaidAt: june})
	f.pay(fxPayment{Booking: b, Amount: 10_000, Refunded: 2_500, Status: "partially_refunded", PaidAt: june})
	f.pay(fxPayment{Amount: 5_000, Refunded: 5_000, Status: "refunded", PaidAt: june})
	f.pay(fxPayment{Booking: b, Amount: 7_000, Status: "pending", PaidAt: june})
	f.pay(fxPayment{Booking: b, Amount: 3_000, Status: "failed", PaidAt: june})
	f.pay(fxPayment{Booking: b, Amount: 9_999, Currency: "EUR", PaidAt: june})
	f.pay(fxPayment{Booking: eur, Amount: 1_000, Currency: "EUR", PaidAt: june})
	// Paid in May and partly refunded later: the refund reduces May.
	f.pay(fxPayment{Amount: 8_000, Refunded: 3_000, Status: "partially_refunded", PaidAt: f.local(2026, 5, 31, 23, 30)})
	f.invoice(fxInvoice{Booking: b, Due: "2026-06-01", Amount: 20_000, Paid: 5_000})                // overdue
	f.invoice(fxInvoice{Booking: b, Due: "2026-06-20", Amount: 10_000})                             // due today: scheduled
	f.invoice(fxInvoice{Booking: b, Due: "2026-09-17", Amount: 4_000})                              // today+89
	f.invoice(fxInvoice{Booking: b, Due: "2026-09-18", Amount: 8_000})                              // today+90
	f.invoice(fxInvoice{Booking: b, Due: "2026-05-01", Amount: 6_000, Status: "paid", Paid: 6_000}) // not open
	f.invoice(fxInvoice{Booking: eur, Due: "2026-06-01", Amount: 30_000})                           // foreign

	k := f.check(now)
	require.Equal(t, "17500", raw(t, k, "revenue_mtd")) // 10000 + 7500 + 0 (refunded) + 0 (pending, failed)
	require.Equal(t, int64(5_000), k.RevenueByMonth[22].Amount)
	require.Equal(t, "22500", raw(t, k, "revenue_ltm"))
	require.Equal(t, "4", raw(t, k, "foreign_currency_rows"))   // two EUR payments, the EUR booking and its invoice
	require.Equal(t, "32500", raw(t, k, "outstanding_balance")) // 50000 - 17500; EUR and cancelled left out
	require.Equal(t, "15000", raw(t, k, "overdue_amount"))
	require.Equal(t, "1", raw(t, k, "overdue_invoices"))
	require.Equal(t, "14000", raw(t, k, "scheduled_next_90d"))
	require.Equal(t, []store.UpcomingWedding{
		{BookingID: b, Date: "2026-07-04", ClientName: "Ada & Bo", ContractAmount: 50_000, BalanceDue: 32_500, Currency: "USD"},
		{BookingID: eur, Date: "2026-07-18", ClientName: "Booking 3", ContractAmount: 40_000, BalanceDue: 39_000, Currency: "EUR"},
	}, k.UpcomingWeddings)
	require.Equal(t, int64(4_000+8_000), k.Forecast[2].Committed) // September
}

func TestKPISameWindowLastYearAndFeb29(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	f := newFixture(t, env, "America/New_York", "USD")
	for _, p := range []struct {
		y      int
		m      time.Month
		d      int
		amount int64
	}{{2027, 2, 1, 20}, {2027, 2, 28, 300}, {2027, 3, 1, 50}, {2028, 2, 1, 7}, {2028, 2, 29, 1000}, {2028, 3, 1, 5}, {2029, 2, 28, 11}} {
		f.pay(fxPayment{Amount: p.amount, PaidAt: f.local(p.y, p.m, p.d, 12, 0)})
	}
	f.book(fxBooking{WeddingDate: "2029-06-01", BookedAt: f.local(2027, 2, 28, 9, 0), Contract: 1})
	f.book(fxBooking{WeddingDate: "2029-06-02", BookedAt: f.local(2028, 2, 29, 9, 0), Contract: 1})
	f.book(fxBooking{WeddingDate: "2029-06-03", BookedAt: f.local(2028, 2, 29, 23, 59), Contract: 1})
	f.book(fxBooking{WeddingDate: "2029-06-04", BookedAt: f.local(2028, 2, 28, 10, 0), Contract: 1})
	f.book(fxBooking{WeddingDate: "2029-06-05", BookedAt: f.local(2027, 3, 2, 0, 0), Contract: 1000})                       // first instant of the LTM of 2028-02-29
	f.book(fxBooking{WeddingDate: "2029-06-06", BookedAt: f.local(2027, 3, 2, 0, 0).Add(-time.Microsecond), Contract: 500}) // the last before it

	cases := []struct {
		now                          time.Time
		mtd, ly, pct, ltm, bk, value string
	}{
		{f.local(2028, 2, 29, 12, 0), "1007", "320", "214.7", "1007", "200.0", "1003"}, // LTM starts 2027-03-02
		{f.local(2028, 3, 1, 12, 0), "5", "50", "-90.0", "1012", "-100.0", "3"},
		{f.local(2029, 2, 28, 12, 0), "11", "7", "57.1", "16", "-100.0", "0"}, // last year's Feb 29 is left out
		{f.local(2027, 2, 28, 12, 0), "320", "0", "", "320", "", "1"},
	}
	for _, c := range cases {
		k := f.check(c.now)
		require.Equal(t, c.mtd, raw(t, k, "revenue_mtd"), c.now)
		require.Equal(t, c.ly, raw(t, k, "revenue_mtd_last_year"), c.now)
		require.Equal(t, c.pct, raw(t, k, "revenue_mtd_change_pct"), c.now)
		require.Equal(t, c.ltm, raw(t, k, "revenue_ltm"), c.now)
		require.Equal(t, c.bk, raw(t, k, "bookings_mtd_change_pct"), c.now)
		require.Equal(t, c.value, raw(t, k, "booked_value_ltm"), c.now)
	}
}

func TestKPIRoundingHalfAwayFromZero(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	f := newFixture(t, env, "America/New_York", "USD")
	now := f.local(2026, 6, 20, 12, 0)
	f.pay(fxPayment{Amount: 40_000, PaidAt: f.local(2025, 6, 20, 23, 59)})
	f.pay(fxPayment{Amount: 35_100, PaidAt: f.local(2026, 6, 1, 0, 0)}) // (35100-40000)/40000 = -12.25%
	f.book(fxBooking{WeddingDate: "2027-05-01", BookedAt: f.local(2026, 6, 2, 10, 0), Contract: 1000})
	f.book(fxBooking{WeddingDate: "2027-05-02", BookedAt: f.local(2026, 6, 3, 10, 0), Contract: 1001}) // mean 1000.5
	for i, h := range []float64{1, 2.25, 5} {
		at := f.local(2026, 6, 10+i, 9, 0)
		resp := at.Add(time.Duration(h * float64(time.Hour)))
		status := "contacted"
		if i == 0 {
			status = "booked"
		}
		f.inquire(fxInquiry{ReceivedAt: at, FirstResponse: &resp, Status: status})
	}
	for _, r := range []int{5, 5, 5, 4, 4, 4, 3, 3} { // 33/8 = 4.125
		f.review(fxReview{Rating: r, ReceivedAt: f.local(2026, 6, 1, 8, 0)})
	}
	for _, r := range []int{5, 4} {
		f.review(fxReview{Rating: r, ReceivedAt: f.local(2025, 5, 1, 8, 0)})
	}
	k := f.check(now)
	require.Equal(t, "-12.3", raw(t, k, "revenue_mtd_change_pct"))
	require.Equal(t, "1001", raw(t, k, "avg_booking_value_ltm"))
	require.Equal(t, "33.3", raw(t, k, "conversion_rate_90d"))
	require.Equal(t, "2.3", raw(t, k, "response_time_median_hours_90d"))
	require.Equal(t, "4.13", raw(t, k, "satisfaction_avg_12m"))
	require.Equal(t, "2", raw(t, k, "bookings_mtd"))
	require.Equal(t, "", raw(t, k, "bookings_mtd_change_pct"))

	k = f.check(f.local(2025, 6, 1, 12, 0))
	require.Equal(t, "4.50", raw(t, k, "satisfaction_avg_12m"))
	require.Equal(t, "", raw(t, k, "conversion_rate_90d"))
	require.Equal(t, "", raw(t, k, "avg_booking_value_ltm"))
}

func TestKPIResponseMedianOddAndEven(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	f := newFixture(t, env, "America/New_York", "USD")
	answer := func(at time.Time, minutes int) {
		r := at.Add(time.Duration(minutes) * time.Minute)
		f.inquire(fxInquiry{ReceivedAt: at, FirstResponse: &r, Status: "booked"})
	}
	for i, m := range []int{60, 420, 150, 120} {
		answer(f.local(2026, 6, 1+i, 9, 0), m)
	}
	f.inquire(fxInquiry{ReceivedAt: f.local(2026, 6, 2, 9, 0)}) // no response: not in the median
	answer(f.local(2026, 3, 7, 0, 0), 10_000)                   // today-89 of Jun 4 at 00:00: inside
	answer(f.local(2026, 3, 6, 23, 59), 1)                      // today-90 of Jun 4: outside
	answer(f.local(2026, 6, 10, 9, 0), 30)

	// Jun 4: 60, 120, 150, 420, 10000 minutes: odd, the middle one is 150 minutes.
	k := f.check(f.local(2026, 6, 4, 12, 0))
	require.Equal(t, "2.5", raw(t, k, "response_time_median_hours_90d"))
	require.Equal(t, "83.3", raw(t, k, "conversion_rate_90d")) // 5 of 6 booked
	// Jun 5 (window from Mar 8): 60, 120, 150, 420: even, (120 + 150) / 2 = 135 minutes = 2.25 h.
	k = f.check(f.local(2026, 6, 5, 12, 0))
	require.Equal(t, "2.3", raw(t, k, "response_time_median_hours_90d"))
	require.Equal(t, "80.0", raw(t, k, "conversion_rate_90d"))
	// Jun 12: 30, 60, 120, 150, 420: odd again, 120 minutes.
	k = f.check(f.local(2026, 6, 12, 12, 0))
	require.Equal(t, "2.0", raw(t, k, "response_time_median_hours_90d"))
}

func TestKPICapacityAndOverbooking(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	f := newFixture(t, env, "America/New_York", "USD")
	f.setCapacity([]int{6}, 2) // Saturdays, two weddings a day
	at := f.local(2026, 1, 2, 9, 0)
	for _, d := range []string{"2026-06-20", "2026-06-20", "2026-06-20", "2026-06-27", "2026-06-27", "2026-06-28",
		"2027-06-19", "2027-06-20", "2027-06-20", "2027-06-20", "2026-06-19", "2026-06-19", "2026-06-19"} {
		f.book(fxBooking{WeddingDate: d, BookedAt: at, Contract: 100})
	}
	f.book(fxBooking{WeddingDate: "2026-06-27", BookedAt: at, Contract: 100, Status: "cancelled"})
	f.book(fxBooking{WeddingDate: "2026-07-04", BookedAt: at, Contract: 100, Currency: "EUR"})

	k := f.check(f.local(2026, 6, 20, 12, 0)) // a Saturday; today+364 = 2027-06-19
	require.Equal(t, "3", raw(t, k, "weddings_today"))
	require.Equal(t, "7", raw(t, k, "upcoming_weddings_30d"))
	require.Equal(t, "5.7", raw(t, k, "capacity_utilization_12m")) // (2+2+1+1) / (53 × 2)
	require.Equal(t, "2", raw(t, k, "fully_booked_dates_12m"))
	require.Equal(t, "1", raw(t, k, "overbooked_dates_12m"))
	require.Equal(t, []string{"2026-06-20"}, k.OverbookedDates)
	require.Len(t, k.CapacityCalendar, 54) // 53 Saturdays and the Sunday with a booking
	require.Contains(t, k.CapacityCalendar, store.CapacityDay{Date: "2026-06-28", Bookings: 1})
	require.Len(t, k.UpcomingWeddings, 7)
}

// TestKPIUpcomingWeddingsAreCapped: a supplier with more weddings in the next 30 days than the
// dashboard lists gets the soonest ones, and the count of all of them.
func TestKPIUpcomingWeddingsAreCapped(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	f := newFixture(t, env, "America/New_York", "USD")
	f.setCapacity([]int{5, 6, 0}, 100)
	at := f.local(2026, 1, 2, 9, 0)
	for i := range store.UpcomingWeddingsMax + 20 {
		f.book(fxBooking{WeddingDate: fmt.Sprintf("2026-06-%02d", 30-i%10), BookedAt: at, Contract: 100})
	}
	k := f.check(f.local(2026, 6, 20, 12, 0))
	require.Len(t, k.UpcomingWeddings, store.UpcomingWeddingsMax)
	require.Equal(t, store.UpcomingWeddingsMax+20, k.UpcomingWeddings30d)
	require.Equal(t, "2026-06-21", k.UpcomingWeddings[0].Date)
	require.Equal(t, "2026-06-29", k.UpcomingWeddings[len(k.UpcomingWeddings)-1].Date) // 12 a day from the 21st
}

func TestKPISeasonalityUsesCompleteYearsSinceTheFirstWedding(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	f := newFixture(t, env, "America/New_York", "USD")
	at := f.local(2023, 1, 2, 9, 0)
	f.book(fxBooking{WeddingDate: "2023-05-06", BookedAt: at, Status: "cancelled"})
	for _, d := range []string{"2024-03-10", "2024-06-01", "2024-06-08", "2024-09-07", "2025-06-14", "2025-01-04", "2025-01-11",
		"2026-06-06", "2026-06-13"} {
		f.book(fxBooking{WeddingDate: d, BookedAt: at, Contract: 100})
	}
	k := f.check(f.local(2026, 6, 20, 12, 0)) // years 2024 and 2025: Jan 2, Mar 1, Jun 3, Sep 1 of 7
	want := map[int]string{1: "3.43", 3: "1.71", 6: "5.14", 9: "1.71"}
	require.Len(t, k.Seasonality, 12)
	for _, mi := range k.Seasonality {
		w, ok := want[mi.Month]
		if !ok {
			w = "0.00"
		}
		require.Equal(t, w, *mi.Index, "month %d", mi.Month)
	}
	require.Nil(t, f.check(f.local(2024, 12, 31, 12, 0)).Seasonality) // 2021..2023 are all before 2024
	require.Nil(t, f.check(f.local(2030, 6, 1, 12, 0)).Seasonality)   // 2027..2029 have no weddings
}

func TestKPIEmptyOrganization(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	f := newFixture(t, env, "Pacific/Auckland", "NZD")
	k := f.check(utc("2026-06-01T00:00:00Z"))
	for _, name := range []string{"revenue_mtd_change_pct", "avg_booking_value_ltm", "conversion_rate_90d",
		"response_time_median_hours_90d", "satisfaction_avg_12m", "forecast_mape_12m", "forecast_baseline_mape_12m"} {
		require.Equal(t, "", raw(t, k, name), name)
	}
	require.Equal(t, "0.0", raw(t, k, "capacity_utilization_12m"))
	require.Nil(t, k.Seasonality)
	require.Len(t, k.RevenueByMonth, 24)
	require.Equal(t, "2026-06", k.RevenueByMonth[23].Month)

	data, err := json.Marshal(k)
	require.NoError(t, err)
	var back store.KPIs
	require.NoError(t, json.Unmarshal(data, &back))
	require.True(t, k.ComputedAt.Equal(back.ComputedAt))
	back.ComputedAt = k.ComputedAt
	require.Equal(t, *k, back)

	_, err = env.DB.ComputeKPIs(context.Background(), 0, time.Now())
	require.Error(t, err)
}

func TestKPIRawValueNames(t *testing.T) {
	t.Parallel()
	k := &store.KPIs{RevenueMTD: 123456}
	names := store.ScalarKPINames()
	require.Len(t, names, 29)
	seen := map[string]bool{}
	for _, n := range names {
		require.False(t, seen[n], "duplicate %s", n)
		seen[n] = true
		_, ok := k.RawValue(n)
		require.True(t, ok, n)
	}
	v, _ := k.RawValue("revenue_mtd")
	require.Equal(t, "123456", v)
	_, ok := k.RawValue("revenue_by_month")
	require.False(t, ok)
	names[0] = "changed"
	require.Equal(t, "revenue_mtd", store.ScalarKPINames()[0])
}

// TestKPIForecastBeatsBaselineOnSeasonalHistory stores five years of growing, seasonal,
// noisy payments and checks the dashboard's two backtests.
func TestKPIForecastBeatsBaselineOnSeasonalHistory(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	f := newFixture(t, env, "Europe/London", "GBP")
	rng := rand.New(rand.NewPCG(5, 5))
	for i := range 61 { // 2021-05 .. 2026-05
		month := time.Date(2021, time.Month(5+i), 1, 0, 0, 0, 0, time.UTC)
		level := 2_000_000 * math.Pow(1.15, float64(i)/12) * weddingSeason[month.Month()-1] * (0.85 + 0.3*rng.Float64())
		for j := range 3 {
			f.pay(fxPayment{Amount: int64(level / 3), PaidAt: f.local(month.Year(), month.Month(), 1+9*j+rng.IntN(9), rng.IntN(24), 0)})
		}
	}
	k := f.check(f.local(2026, 6, 3, 12, 0))
	require.Negative(t, ratOf(t, k.ForecastMAPE12m).Cmp(ratOf(t, k.ForecastBaselineMAPE12m)),
		"model %s%% vs seasonal-naive %s%%", *k.ForecastMAPE12m, *k.ForecastBaselineMAPE12m)
	require.True(t, slices.ContainsFunc(k.Forecast, func(m store.ForecastMonth) bool { return m.High > m.Low }))
}

func TestKPIUnansweredInquiries24h(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	f := newFixture(t, env, "America/New_York", "USD")
	now := utc("2026-06-20T16:00:00Z")
	answered := now.Add(-47 * time.Hour)
	f.inquire(fxInquiry{ReceivedAt: now.Add(-24 * time.Hour)})                            // exactly 24 h: counts
	f.inquire(fxInquiry{ReceivedAt: now.Add(-24*time.Hour + time.Microsecond)})           // not yet
	f.inquire(fxInquiry{ReceivedAt: now.Add(-30 * 24 * time.Hour), Status: "proposal"})   // old and open: counts
	f.inquire(fxInquiry{ReceivedAt: now.Add(-48 * time.Hour), Status: "booked"})          // booked
	f.inquire(fxInquiry{ReceivedAt: now.Add(-48 * time.Hour), Status: "lost"})            // lost
	f.inquire(fxInquiry{ReceivedAt: now.Add(-48 * time.Hour), FirstResponse: &answered})  // answered
	f.inquire(fxInquiry{ReceivedAt: now.Add(-400 * 24 * time.Hour), Status: "contacted"}) // very old: counts
	k := f.check(now)
	require.Equal(t, 3, k.UnansweredInquiries24h)
	require.Equal(t, "3", raw(t, k, "unanswered_inquiries_24h"))
}

// TestKPIPeriodWindows checks the windows of the period switch by hand: each record sits on the
// first or last instant of a window, and the amounts are powers of ten, so each sum spells out
// which records it holds.
func TestKPIPeriodWindows(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	f := newFixture(t, env, "America/New_York", "USD")
	for _, p := range []struct {
		at     time.Time
		amount int64
	}{
		{f.local(2026, 2, 28, 12, 0), 1},          // in no window
		{f.local(2026, 3, 1, 0, 0), 10},           // the first day of last year's LTM
		{f.local(2027, 1, 1, 0, 0), 100},          // last year's quarter and year
		{f.local(2027, 2, 28, 23, 59), 1000},      // the last day of every window last year
		{f.local(2027, 3, 1, 12, 0), 10000},       // between last year's LTM and this one
		{f.local(2027, 3, 2, 0, 0), 100_000},      // the first day of the LTM
		{f.local(2027, 12, 31, 23, 59), 1000_000}, // LTM only
		{f.local(2028, 1, 1, 0, 0), 10_000_000},   // quarter, year and LTM
		{f.local(2028, 2, 29, 12, 0), 100_000_000},
	} {
		f.pay(fxPayment{Amount: p.amount, PaidAt: p.at})
	}
	k := f.check(f.local(2028, 2, 29, 12, 0))
	type rev struct {
		from        string
		now, before int64
	}
	want := map[string]rev{"mtd": {"2028-02-01", 100_000_000, 1000}, "qtd": {"2028-01-01", 110_000_000, 1100},
		"ytd": {"2028-01-01", 110_000_000, 1100}, "ltm": {"2027-03-02", 111_100_000, 1110}}
	require.Len(t, k.Periods, 4)
	for i, p := range k.Periods {
		require.Equal(t, store.PeriodKeys[i], p.Key)
		w := want[p.Key]
		require.Equal(t, w, rev{p.From, p.Revenue, p.RevenueLastYear}, p.Key)
		require.Equal(t, "2028-02-29", p.To)
	}
	require.Equal(t, "Quarter to date", k.Periods[1].Label)
	require.Equal(t, "9999900.0", *k.Periods[0].RevenueChangePct)

	g := newFixture(t, env, "America/New_York", "USD")
	for _, b := range []fxBooking{
		{BookedAt: g.local(2025, 5, 15, 23, 59), Contract: 1},                         // last year's windows
		{BookedAt: g.local(2025, 5, 16, 0, 0), Contract: 10},                          // the first day of the LTM
		{BookedAt: g.local(2026, 3, 31, 23, 59), Contract: 100},                       // year, not quarter
		{BookedAt: g.local(2026, 4, 1, 0, 0), Contract: 1000},                         // quarter
		{BookedAt: g.local(2026, 5, 15, 8, 0), Contract: 10_000, Currency: "EUR"},     // counted, no value
		{BookedAt: g.local(2026, 5, 2, 8, 0), Contract: 100_000, Status: "cancelled"}, // not counted
		{BookedAt: g.local(2024, 5, 16, 0, 0), Contract: 1000_000},                    // the first day of last year's LTM
	} {
		b.WeddingDate = "2027-06-05"
		g.book(b)
	}
	for _, at := range []time.Time{g.local(2025, 4, 1, 0, 0), g.local(2026, 4, 1, 0, 0), g.local(2026, 1, 1, 0, 0), g.local(2025, 12, 31, 23, 59)} {
		g.inquire(fxInquiry{ReceivedAt: at})
	}
	k = g.check(g.local(2026, 5, 15, 9, 0))
	type pipe struct {
		from                 string
		bookings, before     int
		value                int64
		bookingsPct          string
		inquiries, inqBefore int
		inquiriesPct         string
	}
	pipes := map[string]pipe{
		"mtd": {"2026-05-01", 1, 1, 0, "0.0", 0, 0, ""},
		"qtd": {"2026-04-01", 2, 1, 1000, "100.0", 1, 1, "0.0"},
		"ytd": {"2026-01-01", 3, 1, 1100, "200.0", 2, 1, "100.0"},
		"ltm": {"2025-05-16", 4, 2, 1110, "100.0", 3, 1, "200.0"},
	}
	for _, p := range k.Periods {
		got := pipe{p.From, p.Bookings, p.BookingsLastYear, p.BookedValue, dec(p.BookingsChangePct),
			p.Inquiries, p.InquiriesLastYear, dec(p.InquiriesChangePct)}
		require.Equal(t, pipes[p.Key], got, p.Key)
	}
}

func dec(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
