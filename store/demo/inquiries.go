package demo

import (
	"math"
	"time"
)

// inquiry adds a client and an inquiry received at t, answered after a few hours, with a status
// that fits its age; book overrides the status of those that book.
func (g *gen) inquiry(t time.Time, sources []float64, wedding time.Time) int {
	name, email, phone := g.couple()
	g.d.clients = append(g.d.clients, client{name: name, email: email, phone: phone, created: t})
	q := inquiry{
		client: len(g.d.clients) - 1, source: sourceNames[g.weighted(sources)], received: t,
		wedding: wedding, estimate: g.price(t, g.r.Float64()),
	}
	// Response delays are log-normal around two and a half hours: minutes to a couple of days.
	delay := time.Duration(min(max(math.Exp(math.Log(2.5)+1.1*g.r.NormFloat64()), 0.05), 60) * float64(time.Hour))
	resp := t.Add(delay).Truncate(time.Minute)
	age := g.now.Sub(t)
	switch {
	case !resp.After(g.now):
		q.response = &resp
	case age >= 20*time.Hour:
		resp = t.Add(age / 3).Truncate(time.Minute)
		q.response = &resp
	}
	u := g.r.Float64()
	switch {
	case q.response == nil:
		q.status = "new"
	case age < 3*24*time.Hour:
		q.status = "contacted"
	case age < 30*24*time.Hour:
		q.status = pick(u, "contacted", "proposal")
	case age < 90*24*time.Hour:
		q.status = pick(u, "contacted", "proposal", "lost", "lost")
	case u < 0.9:
		q.status = "lost"
	default:
		q.status = pick((u-0.9)*10, "contacted", "proposal")
	}
	g.d.inquiries = append(g.d.inquiries, q)
	return len(g.d.inquiries) - 1
}

// pick chooses one of choices by u in [0, 1).
func pick(u float64, choices ...string) string {
	return choices[min(int(u*float64(len(choices))), len(choices)-1)]
}

// openInquiries adds the inquiries that do not book, month by month, so that about a third of
// each month's inquiries (the conversion rate, give or take a point and a half) book.
func (g *gen) openInquiries() {
	perMonth := map[time.Time]int{}
	for _, q := range g.d.inquiries {
		perMonth[monthOf(dateOf(q.received, g.loc))]++
	}
	first := monthOf(g.start)
	cum, emitted := 0.0, 0
	for m := first; !m.After(g.today); m = m.AddDate(0, 1, 0) {
		rate := conversion + 0.03*(g.r.Float64()-0.5)
		cum += float64(perMonth[m]) * (1 - rate) / rate
		n := int(math.Round(cum)) - emitted
		emitted += n
		from, to := latest(g.at(m, 0, 0), g.startTime), earliest(g.at(m.AddDate(0, 1, 0), 0, 0), g.now.Add(-10*time.Minute))
		if !to.After(from) {
			continue
		}
		for range n {
			t := from.Add(time.Duration(g.r.Int64N(int64(to.Sub(from))))).Truncate(time.Minute)
			g.inquiry(t, unbookedSources, saturdayFrom(dateOf(t, g.loc).AddDate(0, 4+g.r.IntN(12), 0)))
		}
	}
}

// earliest is the earlier of two instants.
func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// latest is the later of two instants.
func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// saturdayFrom is the first Saturday on or after d.
func saturdayFrom(d time.Time) time.Time {
	return d.AddDate(0, 0, (int(time.Saturday)-int(d.Weekday())+7)%7)
}

// monthOf is the first day of d's month.
func monthOf(d time.Time) time.Time { return time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC) }

// unanswered adds four inquiries that have waited more than a day for an answer.
func (g *gen) unanswered() {
	for _, h := range []int{27, 41, 60, 85} {
		t := g.now.Add(-time.Duration(h)*time.Hour - time.Duration(g.r.IntN(30))*time.Minute).Truncate(time.Minute)
		qi := g.inquiry(t, unbookedSources, saturdayFrom(g.today.AddDate(0, 6+g.r.IntN(9), 0)))
		g.d.inquiries[qi].response = nil
		g.d.inquiries[qi].status = "new"
	}
}
