package demo

import (
	"math"
	"time"
)

// Contract prices when the history starts, for quantiles 0 to 1; they rise by priceGrowth.
const (
	priceLow  = 2900.0
	priceSpan = 4300.0
)

// leadWeights weighs how many calendar months after its booking a wedding's balance falls due
// (2 to 12, which puts the wedding 2 to 14 months after the booking): most often seven.
var leadWeights = [13]float64{2: 0.3, 3: 0.6, 4: 0.9, 5: 1.2, 6: 1.4, 7: 1.5, 8: 1.4, 9: 1.2, 10: 0.9, 11: 0.6, 12: 0.35}

// weddings plans every generic wedding. Weddings are counted by the month their balance falls
// due (30 days before the wedding): each such month has a target that follows the trend and the
// season, spread over the months it can be booked in by leadWeights. Walking the booking months
// in order, each month books the rounded sum of its shares, and each of its bookings goes to the
// due month furthest behind its share so far. Then the prices of each due month's weddings make
// up for the rounding of their number. Deposits and balances of each month follow their targets
// closely, so the monthly revenue is as smooth as that of a steadily growing business (which
// the dashboard's forecast relies on); stratified quantiles keep the variety of random draws.
func (g *gen) weddings() {
	first := monthOf(g.start)
	lastBooked := monthsBetween(first, monthOf(g.today)) + 1
	target := make([]float64, lastBooked+len(leadWeights))
	for w := range target {
		m := first.AddDate(0, w, 0)
		noise := 1 + 0.06*(g.r.Float64()-0.5)
		target[w] = baseWeddings * math.Pow(1+countGrowth, g.years(g.at(m, 0, 0))) * season[m.Month()%12] / 12 * noise
	}
	for _, d := range []time.Time{g.today, g.weekend[0], g.weekend[1]} { // specialWeddings adds these
		w := monthsBetween(first, d.AddDate(0, 0, -30))
		target[w] = max(target[w]-1, 0)
	}
	wsum := 0.0
	for _, x := range leadWeights {
		wsum += x
	}
	share, got := make([]float64, len(target)), make([]float64, len(target))
	booked := make([][]int, len(target)) // per due month: the bookings made
	cum, emitted := 0.0, 0
	for b := 0; b <= lastBooked; b++ {
		for k, x := range leadWeights {
			share[b+k] += target[b+k] * x / wsum
			cum += target[b+k] * x / wsum
		}
		n := int(math.Round(cum)) - emitted
		emitted += n
		month := first.AddDate(0, b, 0)
		days := month.AddDate(0, 1, 0).Sub(month).Hours() / 24
		for _, q := range g.strata(n) {
			w := b + 2
			for k := 3; k < len(leadWeights); k++ {
				if share[b+k]-got[b+k] > share[w]-got[w] {
					w = b + k
				}
			}
			got[w]++
			d, ok := g.freeDate(first.AddDate(0, w, 0))
			if !ok {
				continue
			}
			at := g.at(month.AddDate(0, 0, int(q*days)), 9+g.r.IntN(12), g.r.IntN(60))
			if bi := g.book(d, at, 0); bi >= 0 {
				g.taken[d] = true
				booked[w] = append(booked[w], bi)
			}
		}
	}
	for w, list := range booked {
		g.setPrices(list, share[w]*(1-cancelRate), len(list) == int(got[w]))
	}
	g.balanceDeposits(booked)
}

// balanceDeposits swaps contracts between weddings of the same due month (which keeps each
// month's balances) so that each month's deposits come close to their usual amount too.
func (g *gen) balanceDeposits(byDue [][]int) {
	dev := map[time.Time]float64{} // per booking month: deposits minus their usual amount
	month := func(bi int) time.Time { return monthOf(dateOf(g.d.bookings[bi].booked, g.loc)) }
	for _, list := range byDue {
		for _, bi := range list {
			b := g.d.bookings[bi]
			dev[month(bi)] += float64(b.contract) - 100*(priceLow+priceSpan/2)*math.Pow(1+priceGrowth, g.years(b.booked))
		}
	}
	for range 4 {
		for _, list := range byDue {
			for i, x := range list {
				for _, y := range list[i+1:] {
					bx, by := &g.d.bookings[x], &g.d.bookings[y]
					mx, my := month(x), month(y)
					if mx == my || !bx.cancelled.IsZero() || !by.cancelled.IsZero() {
						continue
					}
					d := float64(by.contract - bx.contract) // what x's month gains by the swap
					if sq(dev[mx]+d)+sq(dev[my]-d) < sq(dev[mx])+sq(dev[my]) {
						bx.contract, by.contract = by.contract, bx.contract
						dev[mx] += d
						dev[my] -= d
					}
				}
			}
		}
	}
}

func sq(x float64) float64 { return x * x }

// setPrices sets the contracts of the weddings of one due month. When the month is complete
// (none of its planned weddings fell outside the history), the prices of those that go ahead
// add up to what expected weddings would pay on average.
func (g *gen) setPrices(list []int, expected float64, complete bool) {
	var live []int
	for _, bi := range list {
		if b := &g.d.bookings[bi]; b.cancelled.IsZero() {
			live = append(live, bi)
		} else {
			b.contract = g.price(b.booked, g.r.Float64())
		}
	}
	if len(live) == 0 {
		return
	}
	mean := 0.5
	if complete {
		f := expected / float64(len(live))
		mean = min(max(((priceLow+priceSpan/2)*f-priceLow)/priceSpan, 0.1), 0.9)
	}
	spread := 2 * min(mean, 1-mean)
	for i, q := range g.strataAt(len(live), 0.5) {
		// Most contracts are mid-range: q becomes triangular around the middle.
		x := math.Sqrt(q / 2)
		if q >= 0.5 {
			x = 1 - math.Sqrt((1-q)/2)
		}
		b := &g.d.bookings[live[i]]
		b.contract = g.price(b.booked, mean+spread*(x-0.5))
	}
}

// price is a contract amount in cents for a booking made at t, for quantile q in [0, 1): from
// $2,900 to $7,200 when the history starts, rising with prices, in steps of $50 within
// $2,500..$9,000.
func (g *gen) price(t time.Time, q float64) int64 {
	dollars := (priceLow + priceSpan*q) * math.Pow(1+priceGrowth, g.years(t))
	v := int64(math.Round(dollars/50)) * 50
	return min(max(v, 2500), 9000) * 100
}

// strata returns n quantiles in [0, 1), one in each of n equal strata, in random order.
func (g *gen) strata(n int) []float64 { return g.strataAt(n, g.r.Float64()) }

// strataAt is strata at offset u in each stratum; with u = 0.5 their mean is exactly 0.5.
func (g *gen) strataAt(n int, u float64) []float64 {
	qs := make([]float64, n)
	for i := range qs {
		qs[i] = (float64(i) + u) / float64(n)
	}
	g.r.Shuffle(n, func(i, j int) { qs[i], qs[j] = qs[j], qs[i] })
	return qs
}

// monthsBetween counts the calendar months from a to b.
func monthsBetween(a, b time.Time) int {
	return (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month())
}

// freeDate picks a wedding date without a wedding, away from the special weddings, whose balance
// falls due in month m: mostly a Saturday.
func (g *gen) freeDate(m time.Time) (time.Time, bool) {
	var days []time.Time
	var ws []float64
	for d := m.AddDate(0, 0, 30); d.AddDate(0, 0, -30).Month() == m.Month(); d = d.AddDate(0, 0, 1) {
		if g.taken[d] || (!d.Before(g.today) && !d.After(g.weekend[1])) {
			continue
		}
		days = append(days, d)
		ws = append(ws, dayWeight[d.Weekday()])
	}
	if len(days) == 0 {
		return time.Time{}, false
	}
	return days[g.weighted(ws)], true
}

// specialWeddings adds exactly one wedding today and one on each of the next two wedding days.
func (g *gen) specialWeddings() {
	for i, d := range []time.Time{g.today, g.weekend[0], g.weekend[1]} {
		bi := g.book(d, g.at(d.AddDate(0, 0, -120-g.r.IntN(200)), 10+i, 15), i+1)
		g.d.bookings[bi].contract = g.price(g.d.bookings[bi].booked, 0.5)
		g.taken[d] = true
	}
}

// book plans the inquiry and booking of a wedding on date w, booked at the given time, and
// decides whether it will be cancelled; the caller sets the price. It returns the booking's index,
// or -1 when there is none: the inquiry came before the history or after now, or the couple has
// not decided yet (then the inquiry stays open).
func (g *gen) book(w, at time.Time, special int) int {
	received := at.Add(-time.Duration(4+g.r.IntN(28))*24*time.Hour - time.Duration(g.r.IntN(600))*time.Minute)
	if received.Before(g.startTime) || received.After(g.now.Add(-30*time.Minute)) {
		return -1
	}
	qi := g.inquiry(received, bookedSources, w)
	if at.Add(2 * time.Hour).After(g.now) {
		return -1
	}
	q := &g.d.inquiries[qi]
	q.status = "booked"
	b := booking{inquiry: qi, client: q.client, wedding: w, booked: at, status: "confirmed", updated: at, special: special}
	// Some couples cancel between two weeks after booking and the balance's due date: one in every
	// 1/cancelRate bookings, at an even pace so that each year has its share.
	if from, to := at.Add(14*24*time.Hour), g.at(w.AddDate(0, 0, -31), 12, 0); special == 0 && to.After(from) {
		if g.cancels += cancelRate; g.cancels >= 1 {
			g.cancels--
			if c := from.Add(time.Duration(g.r.Int64N(int64(to.Sub(from))))).Truncate(time.Minute); !c.After(g.now) {
				b.cancelled = c
			}
		}
	}
	g.d.bookings = append(g.d.bookings, b)
	return len(g.d.bookings) - 1
}
