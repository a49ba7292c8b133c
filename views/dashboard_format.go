package views

import (
	"strconv"
	"strings"
	"time"

	"github.com/wedsync/wedsync/store"
)

// Formatting helpers of the dashboard: numbers, changes, dates and relative times, all in the
// words a supplier reads. Rates arrive as exact decimal text from the store and are never
// re-rounded here.

// fmtCount renders a count with thousands separators: "1,234".
func fmtCount(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// splitFraction splits a formatted amount at its decimal point, so the cents can be set smaller:
// "$1,234.56" → "$1,234", ".56"; "1,234.56 CHF" → "1,234", ".56 CHF"; "¥1,234" → "¥1,234", "".
func splitFraction(s string) (whole, rest string) {
	i := strings.LastIndexByte(s, '.')
	if i < 0 || i+1 >= len(s) || s[i+1] < '0' || s[i+1] > '9' {
		return s, ""
	}
	return s[:i], s[i:]
}

// change is a percent change written for reading: an arrow, the signed percent and a direction
// class. Colour may follow Dir, but the arrow and sign carry the meaning in text.
type change struct {
	Arrow string // ▲, ▼ or –
	Pct   string // "+12.5%", "-8.0%", "0.0%"
	Dir   string // up, down, flat
}

// changeOf reads a one-decimal percent change ("12.5", "-8.0", "0.0").
func changeOf(pct string) change {
	v, err := strconv.ParseFloat(pct, 64)
	switch {
	case err != nil || v == 0:
		return change{Arrow: "–", Pct: strings.TrimPrefix(pct, "-") + "%", Dir: "flat"}
	case v < 0:
		return change{Arrow: "▼", Pct: pct + "%", Dir: "down"}
	default:
		return change{Arrow: "▲", Pct: "+" + pct + "%", Dir: "up"}
	}
}

// pctChange is METRICS.md's percent change (cur - prev) / prev × 100, one decimal rounded half
// away from zero, or nil when prev is 0. It is exact in integers.
func pctChange(cur, prev int64) *string {
	if prev == 0 {
		return nil
	}
	s := roundedTenths((cur-prev)*1000, prev)
	return &s
}

// pctOf is part / whole × 100 with one decimal ("33.3"), "" when whole is 0.
func pctOf(part, whole int) string {
	if whole == 0 {
		return ""
	}
	return roundedTenths(int64(part)*1000, int64(whole))
}

// roundedTenths renders num/den, a number of tenths, rounded half away from zero: 125/1 → "12.5".
func roundedTenths(num, den int64) string {
	if den < 0 {
		num, den = -num, -den
	}
	neg := num < 0
	if neg {
		num = -num
	}
	q, r := num/den, num%den
	if 2*r >= den {
		q++
	}
	s := strconv.FormatInt(q/10, 10) + "." + strconv.FormatInt(q%10, 10)
	if neg && q != 0 {
		s = "-" + s
	}
	return s
}

// parseDay reads a YYYY-MM-DD local date; the zero time when it is not one.
func parseDay(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}

// fmtDay renders a date short: "Sat 14 Jun".
func fmtDay(s string) string {
	t := parseDay(s)
	if t.IsZero() {
		return s
	}
	return t.Format("Mon 2 Jan")
}

// daysBetween counts the days from the date from to the date to (negative when to is earlier).
func daysBetween(from, to string) int {
	a, b := parseDay(from), parseDay(to)
	if a.IsZero() || b.IsZero() {
		return 0
	}
	return int(b.Sub(a).Hours() / 24)
}

// relDay says how far date is from today: "today", "tomorrow", "in 5 days", "2 days ago".
func relDay(today, date string) string {
	n := daysBetween(today, date)
	switch {
	case n == 0:
		return "today"
	case n == 1:
		return "tomorrow"
	case n == -1:
		return "yesterday"
	case n > 1:
		return "in " + strconv.Itoa(n) + " days"
	default:
		return strconv.Itoa(-n) + " days ago"
	}
}

// relTime says how long ago t was at now: "just now", "12 min ago", "3 h ago", "2 days ago".
func relTime(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + " min ago"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + " h ago"
	default:
		return strconv.Itoa(int(d/(24*time.Hour))) + " days ago"
	}
}

// localClock renders t as HH:MM in the IANA zone tz (UTC, marked, when tz is unknown).
func localClock(t time.Time, tz string) string {
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "" {
		return t.UTC().Format("15:04") + " UTC"
	}
	return t.In(loc).Format("15:04")
}

// monthShort renders "2025-06" as "Jun"; monthLong as "June 2025".
func monthShort(ym string) string { return monthFmt(ym, "Jan") }

func monthLong(ym string) string { return monthFmt(ym, "January 2006") }

func monthFmt(ym, layout string) string {
	t, err := time.Parse("2006-01", ym)
	if err != nil {
		return ym
	}
	return t.Format(layout)
}

// calendarMonth names calendar month m (1 = January): "Jan".
func calendarMonth(m int) string {
	if m < 1 || m > 12 {
		return "?"
	}
	return time.Month(m).String()[:3]
}

// providerNames are the display names of known integration providers.
var providerNames = map[string]string{
	"stripe": "Stripe", "google_calendar": "Google Calendar", "google": "Google Calendar",
	"honeybook": "HoneyBook", "dubsado": "Dubsado", "quickbooks": "QuickBooks", "square": "Square",
	"paypal": "PayPal", "calendly": "Calendly", "ical": "iCal feed", "demo": "Demo data",
}

// sourceNames are the display names of known lead sources.
var sourceNames = map[string]string{
	"the_knot": "The Knot", "wedding_wire": "WeddingWire", "weddingwire": "WeddingWire",
	"instagram": "Instagram", "facebook": "Facebook", "pinterest": "Pinterest", "google": "Google",
	"tiktok": "TikTok", "zola": "Zola", "website": "Website", "referral": "Referral",
}

// sourceName renders a lead source for people: "the_knot" → "The Knot".
func sourceName(s string) string {
	if n, ok := sourceNames[strings.ToLower(s)]; ok {
		return n
	}
	return titleWords(s)
}

// healthLabels are the words of the integration statuses.
var healthLabels = map[string]string{"needs_reauth": "Needs reconnecting", "failing": "Failing", "degraded": "Degraded"}

// healthLabel renders an integration status for people.
func healthLabel(h string) string {
	if l, ok := healthLabels[strings.ToLower(h)]; ok {
		return l
	}
	return titleWords(h)
}

// providerName renders a provider key for people: "google_calendar" → "Google Calendar".
func providerName(p string) string {
	if n, ok := providerNames[strings.ToLower(p)]; ok {
		return n
	}
	return titleWords(p)
}

// titleWords turns "needs_attention" into "Needs attention".
func titleWords(s string) string {
	s = strings.TrimSpace(strings.NewReplacer("_", " ", "-", " ").Replace(s))
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// healthOK reports whether an integration status reads as healthy.
func healthOK(h string) bool {
	switch strings.ToLower(h) {
	case "ok", "healthy", "active", "connected", "synced", "idle":
		return true
	}
	return false
}

// money formats minor units of the snapshot's currency.
func money(k *store.KPIs, minor int64) string { return store.FormatMoney(minor, k.Currency) }

// plural picks the singular or plural noun for n: plural(1, "date", "dates") = "1 date".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmtCount(n) + " " + many
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// meterWidth clamps a percent ("42.3") to 0..100 for a meter's width.
func meterWidth(pct string) string {
	v, err := strconv.ParseFloat(pct, 64)
	if err != nil || v < 0 {
		v = 0
	}
	return num(min(v, 100))
}

// moneyCard is a card of an amount in the snapshot's currency.
func moneyCard(d DashboardData, name, label string, minor int64) kpiCard {
	whole, frac := splitFraction(money(d.KPIs, minor))
	return kpiCard{Name: name, Label: label, Value: whole, Frac: frac, Raw: itoa64(minor), Hidden: d.HideMoney}
}

// countCard is a card of a count.
func countCard(name, label string, n int) kpiCard {
	return kpiCard{Name: name, Label: label, Value: fmtCount(n), Raw: itoa(n)}
}

// decimalCard is a card of a nullable decimal with a unit ("%", " h", " / 5").
func decimalCard(name, label string, v *string, unit, reason string) kpiCard {
	if v == nil {
		return kpiCard{Name: name, Label: label, Null: true, Reason: reason}
	}
	return kpiCard{Name: name, Label: label, Value: *v, Unit: unit, Raw: *v}
}

// changeOfKPI is a card's comparison from a nullable percent change.
func changeOfKPI(name string, pct *string, reason string) *cardChange {
	if pct == nil {
		return &cardChange{Name: name, Null: true, Reason: reason}
	}
	return &cardChange{Name: name, Raw: *pct, C: changeOf(*pct)}
}

// moneyLine is a small line naming an amount ("Last year $11,000.00").
func moneyLine(d DashboardData, before, name string, minor int64, after string) cardLine {
	return cardLine{Before: before, Name: name, Raw: itoa64(minor), Value: money(d.KPIs, minor),
		Hidden: d.HideMoney, After: after, HasValue: true}
}

// countLine is a small line naming a count ("across 3 invoices").
func countLine(before, name string, n int, after string) cardLine {
	return cardLine{Before: before, Name: name, Raw: itoa(n), Value: fmtCount(n), After: after, HasValue: true}
}

func textLine(s string) cardLine { return cardLine{Before: s} }

const noLastYear = "nothing in the same days last year to compare"

// revenueModel: the headline of the chosen period, then month to date (unless it is the
// headline), year to date and the last twelve months. Each canonical KPI appears once.
func revenueModel(d DashboardData) []kpiCard {
	k, pv := d.KPIs, d.period()
	var lead kpiCard
	switch pv.Key {
	case "mtd":
		lead = mtdRevenue(d)
	case "ytd":
		lead = moneyCard(d, "revenue_ytd", "", k.RevenueYTD)
	case "ltm":
		lead = moneyCard(d, "revenue_ltm", "", k.RevenueLTM)
	default:
		lead = moneyCard(d, "", "", pv.F.Revenue)
	}
	lead.Label, lead.Lead = "Revenue · "+pv.Lower, true
	if pv.Key != "mtd" {
		lead.Change = changeOfKPI("", pv.F.RevenueChangePct, noLastYear)
		lead.Lines = []cardLine{moneyLine(d, "Last year ", "", pv.F.RevenueLastYear, "")}
	}
	cards := []kpiCard{lead}
	if pv.Key != "mtd" {
		cards = append(cards, mtdRevenue(d))
	}
	if pv.Key != "ytd" {
		c := moneyCard(d, "revenue_ytd", "Year to date", k.RevenueYTD)
		c.Lines = []cardLine{textLine("since 1 January")}
		cards = append(cards, c)
	}
	if pv.Key != "ltm" {
		c := moneyCard(d, "revenue_ltm", "Last 12 months", k.RevenueLTM)
		c.Lines = []cardLine{textLine("rolling 365 days")}
		cards = append(cards, c)
	}
	return cards
}

func mtdRevenue(d DashboardData) kpiCard {
	k := d.KPIs
	c := moneyCard(d, "revenue_mtd", "Month to date", k.RevenueMTD)
	c.Change = changeOfKPI("revenue_mtd_change_pct", k.RevenueMTDChangePct, noLastYear)
	c.Lines = []cardLine{moneyLine(d, "Last year ", "revenue_mtd_last_year", k.RevenueMTDLastYear, "")}
	return c
}

// pipelineModel: a first row with bookings, inquiries and booked value of the chosen period (and,
// for another period than MTD, the month-to-date cards), a second with the 90-day and 12-month
// rates. Each canonical KPI appears once.
func pipelineModel(d DashboardData) [][]kpiCard {
	k, pv := d.KPIs, d.period()
	var first, second []kpiCard
	if pv.Key == "mtd" {
		first = append(first, mtdBookings(d, true), mtdInquiries(d))
	} else {
		b := countCard("", "Bookings · "+pv.Lower, pv.F.Bookings)
		b.Lead = true
		b.Change = changeOfKPI("", pv.F.BookingsChangePct, noLastYear)
		b.Lines = []cardLine{countLine("Last year ", "", pv.F.BookingsLastYear, "")}
		in := countCard("", "Inquiries · "+pv.Lower, pv.F.Inquiries)
		in.Change = changeOfKPI("", pv.F.InquiriesChangePct, noLastYear)
		in.Lines = []cardLine{countLine("Last year ", "", pv.F.InquiriesLastYear, "")}
		first = append(first, b, in)
	}
	bookedLine := []cardLine{textLine("contract value of bookings made")}
	if pv.Key == "ltm" {
		c := moneyCard(d, "booked_value_ltm", "Booked value · last 12 months", k.BookedValueLTM)
		c.Lines = bookedLine
		first = append(first, c)
	} else if pv.HasBookedValue {
		c := moneyCard(d, "", "Booked value · "+pv.Lower, pv.F.BookedValue)
		c.Lines = bookedLine
		first = append(first, c)
	}
	if pv.Key != "mtd" {
		first = append(first, mtdBookings(d, false), mtdInquiries(d))
	}
	conv := decimalCard("conversion_rate_90d", "Conversion · 90 days", k.ConversionRate90d, "%", "no inquiries in 90 days")
	if !conv.Null {
		conv.Lines = []cardLine{textLine("of inquiries now booked")}
	}
	resp := decimalCard("response_time_median_hours_90d", "First reply · 90 days", k.ResponseTimeMedianHours90d, " h", "no answered inquiries in 90 days")
	if !resp.Null {
		resp.Lines = []cardLine{textLine("median time to respond")}
	}
	avg := kpiCard{Name: "avg_booking_value_ltm", Label: "Average booking · 12 months", Null: true,
		Reason: "no bookings in 12 months", Hidden: d.HideMoney}
	if k.AvgBookingValueLTM != nil {
		avg = moneyCard(d, "avg_booking_value_ltm", avg.Label, *k.AvgBookingValueLTM)
		avg.Lines = []cardLine{textLine("contract value per booking")}
	}
	second = append(second, conv, resp, avg)
	if pv.Key != "ltm" {
		c := moneyCard(d, "booked_value_ltm", "Booked value · 12 months", k.BookedValueLTM)
		c.Lines = bookedLine
		second = append(second, c)
	}
	return [][]kpiCard{first, second}
}

func mtdBookings(d DashboardData, lead bool) kpiCard {
	k := d.KPIs
	c := countCard("bookings_mtd", "Bookings · month to date", k.BookingsMTD)
	c.Lead = lead
	c.Change = changeOfKPI("bookings_mtd_change_pct", k.BookingsMTDChangePct, noLastYear)
	c.Lines = []cardLine{countLine("Last year ", "bookings_mtd_last_year", k.BookingsMTDLastYear, "")}
	return c
}

func mtdInquiries(d DashboardData) kpiCard {
	k := d.KPIs
	c := countCard("inquiries_mtd", "Inquiries · month to date", k.InquiriesMTD)
	c.Change = changeOfKPI("", pctChange(int64(k.InquiriesMTD), int64(k.InquiriesMTDLastYear)), noLastYear)
	c.Lines = []cardLine{countLine("Last year ", "inquiries_mtd_last_year", k.InquiriesMTDLastYear, "")}
	return c
}
