package views

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store"
)

func ptr[T any](v T) *T { return &v }

// sampleKPIs is a realistic snapshot of a wedding photographer on Saturday 14 June 2025.
func sampleKPIs() *store.KPIs {
	today := time.Date(2025, 6, 14, 0, 0, 0, 0, time.UTC)
	season := []int64{35, 45, 70, 95, 140, 165, 150, 155, 175, 160, 80, 40} // Jan..Dec, thousands of dollars
	k := &store.KPIs{
		OrgID: 7, Currency: "USD", Timezone: "America/New_York", Today: "2025-06-14",
		ComputedAt: time.Date(2025, 6, 14, 12, 9, 30, 0, time.UTC), WeddingDays: []int{5, 6, 0}, DailyCapacity: 1,

		RevenueMTD: 1_284_550, RevenueMTDLastYear: 1_141_800, RevenueMTDChangePct: ptr("12.5"),
		RevenueYTD: 6_120_400, RevenueLTM: 14_985_075,

		BookingsMTD: 4, BookingsMTDLastYear: 3, BookingsMTDChangePct: ptr("33.3"),
		BookedValueLTM: 15_640_000, AvgBookingValueLTM: ptr(int64(425_000)),
		InquiriesMTD: 11, InquiriesMTDLastYear: 9, ConversionRate90d: ptr("28.9"),
		ResponseTimeMedianHours90d: ptr("3.4"),
		LeadsBySource90d: []store.SourceLeads{
			{Source: "instagram", Inquiries: 17, Booked: 5}, {Source: "the_knot", Inquiries: 12, Booked: 3},
			{Source: "referral", Inquiries: 8, Booked: 4}, {Source: "website", Inquiries: 6, Booked: 1},
			{Source: "wedding_wire", Inquiries: 3, Booked: 0},
		},

		WeddingsToday: 1, UpcomingWeddings30d: 6, CapacityUtilization12m: ptr("41.7"),
		FullyBookedDates12m: 66, OverbookedDates12m: 2,

		OutstandingBalance: 8_415_000, OverdueAmount: 420_000, OverdueInvoices: 3, ScheduledNext90d: 2_935_000,

		SatisfactionAvg12m: ptr("4.86"), Reviews12m: 29,

		ForecastMAPE12m: ptr("8.2"), ForecastBaselineMAPE12m: ptr("14.9"),

		ForeignCurrencyRows: 3, UnansweredInquiries24h: 2,
		OverbookedDates: []string{"2025-08-16", "2025-09-20"},
	}
	for i := 0; i < 24; i++ {
		m := time.Date(2023, 7+time.Month(i), 1, 0, 0, 0, 0, time.UTC)
		growth := int64(100)
		if i >= 12 {
			growth = 112
		}
		amount := season[m.Month()-1]*1_000_00*growth/100 + int64((i*7919)%97)*1_00 // plus a few dollars of noise
		if i == 23 {
			amount = k.RevenueMTD
		}
		k.RevenueByMonth = append(k.RevenueByMonth, store.MonthAmount{Month: m.Format("2006-01"), Amount: amount})
	}
	for i, idx := range []string{"0.35", "0.42", "0.61", "0.88", "1.24", "1.58", "1.41", "1.49", "1.73", "1.62", "0.47", "0.20"} {
		k.Seasonality = append(k.Seasonality, store.MonthIndex{Month: i + 1, Index: ptr(idx)})
	}
	k.Seasonality[11].Index = nil // no December weddings yet
	for i, e := range []int64{1_650_000, 1_720_000, 1_930_000, 1_780_000, 860_000, 410_000} {
		m := time.Date(2025, 7+time.Month(i), 1, 0, 0, 0, 0, time.UTC)
		committed := []int64{1_180_000, 905_000, 640_000, 310_000, 120_000, 0}[i]
		k.Forecast = append(k.Forecast, store.ForecastMonth{Month: m.Format("2006-01"), Committed: committed,
			Expected: e, Low: e * 82 / 100, High: e * 121 / 100})
	}
	for d := 0; d < 365; d++ {
		day := today.AddDate(0, 0, d)
		wd := day.Weekday()
		wedding := wd == time.Friday || wd == time.Saturday || wd == time.Sunday
		n := 0
		switch {
		case wd == time.Saturday && (d/7)%5 != 3 && day.Month() >= 5 && day.Month() <= 10:
			n = 1
		case wd == time.Saturday && d%3 == 0:
			n = 1
		case wd == time.Friday && d%4 == 1, wd == time.Sunday && d%5 == 2:
			n = 1
		case wd == time.Thursday && d%37 == 5:
			n = 1
		}
		ds := day.Format("2006-01-02")
		for _, o := range k.OverbookedDates {
			if o == ds {
				n = 2
			}
		}
		if wedding || n > 0 {
			k.CapacityCalendar = append(k.CapacityCalendar, store.CapacityDay{Date: ds, Bookings: n, IsWeddingDay: wedding})
		}
	}
	k.UpcomingWeddings = []store.UpcomingWedding{
		{BookingID: 101, Date: "2025-06-14", ClientName: "Amelia Hart & Jonah Reyes", ContractAmount: 480_000, BalanceDue: 0, Currency: "USD"},
		{BookingID: 102, Date: "2025-06-20", ClientName: "Priya Nair & Sam Okafor", ContractAmount: 395_000, BalanceDue: 118_500, Currency: "USD"},
		{BookingID: 103, Date: "2025-06-21", ClientName: "Grace Liu & Tom Becker", ContractAmount: 520_000, BalanceDue: 156_000, Currency: "USD"},
		{BookingID: 104, Date: "2025-06-28", ClientName: "Elena Rossi & Marco Bianchi", ContractAmount: 610_000, BalanceDue: 305_000, Currency: "USD"},
		{BookingID: 105, Date: "2025-07-05", ClientName: "Hannah Cole & Leo Park", ContractAmount: 365_000, BalanceDue: 0, Currency: "USD"},
		{BookingID: 106, Date: "2025-07-12", ClientName: "Chloé Martin & Idris Bello", ContractAmount: 450_000, BalanceDue: 225_000, Currency: "EUR"},
	}
	synced := time.Date(2025, 6, 14, 12, 2, 0, 0, time.UTC)
	stale := time.Date(2025, 6, 12, 9, 30, 0, 0, time.UTC)
	k.SourceFreshness = []store.SourceFreshness{
		{Provider: "stripe", LastSuccessAt: &synced, Health: "healthy"},
		{Provider: "google_calendar", LastSuccessAt: &stale, Health: "needs_reauth"},
	}
	return k
}

// samplePeriods are the period figures matching sampleKPIs.
func samplePeriods(k *store.KPIs) []store.PeriodFigures {
	return []store.PeriodFigures{
		{Key: "mtd", Label: "Month to date", From: "2025-06-01", To: k.Today, Revenue: k.RevenueMTD,
			RevenueLastYear: k.RevenueMTDLastYear, RevenueChangePct: k.RevenueMTDChangePct, Bookings: k.BookingsMTD,
			BookingsLastYear: k.BookingsMTDLastYear, BookingsChangePct: k.BookingsMTDChangePct, BookedValue: 1_720_000,
			Inquiries: k.InquiriesMTD, InquiriesLastYear: k.InquiriesMTDLastYear, InquiriesChangePct: ptr("22.2")},
		{Key: "qtd", Label: "Quarter to date", From: "2025-04-01", To: k.Today, Revenue: 3_902_110,
			RevenueLastYear: 4_010_000, RevenueChangePct: ptr("-2.7"), Bookings: 13, BookingsLastYear: 13,
			BookingsChangePct: ptr("0.0"), BookedValue: 5_480_000, Inquiries: 38, InquiriesLastYear: 30, InquiriesChangePct: ptr("26.7")},
		{Key: "ytd", Label: "Year to date", From: "2025-01-01", To: k.Today, Revenue: k.RevenueYTD,
			RevenueLastYear: 5_400_000, RevenueChangePct: ptr("13.3"), Bookings: 24, BookingsLastYear: 20,
			BookingsChangePct: ptr("20.0"), BookedValue: 10_150_000, Inquiries: 81, InquiriesLastYear: 70, InquiriesChangePct: ptr("15.7")},
		{Key: "ltm", Label: "Last 12 months", From: "2024-06-15", To: k.Today, Revenue: k.RevenueLTM,
			RevenueLastYear: 13_200_000, RevenueChangePct: ptr("13.5"), Bookings: 37, BookingsLastYear: 33,
			BookingsChangePct: ptr("12.1"), BookedValue: k.BookedValueLTM, Inquiries: 140, InquiriesLastYear: 0},
	}
}

func sampleData() DashboardData {
	k := sampleKPIs()
	return DashboardData{OrgName: "Willow & Vine Photography", KPIs: k, Version: 42, Period: "mtd",
		Periods: samplePeriods(k), BaseLink: "/dashboard", Now: time.Date(2025, 6, 14, 12, 14, 0, 0, time.UTC)}
}

func samplePage() Page {
	return Page{Title: "Dashboard", Nav: "dashboard", CSRF: "tok", LiveURL: "/live",
		Viewer: &Viewer{UserName: "Maya", Email: "maya@example.com", OrgName: "Willow & Vine Photography", Role: "owner", CanAdmin: true}}
}

func renderPage(t *testing.T, d DashboardData) (string, *goquery.Document) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, DashboardPage(samplePage(), d).Render(context.Background(), &buf))
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(buf.String()))
	require.NoError(t, err)
	return buf.String(), doc
}

func renderFragment(t *testing.T, name string, d DashboardData) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, Fragment(name, d).Render(context.Background(), &buf))
	return buf.String()
}

// moneyKPIs are the scalar KPIs that are amounts of money.
var moneyKPIs = map[string]bool{
	"revenue_mtd": true, "revenue_mtd_last_year": true, "revenue_ytd": true, "revenue_ltm": true,
	"booked_value_ltm": true, "avg_booking_value_ltm": true, "outstanding_balance": true,
	"overdue_amount": true, "scheduled_next_90d": true,
}

// requireEveryKPIOnce checks that each scalar KPI appears exactly once with its raw value (or,
// for money on a view that hides it, with data-hidden and no data-value).
func requireEveryKPIOnce(t *testing.T, doc *goquery.Document, k *store.KPIs, hideMoney bool) {
	t.Helper()
	names := store.ScalarKPINames()
	require.Equal(t, len(names), doc.Find("[data-kpi]").Length(), "no data-kpi besides the scalar KPIs")
	for _, name := range names {
		sel := doc.Find(`[data-kpi="` + name + `"]`)
		require.Equal(t, 1, sel.Length(), "data-kpi=%q must appear exactly once", name)
		if hideMoney && moneyKPIs[name] {
			_, has := sel.Attr("data-value")
			require.False(t, has, "%s: hidden money has no data-value", name)
			_, hidden := sel.Attr("data-hidden")
			require.True(t, hidden, "%s: hidden money is marked data-hidden", name)
			require.Equal(t, "Hidden", strings.TrimSpace(sel.Text()), name)
			continue
		}
		want, ok := k.RawValue(name)
		require.True(t, ok, name)
		got, has := sel.Attr("data-value")
		require.True(t, has, "%s has data-value", name)
		require.Equal(t, want, got, "%s data-value", name)
	}
}

func TestDashboardEveryKPIOnceInEveryPeriod(t *testing.T) {
	for _, period := range []string{"", "mtd", "qtd", "ytd", "ltm", "bogus"} {
		t.Run("period="+period, func(t *testing.T) {
			d := sampleData()
			d.Period = period
			_, doc := renderPage(t, d)
			requireEveryKPIOnce(t, doc, d.KPIs, false)
		})
	}
	t.Run("without period figures", func(t *testing.T) {
		d := sampleData()
		d.Periods, d.Period = nil, "qtd"
		_, doc := renderPage(t, d)
		requireEveryKPIOnce(t, doc, d.KPIs, false)
		require.Equal(t, "mtd", doc.Find("[data-dashboard]").AttrOr("data-period", ""))
	})
}

func TestDashboardValuesAndChanges(t *testing.T) {
	_, doc := renderPage(t, sampleData())
	value := func(name string) string {
		return strings.TrimSpace(doc.Find(`[data-kpi="` + name + `"]`).Text())
	}
	require.Equal(t, "$12,845.50", value("revenue_mtd"))
	require.Equal(t, "28.9%", value("conversion_rate_90d"))
	require.Equal(t, "3.4 h", value("response_time_median_hours_90d"))
	require.Equal(t, "4.86 / 5", value("satisfaction_avg_12m"))
	require.Equal(t, "8.2%", value("forecast_mape_12m"))
	require.Equal(t, "14.9%", value("forecast_baseline_mape_12m"))

	change := doc.Find(`[data-kpi="revenue_mtd_change_pct"]`).Closest(".kpi-change")
	require.Equal(t, "▲ +12.5% vs last year", strings.TrimSpace(change.Text()))
	require.True(t, change.HasClass("change-up"))
	require.Contains(t, doc.Find(".accuracy").Text(), "Forecast error 8.2% vs 14.9% for same-month-last-year")

	d := sampleData()
	d.Period = "qtd"
	_, doc = renderPage(t, d)
	lead := doc.Find(".group-revenue .kpi-lead")
	require.Equal(t, "Revenue · quarter to date", lead.Find(".kpi-label").Text())
	require.Equal(t, "$39,021.10", strings.TrimSpace(lead.Find(".kpi-value").Text()))
	require.Equal(t, "▼ -2.7% vs last year", strings.TrimSpace(lead.Find(".kpi-change").Text()))
	flat := doc.Find(".group-pipeline .kpi-lead .kpi-change")
	require.Equal(t, "– 0.0% vs last year", strings.TrimSpace(flat.Text()))
	require.Equal(t, "Month to date", doc.Find(`[data-kpi="revenue_mtd"]`).Closest(".kpi").Find(".kpi-label").Text())
}

func TestDashboardNulls(t *testing.T) {
	d := sampleData()
	k := d.KPIs
	k.RevenueMTDChangePct, k.BookingsMTDChangePct, k.AvgBookingValueLTM = nil, nil, nil
	k.ConversionRate90d, k.ResponseTimeMedianHours90d, k.CapacityUtilization12m = nil, nil, nil
	k.SatisfactionAvg12m, k.ForecastMAPE12m, k.ForecastBaselineMAPE12m = nil, nil, nil
	k.Seasonality = nil
	_, doc := renderPage(t, d)
	requireEveryKPIOnce(t, doc, k, false)
	conv := doc.Find(`[data-kpi="conversion_rate_90d"]`)
	require.Equal(t, "—", strings.TrimSpace(conv.Text()))
	require.Equal(t, "no inquiries in 90 days", conv.Closest(".kpi").Find(".kpi-reason").Text())
	require.Contains(t, doc.Find(`[data-kpi="satisfaction_avg_12m"]`).Closest(".kpi").Text(), "no reviews in 12 months")
	require.Contains(t, doc.Find(`[data-kpi="revenue_mtd_change_pct"]`).Parent().Text(), "— nothing in the same days last year")
	require.Contains(t, doc.Find("#region-chart-seasonality").Text(), "Not enough history yet")
}

func TestDashboardHideMoney(t *testing.T) {
	d := sampleData()
	d.HideMoney, d.Shared, d.BaseLink = true, true, "/s/tok"
	html, doc := renderPage(t, d)
	requireEveryKPIOnce(t, doc, d.KPIs, true)
	require.NotContains(t, html, "$", "no dollar amount anywhere")
	require.NotContains(t, html, "€")
	require.Zero(t, doc.Find(`[data-chart="revenue_by_month"], [data-chart="forecast_revenue_6m"]`).Length())
	require.Equal(t, 2, doc.Find("[data-hidden-chart]").Length())
	require.Equal(t, []string{"Date", "Couple"}, texts(doc.Find(`[data-table="upcoming_weddings"] thead th`)))
	require.Empty(t, doc.Find(`[data-need="overdue-invoices"] .need-extra`).Text())
	require.Equal(t, "3", doc.Find(`[data-kpi="overdue_invoices"]`).AttrOr("data-value", ""))
	for _, series := range []string{"revenue_by_month", "forecast_revenue_6m"} {
		require.Zero(t, doc.Find(`a[href*="series=`+series+`"]`).Length(), series)
	}
}

func TestDashboardShared(t *testing.T) {
	d := sampleData()
	d.Shared, d.BaseLink = true, "/s/tok"
	p := samplePage()
	p.Viewer = &Viewer{OrgName: d.OrgName, Shared: true}
	var buf bytes.Buffer
	require.NoError(t, DashboardPage(p, d).Render(context.Background(), &buf))
	doc, err := goquery.NewDocumentFromReader(&buf)
	require.NoError(t, err)
	doc.Find("a[href]").Each(func(_ int, a *goquery.Selection) {
		href := a.AttrOr("href", "")
		require.True(t, href == "/" || href == "#main" || strings.HasPrefix(href, "/s/tok?") ||
			strings.HasPrefix(href, "/s/tok/export.csv"), "shared view links only to its own token: %s", href)
	})
	require.Equal(t, "/s/tok?period=qtd", doc.Find(`[data-period-link="qtd"]`).AttrOr("href", ""))
	require.Equal(t, "/s/tok/export.csv", doc.Find(".dash-tools [data-csv]").AttrOr("href", ""))
	require.Equal(t, "/s/tok/export.csv?series=leads_by_source_90d", doc.Find(".panel-chart-leads [data-csv]").AttrOr("href", ""))
	require.Contains(t, doc.Find(`[data-need="overdue-invoices"]`).Text(), "overdue invoices")
}

func TestDashboardPeriodLinks(t *testing.T) {
	for _, tc := range []struct{ period, current string }{{"", "mtd"}, {"qtd", "qtd"}, {"ytd", "ytd"}, {"ltm", "ltm"}, {"nope", "mtd"}} {
		d := sampleData()
		d.Period = tc.period
		_, doc := renderPage(t, d)
		links := doc.Find("[data-period-link]")
		require.Equal(t, 4, links.Length())
		cur := doc.Find("[data-period-link][aria-current]")
		require.Equal(t, 1, cur.Length())
		require.Equal(t, tc.current, cur.AttrOr("data-period-link", ""))
		require.Equal(t, "/dashboard?period="+tc.current, cur.AttrOr("href", ""))
	}
}

func texts(sel *goquery.Selection) []string {
	var out []string
	sel.Each(func(_ int, s *goquery.Selection) { out = append(out, strings.TrimSpace(s.Text())) })
	return out
}

// tableRows returns the text of each body row's cells (its row header first).
func tableRows(doc *goquery.Document, table string) [][]string {
	var rows [][]string
	doc.Find(`[data-table="` + table + `"] tbody tr`).Each(func(_ int, tr *goquery.Selection) {
		rows = append(rows, texts(tr.Find("th, td")))
	})
	return rows
}

func TestDashboardChartsHaveFigureSVGAndTable(t *testing.T) {
	_, doc := renderPage(t, sampleData())
	charts := []string{"revenue_by_month", "forecast_revenue_6m", "seasonality", "leads_by_source_90d", "capacity_calendar"}
	for _, name := range charts {
		fig := doc.Find(`figure[data-chart="` + name + `"]`)
		require.Equal(t, 1, fig.Length(), name)
		require.NotEmpty(t, strings.TrimSpace(fig.Find("figcaption").Text()), name)
		svgs := fig.Find(`[role="img"]`)
		require.Positive(t, svgs.Length(), name)
		svgs.Each(func(_ int, svg *goquery.Selection) {
			for _, id := range strings.Fields(svg.AttrOr("aria-labelledby", "")) {
				require.Equal(t, 1, doc.Find("#"+id).Length(), "%s: aria-labelledby %s", name, id)
			}
		})
		require.Equal(t, 1, fig.Find(`details table[data-table="`+name+`"]`).Length(), name)
	}
	require.Equal(t, 0, doc.Find("[style]").Length(), "no inline style attributes (CSP)")

	k := sampleKPIs()
	money := func(v int64) string { return store.FormatMoney(v, "USD") }
	rev := tableRows(doc, "revenue_by_month")
	require.Len(t, rev, 12)
	for i, r := range rev {
		this, last := k.RevenueByMonth[12+i], k.RevenueByMonth[i]
		require.True(t, strings.HasPrefix(r[0], monthLong(this.Month)))
		require.Equal(t, []string{money(this.Amount), money(last.Amount)}, r[1:3])
	}
	require.Equal(t, "June 2025 (so far)", rev[11][0])
	require.Equal(t, "in progress", rev[11][3])
	require.Equal(t, "▲ +12.0%", rev[10][3]) // 156,806 against 140,038

	fc := tableRows(doc, "forecast_revenue_6m")
	require.Len(t, fc, 6)
	for i, f := range k.Forecast {
		require.Equal(t, []string{monthLong(f.Month), money(f.Committed), money(f.Expected), money(f.Low), money(f.High)}, fc[i])
	}

	season := tableRows(doc, "seasonality")
	require.Len(t, season, 12)
	require.Equal(t, []string{"January", "0.35", "65% quieter"}, season[0])
	require.Equal(t, []string{"September", "1.73", "73% busier"}, season[8])
	require.Equal(t, "—", season[11][1], "a null month")

	leads := tableRows(doc, "leads_by_source_90d")
	require.Equal(t, [][]string{
		{"Instagram", "17", "5", "29.4%"}, {"The Knot", "12", "3", "25.0%"}, {"Referral", "8", "4", "50.0%"},
		{"Website", "6", "1", "16.7%"}, {"WeddingWire", "3", "0", "0.0%"},
	}, leads)

	// The calendar's table counts every listed date once, by kind.
	want := map[string]int{}
	for _, c := range k.CapacityCalendar {
		want[capacityKind(c, k.DailyCapacity)]++
	}
	heads := texts(doc.Find(`[data-table="capacity_calendar"] thead th`))[1:]
	got := map[string]int{}
	for _, r := range tableRows(doc, "capacity_calendar") {
		for i, cell := range r[1:] {
			n := 0
			fmt.Sscan(cell, &n)
			got[heads[i]] += n
		}
	}
	require.Equal(t, want["free"], got["Free wedding day"])
	require.Equal(t, want["full"], got["Fully booked"])
	require.Equal(t, 2, got["Overbooked"])
	require.Equal(t, 13, len(tableRows(doc, "capacity_calendar")), "June 2025 to June 2026")
	require.Equal(t, "Sat 16 Aug: overbooked (2 of 1)", doc.Find(`[data-month="2025-08"] .over`).AttrOr("title", ""))
	require.Equal(t, "August 2025: 9 free wedding days, 5 fully booked days, 1 overbooked day",
		doc.Find(`[data-month="2025-08"]`).AttrOr("aria-label", ""), "each month says its days in words")

	up := tableRows(doc, "upcoming_weddings")
	require.Len(t, up, len(k.UpcomingWeddings))
	require.Equal(t, []string{"Sat 14 Jun today", "Amelia Hart & Jonah Reyes", "$4,800.00", "Paid"}, squash(up[0]))
	require.Equal(t, []string{"Sat 12 Jul in 28 days", "Chloé Martin & Idris Bello", "€4,500.00", "€2,250.00"}, squash(up[5]))
}

// squash collapses runs of white space in each text.
func squash(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = strings.Join(strings.Fields(s), " ")
	}
	return out
}

func TestFragmentsEqualTheirRegions(t *testing.T) {
	variants := map[string]func(*DashboardData){
		"member":  func(*DashboardData) {},
		"qtd":     func(d *DashboardData) { d.Period = "qtd" },
		"hidden":  func(d *DashboardData) { d.HideMoney, d.Shared, d.BaseLink = true, true, "/s/x" },
		"pending": func(d *DashboardData) { d.KPIs = nil },
	}
	for name, mod := range variants {
		t.Run(name, func(t *testing.T) {
			d := sampleData()
			mod(&d)
			html, doc := renderPage(t, d)
			require.Len(t, FragmentNames(), doc.Find("[sse-swap]").Length())
			for _, frag := range FragmentNames() {
				out := renderFragment(t, frag, d)
				require.NotEmpty(t, strings.TrimSpace(out), frag)
				region := doc.Find("#region-" + frag)
				require.Equal(t, 1, region.Length(), frag)
				require.Equal(t, frag, region.AttrOr("sse-swap", ""))
				require.Contains(t, html, `sse-swap="`+frag+`">`+out+`</div>`, "%s: the page holds the fragment's exact bytes", frag)
				fdoc, err := goquery.NewDocumentFromReader(strings.NewReader(out))
				require.NoError(t, err)
				want, _ := region.Html()
				got, _ := fdoc.Find("body").Html()
				require.Equal(t, want, got, frag)
			}
		})
	}
	require.Error(t, Fragment("nope", sampleData()).Render(context.Background(), &bytes.Buffer{}))
	require.Error(t, Fragment("nope", DashboardData{}).Render(context.Background(), &bytes.Buffer{}))
}

func TestDashboardPending(t *testing.T) {
	d := sampleData()
	d.KPIs = nil
	_, doc := renderPage(t, d)
	require.Contains(t, doc.Find("#region-needs-today").Text(), "Crunching your numbers…")
	require.Zero(t, doc.Find("[data-kpi]").Length())
	require.Equal(t, 1, doc.Find("[data-dashboard]").Length())
	require.Equal(t, "Connecting…", doc.Find("[data-live-badge] [data-live-state]").Text())

	var buf bytes.Buffer
	require.NoError(t, DashboardShell(samplePage(), "Willow").Render(context.Background(), &buf))
	require.Contains(t, buf.String(), "Crunching your numbers…")
}

func TestDashboardNeedsToday(t *testing.T) {
	_, doc := renderPage(t, sampleData())
	require.Equal(t, "/records/bookings?from=2025-06-14&to=2025-06-14", doc.Find(`[data-need="weddings-today"] a`).AttrOr("href", ""))
	require.Equal(t, "/records/invoices?status=overdue", doc.Find(`[data-need="overdue-invoices"] a`).AttrOr("href", ""))
	require.Contains(t, doc.Find(`[data-need="overdue-invoices"]`).Text(), "$4,200.00")
	require.Equal(t, "/records/inquiries?status=new", doc.Find(`[data-need="unanswered-inquiries"] a`).AttrOr("href", ""))
	over := doc.Find(`[data-need="overbooked-dates"]`)
	require.Equal(t, "2 overbooked dates: Sat 16 Aug, Sat 20 Sep", strings.Join(strings.Fields(over.Text()), " "))
	require.Equal(t, "/records/bookings?from=2025-09-20&to=2025-09-20", over.Find("a").Last().AttrOr("href", ""))

	d := sampleData()
	k := d.KPIs
	k.WeddingsToday, k.OverdueInvoices, k.OverdueAmount, k.UnansweredInquiries24h = 0, 0, 0, 0
	k.OverbookedDates12m, k.OverbookedDates = 0, nil
	_, doc = renderPage(t, d)
	require.Zero(t, doc.Find(".need").Length())
	require.Contains(t, doc.Find(`[data-need="all-clear"]`).Text(), "All clear today")
}

func TestDashboardHeaderAndFreshness(t *testing.T) {
	_, doc := renderPage(t, sampleData())
	badge := doc.Find("[data-live-badge]")
	require.Equal(t, "2025-06-14T12:09:30Z", badge.Find("time[data-computed-at]").AttrOr("datetime", ""))
	require.Equal(t, "08:09", badge.Find("time[data-computed-at]").Text(), "in the organization's time zone")
	require.Equal(t, "Cash collected, in USD. 3 records in other currencies are not included.",
		doc.Find(`[data-kpi="foreign_currency_rows"]`).Text())
	src := texts(doc.Find("[data-source]"))
	require.Len(t, src, 2)
	require.Equal(t, "Stripe ✓ Healthy last synced 12 min ago", strings.Join(strings.Fields(src[0]), " "))
	require.Contains(t, src[1], "Needs reconnecting")

	d := sampleData()
	d.KPIs.SourceFreshness = nil
	_, doc = renderPage(t, d)
	require.Zero(t, doc.Find(".sources").Length())
}
