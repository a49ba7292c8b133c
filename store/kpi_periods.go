package store

import "time"

// PeriodFigures are the revenue and pipeline figures of one period of the dashboard's period
// switch (month, quarter or year to date, or the last twelve months), each with the same window
// one year earlier. Windows follow METRICS.md's conventions (local dates, Feb 29 -> Feb 28).
type PeriodFigures struct {
	Key   string `json:"key"`   // mtd, qtd, ytd, ltm
	Label string `json:"label"` // "Month to date", ...
	From  string `json:"from"`  // first local date, YYYY-MM-DD
	To    string `json:"to"`    // last local date (today)

	Revenue          int64     `json:"revenue"`
	RevenueLastYear  int64     `json:"revenue_last_year"`
	RevenueChangePct *Decimal1 `json:"revenue_change_pct"`

	Bookings          int       `json:"bookings"`
	BookingsLastYear  int       `json:"bookings_last_year"`
	BookingsChangePct *Decimal1 `json:"bookings_change_pct"`
	BookedValue       int64     `json:"booked_value"`

	Inquiries          int       `json:"inquiries"`
	InquiriesLastYear  int       `json:"inquiries_last_year"`
	InquiriesChangePct *Decimal1 `json:"inquiries_change_pct"`
}

// PeriodKeys are the periods of the switch, in display order.
var PeriodKeys = []string{"mtd", "qtd", "ytd", "ltm"}

// periodLabels are the display names of PeriodKeys.
var periodLabels = map[string]string{
	"mtd": "Month to date", "qtd": "Quarter to date", "ytd": "Year to date", "ltm": "Last 12 months",
}

// periodWindow is one period as civil dates (UTC midnights), both ends inclusive, with its
// window one year earlier.
type periodWindow struct {
	key          string
	from, to     time.Time
	lyFrom, lyTo time.Time
}

// periodWindows returns the windows of PeriodKeys for the local date today. "The same window
// last year" keeps the month and day numbers (Feb 29 becomes Feb 28); for the last 12 months it
// is the 365 dates ending on that day.
func periodWindows(today time.Time) []periodWindow {
	y, m, _ := today.Date()
	lyToday := sameDayLastYear(today)
	quarter := m - (m-1)%3
	var out []periodWindow
	for _, key := range PeriodKeys {
		p := periodWindow{key: key, to: today, lyTo: lyToday}
		switch key {
		case "mtd":
			p.from, p.lyFrom = civil(y, m, 1), civil(y-1, m, 1)
		case "qtd":
			p.from, p.lyFrom = civil(y, quarter, 1), civil(y-1, quarter, 1)
		case "ytd":
			p.from, p.lyFrom = civil(y, 1, 1), civil(y-1, 1, 1)
		case "ltm":
			p.from, p.lyFrom = today.AddDate(0, 0, -364), lyToday.AddDate(0, 0, -364)
		default:
			panic("store: no window for period " + key)
		}
		out = append(out, p)
	}
	return out
}

// sameDayLastYear is the same month and day one year earlier, Feb 29 mapping to Feb 28.
func sameDayLastYear(d time.Time) time.Time {
	y, m, dd := d.Date()
	if m == time.February && dd == 29 {
		dd = 28
	}
	return civil(y-1, m, dd)
}

// bounds are the segment bounds the period windows need: each window's first date and the day
// after its last.
func (p periodWindow) bounds() []time.Time {
	return []time.Time{p.from, p.to.AddDate(0, 0, 1), p.lyFrom, p.lyTo.AddDate(0, 0, 1)}
}

// figures sums the period's figures from the segment sums of the three tables: revenue (net),
// bookings (counting, counting in the organization's currency, their contracts) and inquiries.
func (p periodWindow) figures(revenue, bookings, inquiries *segments) PeriodFigures {
	f := PeriodFigures{Key: p.key, Label: periodLabels[p.key], From: ymd(p.from), To: ymd(p.to),
		Revenue:   revenue.sum(p.from, p.to, 0),
		Bookings:  int(bookings.sum(p.from, p.to, 0)),
		Inquiries: int(inquiries.sum(p.from, p.to, 0)),

		RevenueLastYear:   revenue.sum(p.lyFrom, p.lyTo, 0),
		BookingsLastYear:  int(bookings.sum(p.lyFrom, p.lyTo, 0)),
		InquiriesLastYear: int(inquiries.sum(p.lyFrom, p.lyTo, 0)),

		BookedValue: bookings.sum(p.from, p.to, 2),
	}
	f.RevenueChangePct = pctChange(f.Revenue, f.RevenueLastYear)
	f.BookingsChangePct = pctChange(int64(f.Bookings), int64(f.BookingsLastYear))
	f.InquiriesChangePct = pctChange(int64(f.Inquiries), int64(f.InquiriesLastYear))
	return f
}
