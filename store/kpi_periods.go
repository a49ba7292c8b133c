package store

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
