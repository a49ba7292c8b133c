package views

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store"
)

func TestNiceTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		n      int
		want   []float64
	}{
		{0, 12345, 5, []float64{0, 2500, 5000, 7500, 10000, 12500}},
		{0, 12345, 4, []float64{0, 5000, 10000, 15000}},
		{0, 100, 4, []float64{0, 25, 50, 75, 100}},
		{0, 1.73, 3, []float64{0, 1, 2}},
		{0, 1.5, 3, []float64{0, 0.5, 1, 1.5}},
		{0, 0.3, 3, []float64{0, 0.1, 0.2, 0.3}}, // no 0.30000000000000004
		{-30, 70, 4, []float64{-50, -25, 0, 25, 50, 75}},
		{0, 0, 4, []float64{0, 0.25, 0.5, 0.75, 1}}, // an empty range still makes an axis
		{5, 5, 4, []float64{0, 2, 4, 6}},            // a single value grows to include zero
		{100, 0, 4, []float64{0, 25, 50, 75, 100}},  // reversed bounds
		{0, 1, 0, []float64{0, 1}},
	} {
		require.Equal(t, tc.want, niceTicks(tc.lo, tc.hi, tc.n), "%v..%v in %d", tc.lo, tc.hi, tc.n)
	}
}

func TestNiceStep(t *testing.T) {
	for raw, want := range map[float64]float64{
		1: 1, 1.2: 2, 2: 2, 2.1: 2.5, 3: 5, 5: 5, 5.01: 10, 0.07: 0.1, 2469: 2500, 30000: 50000, 0: 1, -3: 1,
	} {
		require.InDelta(t, want, niceStep(raw), 1e-12, "niceStep(%v)", raw)
	}
}

func TestMoneyTicks(t *testing.T) {
	require.Equal(t, []int64{0, 5_000_00, 10_000_00, 15_000_00, 20_000_00}, moneyTicks(19_611_00, 4, "USD"))
	require.Equal(t, []int64{0, 25_000, 50_000, 75_000}, moneyTicks(61_000, 3, "JPY"))
	require.Equal(t, []int64{0, 100, 200, 300, 400}, moneyTicks(0, 4, "USD"), "no revenue: $0..$4, whole dollars")
	require.Equal(t, []int64{0, 100, 200, 300, 400}, moneyTicks(-5, 4, "USD"))
	require.Equal(t, []int64{0, 250_00, 500_00, 750_00, 1_000_00}, moneyTicks(990_00, 4, "USD"))
}

func TestScales(t *testing.T) {
	y := linearScale{0, 200, 220, 20}
	require.Equal(t, 220.0, y.at(0))
	require.Equal(t, 20.0, y.at(200))
	require.Equal(t, 120.0, y.at(100))
	require.Equal(t, 5.0, linearScale{3, 3, 5, 9}.at(3), "a zero-width domain maps to the range start")

	b := bandScale{n: 4, r0: 0, r1: 100, padInner: 0, padOuter: 0}
	require.Equal(t, 25.0, b.step())
	require.Equal(t, 25.0, b.width())
	require.Equal(t, 50.0, b.start(2))
	require.Equal(t, 62.5, b.mid(2))
	p := bandScale{n: 2, r0: 10, r1: 110, padInner: 0.5, padOuter: 0.25}
	require.InDelta(t, 50, p.step(), 1e-9) // 100 / (2 - 0.5 + 0.5)
	require.InDelta(t, 25, p.width(), 1e-9)
	require.InDelta(t, 22.5, p.start(0), 1e-9)
	require.InDelta(t, 110-12.5, p.start(1)+p.width(), 1e-9, "outer padding on both ends")
	require.Zero(t, bandScale{}.step())
}

func TestPaths(t *testing.T) {
	require.Equal(t, "M10 100V22q0-2 2-2h6q2 0 2 2V100z", barPath(10, 10, 100, 20, 2), "rounded top of an upward bar")
	require.Equal(t, "M10 50V78q0 2 2 2h6q2 0 2-2V50z", barPath(10, 10, 50, 80, 2), "rounded bottom of a downward bar")
	require.Equal(t, "M0 10V10q0-1 1-1h2q1 0 1 1V10z", barPath(0, 4, 10, 9, 2), "the radius shrinks to the height")
	require.Equal(t, "M5 80V20h10V80z", barPath(5, 10, 80, 20, 0), "square corners")
	require.Equal(t, "M5 30V20h10V30zM20 30V25h3V30z", seriesPaths([]chartBar{{barPath(5, 10, 30, 20, 0), "a"}, {"", "a"},
		{barPath(0, 4, 10, 9, 2), "b"}, {barPath(20, 3, 30, 25, 0), "a"}})[0].D, "one path per class")
	require.Empty(t, barPath(0, 4, 10, 10, 2), "no zero-height bar")
	require.Empty(t, barPath(0, 0, 10, 0, 2), "no zero-width bar")
	require.Equal(t, "M0 10L5 8.5L10 2", linePath([]float64{0, 5, 10}, []float64{10, 8.46, 2}))
	require.Empty(t, linePath([]float64{1}, []float64{1}))
	require.Equal(t, "M3 30h4q3 0 3 3v8q0 3-3 3h-4q-3 0-3-3v-8q0-3 3-3z", hBarPath(30, 10))
}

func TestNum(t *testing.T) {
	for in, want := range map[float64]string{0: "0", -0.01: "0", 12: "12", 12.25: "12.3", 12.04: "12", -3.56: "-3.6", 1e6: "1000000"} {
		require.Equal(t, want, num(in), "num(%v)", in)
	}
}

func TestCompactMoney(t *testing.T) {
	for _, tc := range []struct {
		minor int64
		code  string
		want  string
	}{
		{0, "USD", "$0"}, {950_00, "USD", "$950"}, {999_60, "USD", "$1k"}, {2_500_00, "USD", "$2.5k"},
		{9_960_00, "USD", "$10k"}, {12_345_00, "USD", "$12k"}, {950_000_00, "USD", "$950k"},
		{999_600_00, "USD", "$1M"}, {1_250_000_00, "USD", "$1.3M"}, {-5_000_00, "USD", "-$5k"},
		{12_000, "JPY", "¥12k"}, {12_000_00, "EUR", "€12k"}, {12_000_00, "CHF", "12k CHF"},
	} {
		require.Equal(t, tc.want, compactMoney(tc.minor, tc.code), "%d %s", tc.minor, tc.code)
	}
}

func TestChangeAndPercent(t *testing.T) {
	require.Equal(t, change{"▲", "+12.5%", "up"}, changeOf("12.5"))
	require.Equal(t, change{"▼", "-8.0%", "down"}, changeOf("-8.0"))
	require.Equal(t, change{"–", "0.0%", "flat"}, changeOf("0.0"))
	require.Equal(t, change{"–", "0.0%", "flat"}, changeOf("-0.0"))

	require.Nil(t, pctChange(5, 0))
	require.Equal(t, "12.5", *pctChange(1125, 1000))
	require.Equal(t, "-66.7", *pctChange(1, 3)) // -66.66… rounds away from zero
	require.Equal(t, "33.5", *pctChange(1335, 1000))
	require.Equal(t, "0.1", *pctChange(10005, 10000)) // exactly 0.05: half away from zero
	require.Equal(t, "-0.1", *pctChange(9995, 10000))
	require.Equal(t, "0.0", *pctChange(100000, 100001)) // -0.000999… is "0.0", not "-0.0"
	require.Equal(t, "33.3", pctOf(1, 3))
	require.Equal(t, "66.7", pctOf(2, 3))
	require.Equal(t, "", pctOf(1, 0))
	require.Equal(t, "0.1", roundedTenths(50, 100)) // half a tenth rounds away from zero
	require.Equal(t, "-0.1", roundedTenths(-50, 100))
	require.Equal(t, "0.0", roundedTenths(-49, 100))
}

func TestFormatHelpers(t *testing.T) {
	require.Equal(t, "1,234,567", fmtCount(1234567))
	require.Equal(t, "-1,000", fmtCount(-1000))
	w, f := splitFraction("$1,234.56")
	require.Equal(t, []string{"$1,234", ".56"}, []string{w, f})
	w, f = splitFraction("1,234.56 CHF")
	require.Equal(t, []string{"1,234", ".56 CHF"}, []string{w, f})
	w, f = splitFraction("¥1,234")
	require.Equal(t, []string{"¥1,234", ""}, []string{w, f})

	require.Equal(t, "Sat 14 Jun", fmtDay("2025-06-14"))
	require.Equal(t, "today", relDay("2025-06-14", "2025-06-14"))
	require.Equal(t, "tomorrow", relDay("2025-06-14", "2025-06-15"))
	require.Equal(t, "in 17 days", relDay("2025-06-14", "2025-07-01"))
	require.Equal(t, "in 2 days", relDay("2025-03-08", "2025-03-10"), "across a DST change")
	require.Equal(t, "2 days ago", relDay("2025-06-14", "2025-06-12"))

	now := time.Date(2025, 6, 14, 12, 0, 0, 0, time.UTC)
	require.Equal(t, "just now", relTime(now, now.Add(-30*time.Second)))
	require.Equal(t, "12 min ago", relTime(now, now.Add(-12*time.Minute)))
	require.Equal(t, "5 h ago", relTime(now, now.Add(-5*time.Hour)))
	require.Equal(t, "3 days ago", relTime(now, now.Add(-72*time.Hour)))
	require.Equal(t, "08:00", localClock(now, "America/New_York"))
	require.Equal(t, "12:00 UTC", localClock(now, "Nowhere/Else"))

	require.Equal(t, "June 2025", monthLong("2025-06"))
	require.Equal(t, "Jun", monthShort("2025-06"))
	require.Equal(t, "Google Calendar", providerName("google_calendar"))
	require.Equal(t, "Acme sync", providerName("acme_sync"))
	require.Equal(t, "The Knot", sourceName("the_knot"))
	require.Equal(t, "Wedding fair", sourceName("wedding-fair"))
	require.Equal(t, "Needs reconnecting", healthLabel("needs_reauth"))
	require.True(t, healthOK("healthy"))
	require.False(t, healthOK("failing"))
	require.Equal(t, "32% busier", seasonReading("1.32"))
	require.Equal(t, "50% quieter", seasonReading("0.50"))
	require.Equal(t, "average", seasonReading("1.00"))
}

func TestCapacityKind(t *testing.T) {
	day := func(n int, wedding bool) store.CapacityDay {
		return store.CapacityDay{Date: "2025-06-14", Bookings: n, IsWeddingDay: wedding}
	}
	require.Equal(t, "free", capacityKind(day(0, true), 2))
	require.Equal(t, "partial", capacityKind(day(1, true), 2))
	require.Equal(t, "full", capacityKind(day(2, true), 2))
	require.Equal(t, "over", capacityKind(day(3, true), 2))
	require.Equal(t, "other", capacityKind(day(1, false), 2))
	require.Equal(t, "full", capacityKind(day(1, false), 1), "a full day is full on any weekday")

	m := capacityModel(&store.KPIs{Today: "2025-06-30", DailyCapacity: 1, CapacityCalendar: []store.CapacityDay{day(0, true)}})
	require.Len(t, m.Months, 13)
	require.Len(t, m.Months[0].Cells, 1, "only the days from today on")
	require.Equal(t, 1, m.Months[0].Cells[0].Col, "30 June 2025 is a Monday: first column")
	require.Equal(t, 2, m.Months[1].Cells[0].Col, "1 July 2025 is a Tuesday: second column")
	require.Zero(t, m.Months[1].Cells[1].Col, "later days flow on in the grid")
	require.Len(t, m.Legend, 4, "no partly booked with one wedding a day")
}
