package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The dataset of the metrics benchmark: one busy supplier's five years, generated
// deterministically from a seed and loaded with COPY as the superuser (COPY FROM is refused
// under row level security, which the superuser bypasses). Volume grows ~12% a year; weddings
// peak May-October on Saturdays (then Fridays and Sundays); inquiries peak in the engagement
// season (December-February); bookings are made 2-18 months ahead and paid by a deposit and
// monthly instalments up to two weeks before the wedding; the rest of the payments are unlinked
// sales (prints, albums, add-ons). Statuses, refunds, fees and a few foreign-currency rows
// follow a realistic mix. Rows are inserted in time order, as they arrive in production.

// sizes are the row counts of the dataset.
type sizes struct {
	payments, bookings, inquiries, reviews int
	years                                  int
}

var (
	weddingMonth = [12]float64{0.35, 0.45, 0.6, 0.85, 1.2, 1.5, 1.35, 1.45, 1.6, 1.5, 0.7, 0.55}
	inquiryMonth = [12]float64{1.6, 1.4, 1.1, 0.9, 0.85, 0.8, 0.8, 0.85, 0.9, 1.0, 1.1, 1.5}
	weekday      = [7]float64{0.5, 0.08, 0.08, 0.1, 0.2, 0.6, 1.0} // Sunday first
	firstNames   = []string{"Ava", "Ben", "Chloé", "Dev", "Ella", "Finn", "Grace", "Hugo", "Isla", "Jon", "Kira", "Leo",
		"Maya", "Noah", "Olivia", "Priya", "Quinn", "Rosa", "Sam", "Tara", "Uma", "Vik", "Wren", "Yusuf", "Zoe"}
	lastNames = []string{"Smith", "Okafor", "Rossi", "Nair", "Becker", "Liu", "García", "Cole", "Martin", "Park",
		"Bianchi", "Jensen", "Silva", "Kowalski", "Murphy", "Haddad", "Tanaka", "Dubois"}
	sources = []weighted{{"website", 35}, {"instagram", 25}, {"referral", 15}, {"the_knot", 12}, {"google", 10}, {"facebook", 3}}
)

type weighted struct {
	v string
	w float64
}

// gen draws the dataset's instants and amounts.
type gen struct {
	rng         *rand.Rand
	loc         *time.Location
	start, now  time.Time
	years       float64
	growthPerYr float64
}

// instant is a time in start .. now with density ∝ growth × the month's weight.
func (g *gen) instant(months *[12]float64) time.Time {
	span := g.now.Sub(g.start)
	maxW := slices.Max(months[:]) * math.Pow(g.growthPerYr, g.years)
	for {
		t := g.start.Add(time.Duration(g.rng.Int64N(int64(span))))
		y := t.Sub(g.start).Hours() / (24 * 365.25)
		if g.rng.Float64()*maxW < months[t.In(g.loc).Month()-1]*math.Pow(g.growthPerYr, y) {
			return t
		}
	}
}

// weddingDate is a date 60..540 days after booked, weighted by season and weekday.
func (g *gen) weddingDate(booked time.Time) time.Time {
	y, m, d := booked.In(g.loc).Date()
	base := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	for {
		w := base.AddDate(0, 0, 60+g.rng.IntN(480))
		if g.rng.Float64()*1.6 < weddingMonth[w.Month()-1]*weekday[w.Weekday()] {
			return w
		}
	}
}

func (g *gen) logNormal(median, sigma float64) float64 {
	return median * math.Exp(sigma*g.rng.NormFloat64())
}

func (g *gen) pick(options []weighted) string {
	var total float64
	for _, o := range options {
		total += o.w
	}
	x := g.rng.Float64() * total
	for _, o := range options {
		if x -= o.w; x < 0 {
			return o.v
		}
	}
	return options[len(options)-1].v
}

type benchBooking struct {
	booked   time.Time
	wedding  time.Time // civil date
	status   string
	contract int64
	currency string
}

type benchPayment struct {
	booking  int32 // index into bookings, -1 for none
	amount   int64
	refunded int64
	currency string
	status   string
	provider string
	paid     time.Time
}

// loadDataset generates the dataset for org and COPYs it in as the superuser.
func loadDataset(ctx context.Context, admin *pgxpool.Pool, org int64, cur string, loc *time.Location, now time.Time, n sizes, seed uint64) error {
	g := &gen{rng: rand.New(rand.NewPCG(seed, 2026)), loc: loc, now: now, start: now.AddDate(-n.years, 0, 0),
		years: float64(n.years), growthPerYr: 1.12}
	bookings := g.bookings(n.bookings, cur)
	clientIDs, err := copyIDs(ctx, admin, "clients", []string{"org_id", "name", "email"}, len(bookings), func(i int) []any {
		a, b, last := firstNames[g.rng.IntN(len(firstNames))], firstNames[g.rng.IntN(len(firstNames))], lastNames[g.rng.IntN(len(lastNames))]
		return []any{org, a + " & " + b + " " + last, fmt.Sprintf("couple%d@example.com", i)}
	})
	if err != nil {
		return err
	}
	bookingIDs, err := copyIDs(ctx, admin, "bookings", []string{"org_id", "client_id", "title", "wedding_date", "booked_at",
		"status", "contract_amount", "currency"}, len(bookings), func(i int) []any {
		b := bookings[i]
		return []any{org, clientIDs[i], "Wedding " + b.wedding.Format("2 Jan 2006"), b.wedding, b.booked, b.status, b.contract, b.currency}
	})
	if err != nil {
		return err
	}
	if err := g.copyInvoices(ctx, admin, org, bookings, bookingIDs); err != nil {
		return err
	}
	payments := g.payments(n.payments, bookings, cur)
	if err := copyRows(ctx, admin, "payments", []string{"org_id", "provider", "booking_id", "amount", "refunded_amount", "fee",
		"currency", "status", "paid_at"}, len(payments), func(i int) []any {
		p := payments[i]
		var booking any
		if p.booking >= 0 {
			booking = bookingIDs[p.booking]
		}
		fee := int64(0)
		if p.provider != "manual" {
			fee = p.amount*29/1000 + 30
		}
		return []any{org, p.provider, booking, p.amount, p.refunded, fee, p.currency, p.status, p.paid}
	}); err != nil {
		return err
	}
	if err := g.copyInquiries(ctx, admin, org, cur, n.inquiries); err != nil {
		return err
	}
	reviewTimes := make([]time.Time, n.reviews)
	for i := range reviewTimes {
		reviewTimes[i] = g.instant(&weddingMonth)
	}
	slices.SortFunc(reviewTimes, time.Time.Compare)
	ratings := []weighted{{"5", 70}, {"4", 20}, {"3", 6}, {"2", 2.5}, {"1", 1.5}}
	if err := copyRows(ctx, admin, "reviews", []string{"org_id", "rating", "source", "received_at"}, n.reviews, func(i int) []any {
		return []any{org, int16(g.pick(ratings)[0] - '0'), "google", reviewTimes[i]}
	}); err != nil {
		return err
	}
	_, err = admin.Exec(ctx, `insert into integrations (org_id, public_id, provider, status, last_success_at)
		values ($1, 'int_bench_stripe', 'stripe', 'healthy', $2)`, org, now.Add(-3*time.Minute))
	return err
}

// bookings are n bookings in booked_at order.
func (g *gen) bookings(n int, cur string) []benchBooking {
	today := civilOf(g.now.In(g.loc))
	out := make([]benchBooking, n)
	for i := range out {
		b := &out[i]
		b.booked = g.instant(&inquiryMonth)
		b.wedding = g.weddingDate(b.booked)
		switch {
		case g.rng.IntN(100) < 7:
			b.status = "cancelled"
		case b.wedding.Before(today):
			b.status = "completed"
		default:
			b.status = "confirmed"
		}
		b.contract = int64(min(max(g.logNormal(350_000, 0.45), 50_000), 2_500_000)) / 100 * 100
		b.currency = g.pick([]weighted{{cur, 985}, {"EUR", 10}, {"GBP", 5}})
	}
	slices.SortFunc(out, func(a, b benchBooking) int { return a.booked.Compare(b.booked) })
	return out
}

// payments are a deposit and monthly instalments of every booking, up to now, topped up with
// unlinked sales to n, in paid_at order.
func (g *gen) payments(n int, bookings []benchBooking, cur string) []benchPayment {
	out := make([]benchPayment, 0, n)
	add := func(booking int32, amount int64, currency string, paid time.Time) {
		if !paid.Before(g.now) {
			return
		}
		p := benchPayment{booking: booking, amount: max(amount, 100), currency: currency, paid: paid,
			provider: g.pick([]weighted{{"stripe", 70}, {"square", 15}, {"paypal", 10}, {"manual", 5}})}
		p.status = g.pick([]weighted{{"succeeded", 91}, {"partially_refunded", 3}, {"refunded", 1.5}, {"pending", 1.5}, {"failed", 3}})
		switch p.status {
		case "partially_refunded":
			p.refunded = p.amount * int64(10+g.rng.IntN(40)) / 100
		case "refunded":
			p.refunded = p.amount
		case "pending":
			if g.now.Sub(paid) > 7*24*time.Hour {
				p.status = "succeeded"
			}
		}
		out = append(out, p)
	}
	for i, b := range bookings {
		currency := b.currency
		if g.rng.IntN(500) == 0 {
			currency = "EUR" // paid in another currency than the contract's
		}
		deposit := b.contract * 3 / 10
		add(int32(i), deposit, currency, b.booked.Add(time.Duration(g.rng.Int64N(int64(72*time.Hour)))))
		if b.status == "cancelled" {
			continue
		}
		last := time.Date(b.wedding.Year(), b.wedding.Month(), b.wedding.Day()-14, 12, 0, 0, 0, g.loc)
		k := min(max(int(last.Sub(b.booked).Hours()/(24*30)), 1), 10)
		for j := 1; j <= k; j++ {
			at := b.booked.Add(time.Duration(float64(last.Sub(b.booked)) * float64(j) / float64(k)))
			add(int32(i), (b.contract-deposit)/int64(k), currency, at.Add(time.Duration(g.rng.Int64N(int64(48*time.Hour)))))
		}
	}
	// Keep at most 90% of n for bookings; the rest are unlinked sales.
	for len(out) > n*9/10 {
		i := g.rng.IntN(len(out))
		out[i] = out[len(out)-1]
		out = out[:len(out)-1]
	}
	for len(out) < n {
		add(-1, int64(g.logNormal(15_000, 0.8)), g.pick([]weighted{{cur, 980}, {"EUR", 12}, {"GBP", 8}}), g.instant(&weddingMonth))
	}
	slices.SortFunc(out, func(a, b benchPayment) int { return a.paid.Compare(b.paid) })
	return out
}

// copyInvoices writes a deposit and a balance invoice per booking.
func (g *gen) copyInvoices(ctx context.Context, admin *pgxpool.Pool, org int64, bookings []benchBooking, ids []int64) error {
	today := civilOf(g.now.In(g.loc))
	return copyRows(ctx, admin, "invoices", []string{"org_id", "booking_id", "number", "due_date", "amount", "amount_paid", "status"},
		2*len(bookings), func(i int) []any {
			b, part := bookings[i/2], i%2
			deposit := b.contract * 3 / 10
			due, amount := civilOf(b.booked.In(g.loc)).AddDate(0, 0, 7), deposit
			if part == 1 {
				due, amount = b.wedding.AddDate(0, 0, -30), b.contract-deposit
			}
			status, paid := "paid", amount
			switch {
			case b.status == "cancelled":
				status, paid = "void", 0
			case !due.Before(today):
				status, paid = "open", amount*int64(g.rng.IntN(90))/100
			case g.rng.IntN(100) < 4: // overdue
				status, paid = "open", amount*int64(g.rng.IntN(50))/100
			}
			return []any{org, ids[i/2], fmt.Sprintf("INV-%d-%d", ids[i/2], part+1), due, amount, paid, status}
		})
}

// copyInquiries writes n inquiries in received_at order.
func (g *gen) copyInquiries(ctx context.Context, admin *pgxpool.Pool, org int64, cur string, n int) error {
	received := make([]time.Time, n)
	for i := range received {
		received[i] = g.instant(&inquiryMonth)
	}
	slices.SortFunc(received, time.Time.Compare)
	return copyRows(ctx, admin, "inquiries", []string{"org_id", "source", "received_at", "first_response_at", "wedding_date",
		"status", "estimated_value", "currency"}, n, func(i int) []any {
		at := received[i]
		var response any
		answered := g.rng.IntN(100) < 92
		if answered {
			wait := time.Duration(min(g.logNormal(3, 1.2), 7*24) * float64(time.Hour))
			if r := at.Add(wait); r.Before(g.now) {
				response = r
			}
		}
		var status string
		switch {
		case g.now.Sub(at) > 60*24*time.Hour:
			status = g.pick([]weighted{{"booked", 40}, {"lost", 60}})
		case response == nil:
			status = "new"
		default:
			status = g.pick([]weighted{{"contacted", 30}, {"proposal", 25}, {"booked", 25}, {"lost", 20}})
		}
		return []any{org, g.pick(sources), at, response, g.weddingDate(at), status, int64(g.logNormal(350_000, 0.5)), cur}
	})
}

func civilOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// copyRows COPYs n rows made by row into table.
func copyRows(ctx context.Context, admin *pgxpool.Pool, table string, cols []string, n int, row func(i int) []any) error {
	i := 0
	t0 := time.Now()
	defer func() { fmt.Printf("  copy %-9s %7d rows in %s\n", table, n, time.Since(t0).Round(time.Millisecond)) }()
	got, err := admin.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromFunc(func() ([]any, error) {
		if i == n {
			return nil, nil
		}
		i++
		return row(i - 1), nil
	}))
	if err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	if int(got) != n {
		return fmt.Errorf("copy %s: %d of %d rows", table, got, n)
	}
	return nil
}

// copyIDs is copyRows for a table whose ids the next tables need: a COPY assigns serial ids in
// row order, so the new ids, ascending, belong to rows 0..n-1.
func copyIDs(ctx context.Context, admin *pgxpool.Pool, table string, cols []string, n int, row func(i int) []any) ([]int64, error) {
	var before int64
	if err := admin.QueryRow(ctx, "select coalesce(max(id), 0) from "+pgx.Identifier{table}.Sanitize()).Scan(&before); err != nil {
		return nil, err
	}
	if err := copyRows(ctx, admin, table, cols, n, row); err != nil {
		return nil, err
	}
	rows, err := admin.Query(ctx, "select id from "+pgx.Identifier{table}.Sanitize()+" where id > $1 order by id", before)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err == nil && len(ids) != n {
		err = fmt.Errorf("%s: %d new ids for %d rows", table, len(ids), n)
	}
	return ids, err
}
