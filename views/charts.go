package views

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/wedsync/wedsync/store"
)

// SVG geometry for the dashboard's server-rendered charts: scales, "nice" axis ticks, bar paths
// and number formatting for SVG attributes. Everything here is pure and deterministic, so a
// fragment renders to the same bytes every time for the same snapshot.

// linearScale maps the domain d0..d1 onto the range r0..r1 (r0 > r1 for a y axis).
type linearScale struct{ d0, d1, r0, r1 float64 }

// at maps v; a zero-width domain maps everything to r0.
func (s linearScale) at(v float64) float64 {
	if s.d1 == s.d0 {
		return s.r0
	}
	return s.r0 + (v-s.d0)/(s.d1-s.d0)*(s.r1-s.r0)
}

// bandScale splits r0..r1 into n equal bands separated by an inner padding (a fraction of a
// step), with an outer padding (also in steps) before the first and after the last band.
type bandScale struct {
	n                  int
	r0, r1             float64
	padInner, padOuter float64
}

// step is the distance between the starts of two neighbouring bands.
func (b bandScale) step() float64 {
	if b.n <= 0 {
		return 0
	}
	return (b.r1 - b.r0) / (float64(b.n) - b.padInner + 2*b.padOuter)
}

// width is the width of one band.
func (b bandScale) width() float64 { return b.step() * (1 - b.padInner) }

// start is where band i begins.
func (b bandScale) start(i int) float64 { return b.r0 + b.step()*(b.padOuter+float64(i)) }

// mid is the centre of band i.
func (b bandScale) mid(i int) float64 { return b.start(i) + b.width()/2 }

// altClass marks every other x label, which phones hide to keep the labels apart.
func altClass(i int) string {
	if i%2 == 1 {
		return "alt"
	}
	return ""
}

// niceStep returns the smallest of 1, 2, 2.5 and 5 times a power of ten that is at least raw.
func niceStep(raw float64) float64 {
	if !(raw > 0) || math.IsInf(raw, 0) {
		return 1
	}
	base := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*base >= raw*(1-1e-12) {
			return m * base
		}
	}
	return 10 * base
}

// niceTicks returns ascending, evenly spaced round values that cover lo..hi in about n steps
// (0..12345 in 5 steps gives 0, 2500, ... 12500). An empty range grows to include zero, and
// 0..0 becomes 0..1, so an axis always has at least two ticks.
func niceTicks(lo, hi float64, n int) []float64 {
	if n < 1 {
		n = 1
	}
	if hi < lo {
		lo, hi = hi, lo
	}
	if hi == lo {
		switch {
		case hi > 0:
			lo = 0
		case hi < 0:
			hi = 0
		default:
			hi = 1
		}
	}
	step := niceStep((hi - lo) / float64(n))
	first := math.Floor(lo/step + 1e-9)
	last := math.Ceil(hi/step - 1e-9)
	digits := 0
	if step < 1 {
		digits = int(math.Ceil(-math.Log10(step))) + 1
	}
	p := math.Pow(10, float64(digits))
	ticks := make([]float64, 0, int(last-first)+1)
	for i := first; i <= last; i++ {
		t := math.Round(i*step*p) / p
		if t == 0 {
			t = 0 // no negative zero
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// moneyTicks returns nice ticks in minor units from 0 to at least max, about n steps, never
// finer than one whole unit of the currency (an empty chart gets $0..$n).
func moneyTicks(top int64, n int, code string) []int64 {
	unit := math.Pow(10, float64(store.MinorUnits(code)))
	hi := math.Max(float64(top)/unit, float64(max(n, 1)))
	ft := niceTicks(0, hi, n)
	out := make([]int64, len(ft))
	for i, t := range ft {
		out[i] = int64(math.Round(t * unit))
	}
	return out
}

// num formats an SVG coordinate with at most one decimal ("12", "12.5", never "-0").
func num(x float64) string {
	r := math.Round(x*10) / 10
	if r == 0 {
		r = 0
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// barPath draws a bar of width w at x from the baseline y0 to the value y1, rounding by r only
// the two corners at the value end (the top of an upward bar, the bottom of a downward one).
// A bar shorter than its rounding is drawn with a smaller radius; a zero-height bar is "".
// Moves after the first point are relative, so the path is short ("M10 100V22q0-2 2-2h6q2 0
// 2 2V100z").
func barPath(x, w, y0, y1, r float64) string {
	h := math.Abs(y1 - y0)
	if h < 0.05 || w <= 0 {
		return ""
	}
	r = math.Min(r, math.Min(w/2, h))
	dir := 1.0 // the value end lies above the baseline (smaller y)
	if y1 > y0 {
		dir = -1
	}
	var b pathData
	// baseline left → value end left → rounded corner → value end right → corner → baseline right
	b.cmd('M', x, y0)
	if num(r) == "0" {
		b.cmd('V', y1)
		b.cmd('h', w)
	} else {
		b.cmd('V', y1+dir*r)
		b.cmd('q', 0, -dir*r, r, -dir*r)
		b.cmd('h', w-2*r)
		b.cmd('q', r, 0, r, dir*r)
	}
	b.cmd('V', y0)
	b.cmd('z')
	return string(b)
}

// pathData is SVG path data written compactly: numbers with at most one decimal, separated by
// a space only where the next number does not start with its own minus sign.
type pathData []byte

// cmd appends one command letter and its numbers.
func (p *pathData) cmd(c byte, xs ...float64) {
	*p = append(*p, c)
	for i, x := range xs {
		s := num(x)
		if i > 0 && s[0] != '-' {
			*p = append(*p, ' ')
		}
		*p = append(*p, s...)
	}
}

// seriesPaths joins the bars of each class into one path (in the order the classes first
// appear): the chart draws a series as one element, and its table alternative carries the
// figures of every point.
func seriesPaths(bs []chartBar) []chartBar {
	var out []chartBar
	at := map[string]int{}
	for _, b := range bs {
		if b.D == "" {
			continue
		}
		i, ok := at[b.Class]
		if !ok {
			i = len(out)
			at[b.Class] = i
			out = append(out, chartBar{Class: b.Class})
		}
		out[i].D += b.D
	}
	return out
}

// linePath joins points (x, y pairs) with straight segments: "M0 10L5 8L10 2". Fewer than two
// points give "".
func linePath(xs, ys []float64) string {
	if len(xs) < 2 || len(xs) != len(ys) {
		return ""
	}
	var b strings.Builder
	for i := range xs {
		if i == 0 {
			b.WriteString("M")
		} else {
			b.WriteString("L")
		}
		b.WriteString(num(xs[i]) + " " + num(ys[i]))
	}
	return b.String()
}

// compactMoney renders an axis label in whole units of the currency with k/M suffixes:
// "$0", "$950", "$2.5k", "$12k", "$1.2M"; currencies without a symbol put the code after
// ("12k CHF").
func compactMoney(minor int64, code string) string {
	neg := minor < 0
	if neg {
		minor = -minor
	}
	major := float64(minor) / math.Pow(10, float64(store.MinorUnits(code)))
	var s string
	switch {
	case math.Round(major/1e3) >= 1000: // 999,500 and up read as millions
		s = trimZero(major/1e6, 1) + "M"
	case math.Round(major/1e2) >= 100: // 9,950 and up: whole thousands
		s = trimZero(major/1e3, 0) + "k"
	case math.Round(major) >= 1000:
		s = trimZero(major/1e3, 1) + "k"
	default:
		s = trimZero(major, 0)
	}
	// FormatMoney knows where the symbol goes: format 0 and swap its digits for ours.
	zero := store.FormatMoney(0, code)
	digits := store.FormatMoneyPlain(0, code)
	out := strings.Replace(zero, digits, s, 1)
	if neg {
		out = "-" + out
	}
	return out
}

// trimZero formats v with at most places decimals, dropping a trailing ".0".
func trimZero(v float64, places int) string {
	p := math.Pow(10, float64(places))
	return strconv.FormatFloat(math.Round(v*p)/p, 'f', -1, 64)
}

// Chart models. Each builder turns a snapshot series into ready-to-print SVG geometry plus the
// rows of its table alternative, so the templates only loop and print.

const (
	chartW     = 600.0 // viewBox width of every wide chart
	axisLeft   = 70.0  // room for y tick labels (sized for the larger phone font)
	axisRight  = 6.0
	axisTop    = 14.0
	axisBottom = 30.0
)

// axisTick is one horizontal gridline with its label.
type axisTick struct{ Y, Label string }

// chartBar is one bar (or band) drawn as a path, or with seriesPaths all bars of a class.
type chartBar struct{ D, Class string }

// xLabel is a category label under the x axis.
type xLabel struct{ X, Text, Class string }

// seasonalityChartData is the seasonality index per calendar month, drawn as bars that leave
// the 1.0 reference line up (busier than average) or down (quieter).
type seasonalityChartData struct {
	H, RefY, LabelY string
	Ticks           []axisTick
	Bars            []chartBar
	Labels          []xLabel
	Table           chartTable
}

// seasonalityModel returns ok false when the series is null or has no index at all.
func seasonalityModel(k *store.KPIs) (seasonalityChartData, bool) {
	const h = 220.0
	top, any := 1.5, false
	for _, m := range k.Seasonality {
		if m.Index != nil {
			any = true
			if v, err := strconv.ParseFloat(*m.Index, 64); err == nil {
				top = max(top, v)
			}
		}
	}
	if !any {
		return seasonalityChartData{}, false
	}
	ticks := niceTicks(0, top, 3)
	y := linearScale{0, ticks[len(ticks)-1], h - axisBottom, axisTop}
	bands := bandScale{n: 12, r0: axisLeft, r1: chartW - axisRight, padInner: 0.3, padOuter: 0.15}
	d := seasonalityChartData{H: num(h), RefY: num(y.at(1)), LabelY: num(h - 9)}
	d.Table = chartTable{Name: "seasonality", Heads: []string{"Month", "Index", "Compared with an average month"}, Text: 2}
	for _, t := range ticks {
		d.Ticks = append(d.Ticks, axisTick{Y: num(y.at(t)), Label: strconv.FormatFloat(t, 'f', 1, 64)})
	}
	for _, m := range k.Seasonality {
		i := m.Month - 1
		if i < 0 || i > 11 {
			continue
		}
		name := time.Month(m.Month).String()
		row := []string{name, "—", "no weddings to compare"}
		if m.Index != nil {
			v, _ := strconv.ParseFloat(*m.Index, 64)
			row[1], row[2] = *m.Index, seasonReading(*m.Index)
			cls := "season-up"
			if v < 1 {
				cls = "season-down"
			}
			d.Bars = append(d.Bars, chartBar{D: barPath(bands.start(i), bands.width(), y.at(1), y.at(v), 2), Class: cls})
		}
		d.Labels = append(d.Labels, xLabel{X: num(bands.mid(i)), Text: calendarMonth(m.Month), Class: altClass(i)})
		d.Table.Rows = append(d.Table.Rows, row)
	}
	return d, true
}

// seasonReading puts an index in words: "1.32" → "32% busier", "0.50" → "50% quieter".
func seasonReading(idx string) string {
	hundredths, err := strconv.Atoi(strings.Replace(idx, ".", "", 1))
	if err != nil || !strings.Contains(idx, ".") || len(idx)-strings.Index(idx, ".") != 3 {
		return ""
	}
	switch diff := hundredths - 100; {
	case diff > 0:
		return strconv.Itoa(diff) + "% busier"
	case diff < 0:
		return strconv.Itoa(-diff) + "% quieter"
	}
	return "average"
}

// The capacity calendar: one small month grid (Monday first) per month of the next 365 days,
// drawn as an HTML grid whose cells CSS paints by kind (dashboard.css), so a day costs a few
// bytes rather than an SVG shape.
// capacityKinds are the day kinds in legend order, with their legend labels.
// One and Many count days in a month's summary; Tip describes one day in its tooltip.
var capacityKinds = []struct{ Kind, Label, One, Many, Tip string }{
	{"free", "Free wedding day", "free wedding day", "free wedding days", "free wedding day"},
	{"partial", "Partly booked", "partly booked day", "partly booked days", "partly booked"},
	{"full", "Fully booked", "fully booked day", "fully booked days", "fully booked"},
	{"over", "Overbooked", "overbooked day", "overbooked days", "overbooked"},
	{"other", "Booking on another day", "booking on another day", "bookings on other days", "booked, not a wedding day"},
}

// capCell is one day of a month grid. Kind is "plain" (nothing on) or one of capacityKinds;
// Title (the day and its bookings) is empty on plain days; Col (1-7, Monday first) is set on the
// month's first drawn day only, which the grid places in its weekday column.
type capCell struct {
	Kind, Title string
	Col         int
	// Conflict marks a calendar conflict (store.KPIs.CalendarConflicts); Title then says so.
	Conflict bool
}

type capMonth struct {
	ID, Label, Long, Summary string // "2025-06", "Jun 2025", "June 2025", its days in words
	Cells                    []capCell
	Counts                   map[string]int
}

type capLegend struct {
	Kind, Label string
	Count       int
}

type capacityData struct {
	Capacity int
	Months   []capMonth
	Legend   []capLegend
	Table    chartTable
}

// capacityKind classifies a listed date: over or full by its bookings against the daily
// capacity, otherwise free, partly booked or (not a wedding day) a booking on another day.
func capacityKind(c store.CapacityDay, capacity int) string {
	switch {
	case c.Bookings > capacity:
		return "over"
	case c.Bookings >= capacity && c.Bookings > 0:
		return "full"
	case !c.IsWeddingDay:
		return "other"
	case c.Bookings == 0:
		return "free"
	}
	return "partial"
}

func capacityModel(k *store.KPIs) capacityData {
	capacity := max(k.DailyCapacity, 1)
	d := capacityData{Capacity: capacity}
	start := parseDay(k.Today)
	if start.IsZero() && len(k.CapacityCalendar) > 0 {
		start = parseDay(k.CapacityCalendar[0].Date)
	}
	if start.IsZero() {
		return d
	}
	end := start.AddDate(0, 0, 364)
	byDate := make(map[string]store.CapacityDay, len(k.CapacityCalendar))
	for _, c := range k.CapacityCalendar {
		byDate[c.Date] = c
	}
	conflicts := conflictsByDate(k)
	total := map[string]int{}
	for m := time.Date(start.Year(), start.Month(), 1, 0, 0, 0, 0, time.UTC); !m.After(end); m = m.AddDate(0, 1, 0) {
		mo := capMonth{ID: m.Format("2006-01"), Label: m.Format("Jan 2006"), Long: m.Format("January 2006"), Counts: map[string]int{}}
		for day := m; day.Month() == m.Month(); day = day.AddDate(0, 0, 1) {
			if day.Before(start) || day.After(end) {
				continue
			}
			cell := capCell{Kind: "plain"}
			if len(mo.Cells) == 0 {
				cell.Col = (int(day.Weekday())+6)%7 + 1
			}
			if c, ok := byDate[day.Format("2006-01-02")]; ok {
				cell.Kind = capacityKind(c, capacity)
				cell.Title = day.Format("Mon 2 Jan") + ": " + capacityWords(cell.Kind, c.Bookings, capacity)
				mo.Counts[cell.Kind]++
				total[cell.Kind]++
			}
			if c, ok := conflicts[day.Format("2006-01-02")]; ok {
				cell.Conflict = true
				cell.Title = "Calendar conflict on " + conflictWords(c, capacity)
			}
			mo.Cells = append(mo.Cells, cell)
		}
		mo.Summary = mo.Long + ": " + capacitySummary(mo.Counts)
		d.Months = append(d.Months, mo)
	}
	for _, kd := range capacityKinds {
		if kd.Kind == "partial" && capacity == 1 {
			continue // with one wedding a day, a wedding day is either free or full
		}
		d.Legend = append(d.Legend, capLegend{Kind: kd.Kind, Label: kd.Label, Count: total[kd.Kind]})
	}
	d.Table = chartTable{Name: "capacity_calendar", Heads: []string{"Month"}}
	for _, l := range d.Legend {
		d.Table.Heads = append(d.Table.Heads, l.Label)
	}
	for _, mo := range d.Months {
		row := []string{mo.Long}
		for _, l := range d.Legend {
			row = append(row, strconv.Itoa(mo.Counts[l.Kind]))
		}
		d.Table.Rows = append(d.Table.Rows, row)
	}
	return d
}

// capacityWords describes one day for its tooltip: "fully booked (1 of 1)".
func capacityWords(kind string, bookings, capacity int) string {
	for _, kd := range capacityKinds {
		if kd.Kind == kind {
			return kd.Tip + " (" + strconv.Itoa(bookings) + " of " + strconv.Itoa(capacity) + ")"
		}
	}
	return ""
}

// capacitySummary counts a month's days in words: "4 free wedding days, 3 fully booked".
func capacitySummary(counts map[string]int) string {
	var parts []string
	for _, kd := range capacityKinds {
		if n := counts[kd.Kind]; n > 0 {
			parts = append(parts, plural(n, kd.One, kd.Many))
		}
	}
	if len(parts) == 0 {
		return "no wedding days or bookings"
	}
	return strings.Join(parts, ", ")
}

// gridPath draws the horizontal gridline of every tick as one path.
func gridPath(ticks []axisTick) string {
	var b strings.Builder
	for _, t := range ticks {
		b.WriteString("M" + num(axisLeft) + " " + t.Y + "H" + num(chartW-axisRight))
	}
	return b.String()
}

// hBarPath is a horizontal bar 14 high from x = 0 to w at y, every corner rounded by 3.
func hBarPath(y, w float64) string {
	const h = 14.0
	r := math.Min(3, w/2)
	var b pathData
	b.cmd('M', r, y)
	b.cmd('h', w-2*r)
	b.cmd('q', r, 0, r, r)
	b.cmd('v', h-2*r)
	b.cmd('q', 0, r, -r, r)
	b.cmd('h', -(w - 2*r))
	b.cmd('q', -r, 0, -r, -r)
	b.cmd('v', -(h - 2*r))
	b.cmd('q', 0, -r, r, -r)
	b.cmd('z')
	return string(b)
}
