package demo

import (
	"math/rand/v2"
	"time"
)

// The shape of the history.
const (
	seedHi, seedLo = 0x77656473796e63, 0x64656d6f2d7631 // the fixed PCG seed
	historyYears   = 5
	baseWeddings   = 56.0  // weddings a year when the history starts
	countGrowth    = 0.06  // yearly growth of the number of weddings
	priceGrowth    = 0.035 // yearly growth of prices (with countGrowth about 10% revenue growth)
	conversion     = 0.36  // share of inquiries that book
	cancelRate     = 0.03
	reviewRate     = 0.62
)

// season weighs the wedding months (January first): peak May to October.
var season = [12]float64{0.55, 0.6, 0.75, 1.0, 1.25, 1.4, 1.15, 1.25, 1.45, 1.4, 0.7, 0.5}

// dayWeight weighs the weekdays of a wedding date (Sunday first): mostly Saturdays.
var dayWeight = [7]float64{4, 0.25, 0.25, 0.25, 0.7, 4, 12}

// Records refer to each other by index into the dataset's slices; -1 means none.
type client struct {
	name, email, phone string
	created            time.Time
}

type inquiry struct {
	client   int
	source   string
	received time.Time
	response *time.Time
	wedding  time.Time // a local date
	status   string
	estimate int64
}

type booking struct {
	inquiry, client int
	wedding         time.Time // a local date
	booked          time.Time
	status          string
	contract        int64
	updated         time.Time
	cancelled       time.Time // when the couple cancels; zero for none
	special         int       // 1 today's wedding, 2 and 3 the weekend's
}

type invoice struct {
	booking, part int // part 1 is the deposit, 2 the balance
	due           time.Time
	amount, paid  int64
	status        string
	created       time.Time
	updated       time.Time
}

type payment struct {
	provider               string
	booking, invoice       int
	amount, refunded, fee  int64
	currency, status, note string
	paid, updated          time.Time
}

type review struct {
	booking, client int
	rating          int
	body, source    string
	received        time.Time
}

type event struct {
	title, status, kind string
	starts, ends        time.Time
	booking             int
	created             time.Time
}

type dataset struct {
	clients   []client
	inquiries []inquiry
	bookings  []booking
	invoices  []invoice
	payments  []payment
	reviews   []review
	events    []event
}

// gen generates one dataset. Local dates are time.Time values at midnight UTC.
type gen struct {
	r            *rand.Rand
	loc          *time.Location
	now          time.Time
	today, start time.Time // local dates
	startTime    time.Time
	weekend      [2]time.Time // the two wedding days after today that get the special weddings
	taken        map[time.Time]bool
	cancels      float64 // cancellations due, see book
	d            dataset
}

// generate builds the whole history for now in loc.
func generate(now time.Time, loc *time.Location) *dataset {
	g := &gen{r: rand.New(rand.NewPCG(seedHi, seedLo)), loc: loc, now: now, taken: map[time.Time]bool{}}
	g.today = dateOf(now, loc)
	g.start = g.today.AddDate(-historyYears, 0, 0)
	g.startTime = g.at(g.start, 0, 0)
	g.weekend = weekendAfter(g.today)
	g.weddings()
	g.specialWeddings()
	g.openInquiries()
	g.unanswered()
	g.money()
	g.extras()
	g.reviews()
	g.events()
	return &g.d
}

// dateOf is t's local date in loc.
func dateOf(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// weekendAfter returns the first two Fridays, Saturdays or Sundays after today.
func weekendAfter(today time.Time) [2]time.Time {
	var out [2]time.Time
	n := 0
	for d := today.AddDate(0, 0, 1); n < 2; d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd == time.Friday || wd == time.Saturday || wd == time.Sunday {
			out[n] = d
			n++
		}
	}
	return out
}

// at is the instant of a local date and wall time.
func (g *gen) at(d time.Time, hour, minute int) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), hour, minute, 0, 0, g.loc)
}

// years is the time since the history started, in years.
func (g *gen) years(t time.Time) float64 {
	return t.Sub(g.startTime).Hours() / 24 / 365.25
}

// weighted picks an index with probability proportional to its weight.
func (g *gen) weighted(ws []float64) int {
	total := 0.0
	for _, w := range ws {
		total += w
	}
	x := g.r.Float64() * total
	for i, w := range ws {
		if x < w {
			return i
		}
		x -= w
	}
	return len(ws) - 1
}
