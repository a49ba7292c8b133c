package demo

import (
	"cmp"
	"slices"
	"time"
)

// money adds a 30% deposit invoice paid at booking and a balance invoice due 30 days before the
// wedding to every booking, settles past balances, cancels a few bookings with a refund and
// leaves some balances of upcoming weddings overdue.
func (g *gen) money() {
	for bi := range g.d.bookings {
		b := &g.d.bookings[bi]
		deposit := (b.contract*3 + 5) / 10
		depInv := g.addInvoice(bi, 1, dateOf(b.booked, g.loc), deposit, b.booked)
		dp := g.pay(bi, depInv, deposit, b.booked.Add(time.Duration(3+g.r.IntN(110))*time.Minute), "succeeded")
		due := b.wedding.AddDate(0, 0, -30)
		balance := b.contract - deposit
		balInv := g.addInvoice(bi, 2, due, balance, b.booked)
		if !b.cancelled.IsZero() {
			g.cancel(bi, dp, balInv)
			continue
		}
		if b.wedding.Before(g.today) {
			b.status = "completed"
			b.updated = earliest(g.at(b.wedding.AddDate(0, 0, 1), 10, 0), g.now)
		}
		offset := -g.r.IntN(3)
		if g.r.Float64() < 0.15 {
			offset = 1 + g.r.IntN(3)
		}
		// Balances are paid around their due date, within its month.
		payDay := due.AddDate(0, 0, offset)
		if payDay.Month() != due.Month() {
			payDay = due
		}
		paidAt := g.at(payDay, 8+g.r.IntN(13), g.r.IntN(60))
		stuck := !b.wedding.Before(g.today) && due.Before(g.today) && g.r.Float64() < 0.06
		switch {
		case b.special == 3: // this weekend's second wedding: balance overdue after a declined card
			g.pay(bi, balInv, balance, g.at(due.AddDate(0, 0, 1), 9, 12), "failed")
		case b.special != 0:
			g.pay(bi, balInv, balance, g.at(due.AddDate(0, 0, -3), 11, 5), "succeeded")
		case stuck || paidAt.After(g.now):
			// Not paid yet: committed money, or overdue when the due date has passed.
		default:
			g.pay(bi, balInv, balance, paidAt, "succeeded")
		}
	}
}

// addInvoice adds an open invoice and returns its index.
func (g *gen) addInvoice(bi, part int, due time.Time, amount int64, created time.Time) int {
	g.d.invoices = append(g.d.invoices, invoice{
		booking: bi, part: part, due: due, amount: amount, status: "open", created: created, updated: created,
	})
	return len(g.d.invoices) - 1
}

// pay adds a payment on invoice ii (-1 for none), by card (with Stripe's fee) or by check or bank
// transfer, keeps the invoice's amount_paid and status in step and returns the payment's index.
func (g *gen) pay(bi, ii int, amount int64, at time.Time, status string) int {
	p := payment{
		provider: "manual", booking: bi, invoice: ii, amount: amount, currency: "USD",
		status: status, paid: at, updated: at, note: manualNotes[g.r.IntN(len(manualNotes))],
	}
	if status != "succeeded" || g.r.Float64() < 0.75 {
		p.provider, p.note = "stripe", cardNotes[g.r.IntN(len(cardNotes))]
	}
	switch status {
	case "failed":
		p.note += ": card declined (insufficient funds)"
	case "pending":
		p.note = "ACH bank debit, processing"
	default:
		if p.provider == "stripe" {
			p.fee = cardFee(amount)
		}
	}
	if status == "succeeded" && ii >= 0 {
		inv := &g.d.invoices[ii]
		inv.paid += amount
		inv.updated = at
		if inv.paid >= inv.amount {
			inv.status = "paid"
		}
	}
	g.d.payments = append(g.d.payments, p)
	return len(g.d.payments) - 1
}

// cardFee is Stripe's 2.9% + 30c, rounded half away from zero.
func cardFee(amount int64) int64 { return (amount*29+500)/1000 + 30 }

// cancel cancels booking bi, voids its balance invoice and refunds all or half of the deposit.
func (g *gen) cancel(bi, dp, balInv int) {
	b := &g.d.bookings[bi]
	b.status, b.updated = "cancelled", b.cancelled
	inv := &g.d.invoices[balInv]
	inv.status, inv.updated = "void", b.cancelled
	p := &g.d.payments[dp]
	if g.r.Float64() < 0.5 {
		p.status, p.refunded = "refunded", p.amount
	} else {
		p.status, p.refunded = "partially_refunded", p.amount/2
	}
	p.updated = b.cancelled
}

// extras adds two pending payments on the next balances due, and one payment in Canadian
// dollars (an album for the parents) so the dashboard can show its foreign-currency note.
func (g *gen) extras() {
	var next []int
	for ii, inv := range g.d.invoices {
		b := g.d.bookings[inv.booking]
		if inv.part == 2 && inv.status == "open" && inv.paid == 0 && !inv.due.Before(g.today) && b.special == 0 && b.status == "confirmed" {
			next = append(next, ii)
		}
	}
	slices.SortStableFunc(next, func(a, b int) int { return g.d.invoices[a].due.Compare(g.d.invoices[b].due) })
	for k, ii := range next[:min(2, len(next))] {
		inv := g.d.invoices[ii]
		g.pay(inv.booking, ii, inv.amount-inv.paid, g.now.Add(-time.Duration(3+9*k)*time.Hour).Truncate(time.Minute), "pending")
	}

	best := -1
	for bi, b := range g.d.bookings {
		if b.status != "completed" {
			continue
		}
		recent := b.wedding.After(g.today.AddDate(0, 0, -200)) && b.wedding.Before(g.today.AddDate(0, 0, -30))
		if best < 0 || recent && g.d.bookings[best].wedding.Compare(b.wedding) < 0 {
			best = bi
		}
	}
	if best < 0 {
		return
	}
	at := earliest(g.at(g.d.bookings[best].wedding.AddDate(0, 0, 14), 11, 20), g.now.Add(-time.Hour))
	g.d.payments = append(g.d.payments, payment{
		provider: "stripe", booking: best, invoice: -1, amount: 38500, fee: cardFee(38500), currency: "CAD",
		status: "succeeded", paid: at, updated: at, note: "Parents' album (Toronto), paid in CAD",
	})
}

// reviews adds reviews a few days to weeks after most past weddings: mostly five and four stars.
func (g *gen) reviews() {
	for bi, b := range g.d.bookings {
		if b.status != "completed" || g.r.Float64() >= reviewRate {
			continue
		}
		at := g.at(b.wedding.AddDate(0, 0, 5+g.r.IntN(40)), 8+g.r.IntN(14), g.r.IntN(60))
		if at.After(g.now) {
			continue
		}
		rating := 5 - g.weighted([]float64{68, 22, 5, 3, 2})
		bodies := reviewBodies[rating]
		g.d.reviews = append(g.d.reviews, review{
			booking: bi, client: b.client, rating: rating, body: bodies[g.r.IntN(len(bodies))],
			source: reviewSources[g.weighted([]float64{40, 30, 15, 15})], received: at,
		})
	}
}

// events adds the calendar: weddings of the next 60 days, two engagement sessions, upcoming
// consultations with open proposals and the consultations that led to recent bookings.
func (g *gen) events() {
	add := func(title, kind, status string, starts time.Time, d time.Duration, bi int, created time.Time) {
		g.d.events = append(g.d.events, event{title: title, kind: kind, status: status, starts: starts,
			ends: starts.Add(d), booking: bi, created: earliest(created, g.now)})
	}
	sessions := 0
	for bi, b := range g.d.bookings {
		name := g.d.clients[b.client].name
		switch {
		case b.status != "confirmed":
		case !b.wedding.After(g.today.AddDate(0, 0, 60)):
			add("Wedding: "+name, "wedding", "confirmed", g.at(b.wedding, 13+g.r.IntN(3), 0), 8*time.Hour, bi, b.booked)
		case sessions < 2 && b.wedding.After(g.today.AddDate(0, 0, 120)):
			add("Engagement session: "+name, "other", "confirmed", g.at(g.today.AddDate(0, 0, 3+7*sessions), 17, 30),
				90*time.Minute, bi, g.now.Add(-96*time.Hour))
			sessions++
		}
		if b.booked.After(g.now.Add(-45 * 24 * time.Hour)) {
			q := g.d.inquiries[b.inquiry]
			starts := g.at(dateOf(b.booked, g.loc).AddDate(0, 0, -2), 18, 0)
			if q.response != nil && starts.After(*q.response) {
				add("Consultation: "+name, "consultation", "confirmed", starts, time.Hour, -1, *q.response)
			}
		}
	}
	var open []int
	for qi, q := range g.d.inquiries {
		if q.status == "proposal" && q.received.After(g.now.Add(-30*24*time.Hour)) {
			open = append(open, qi)
		}
	}
	slices.SortStableFunc(open, func(a, b int) int {
		return cmp.Compare(g.d.inquiries[b].received.Unix(), g.d.inquiries[a].received.Unix())
	})
	for k, qi := range open[:min(4, len(open))] {
		q := g.d.inquiries[qi]
		status := "confirmed"
		if k%2 == 1 {
			status = "tentative"
		}
		add("Consultation: "+g.d.clients[q.client].name, "consultation", status,
			g.at(g.today.AddDate(0, 0, 1+2*k), 18+k%2, 0), time.Hour, -1, *q.response)
	}
}
