package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/storetest"
)

// kpiFixture is one organization's records, inserted as the superuser and remembered in Go so
// the oracle can recompute every KPI from its definition.
type kpiFixture struct {
	t           *testing.T
	env         *storetest.Env
	org         int64
	loc         *time.Location
	cur         string
	weddingDays []int
	capacity    int

	payments     []fxPayment
	bookings     []fxBooking
	invoices     []fxInvoice
	inquiries    []fxInquiry
	reviews      []fxReview
	integrations []fxIntegration
}

type fxPayment struct {
	ID               int64 // set by pay
	Booking          int64 // 0 = none
	Amount, Refunded int64
	Currency, Status string
	PaidAt           time.Time
}

type fxBooking struct {
	ID          int64
	Client      string // "" = no client row; the title is then "Booking <n>"
	WeddingDate string
	BookedAt    time.Time
	Status      string
	Contract    int64
	Currency    string
}

type fxInvoice struct {
	Booking      int64
	Due          string
	Amount, Paid int64
	Status       string
}

type fxInquiry struct {
	Source        string
	ReceivedAt    time.Time
	FirstResponse *time.Time
	Status        string
}

type fxReview struct {
	Rating     int
	ReceivedAt time.Time
}

type fxIntegration struct {
	Provider, Status string
	LastSuccessAt    *time.Time
}

// newFixture creates an organization with the given timezone and currency.
func newFixture(t *testing.T, env *storetest.Env, tz, cur string) *kpiFixture {
	t.Helper()
	loc, err := time.LoadLocation(tz)
	require.NoError(t, err)
	org, _ := env.NewOrg(t, "Fixture "+tz, tz, cur)
	return &kpiFixture{t: t, env: env, org: org, loc: loc, cur: cur, weddingDays: []int{5, 6, 0}, capacity: 1}
}

func (f *kpiFixture) exec(sql string, args ...any) {
	f.t.Helper()
	_, err := f.env.Admin.Exec(context.Background(), sql, args...)
	require.NoError(f.t, err, sql)
}

func (f *kpiFixture) setCapacity(days []int, capacity int) {
	f.exec(`update organizations set wedding_days = $2, daily_capacity = $3 where id = $1`, f.org, days, capacity)
	f.weddingDays, f.capacity = days, capacity
}

// local is a wall-clock time in the fixture's timezone.
func (f *kpiFixture) local(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, f.loc)
}

func (f *kpiFixture) pay(p fxPayment) {
	if p.Currency == "" {
		p.Currency = f.cur
	}
	if p.Status == "" {
		p.Status = "succeeded"
	}
	var booking any
	if p.Booking != 0 {
		booking = p.Booking
	}
	require.NoError(f.t, f.env.Admin.QueryRow(context.Background(), `insert into payments (org_id, booking_id, amount,
		refunded_amount, currency, status, paid_at) values ($1, $2, $3, $4, $5, $6, $7) returning id`,
		f.org, booking, p.Amount, p.Refunded, p.Currency, p.Status, p.PaidAt).Scan(&p.ID))
	f.payments = append(f.payments, p)
}

func (f *kpiFixture) book(b fxBooking) int64 {
	f.t.Helper()
	ctx := context.Background()
	if b.Currency == "" {
		b.Currency = f.cur
	}
	if b.Status == "" {
		b.Status = "confirmed"
	}
	var client any
	if b.Client != "" {
		var id int64
		require.NoError(f.t, f.env.Admin.QueryRow(ctx, `insert into clients (org_id, name) values ($1, $2) returning id`, f.org, b.Client).Scan(&id))
		client = id
	}
	title := fmt.Sprintf("Booking %d", len(f.bookings)+1)
	require.NoError(f.t, f.env.Admin.QueryRow(ctx, `insert into bookings (org_id, client_id, title, wedding_date, booked_at, status, contract_amount, currency)
		values ($1, $2, $3, $4::date, $5, $6, $7, $8) returning id`, f.org, client, title, b.WeddingDate, b.BookedAt, b.Status, b.Contract, b.Currency).Scan(&b.ID))
	if b.Client == "" {
		b.Client = title
	}
	f.bookings = append(f.bookings, b)
	return b.ID
}

func (f *kpiFixture) invoice(i fxInvoice) {
	if i.Status == "" {
		i.Status = "open"
	}
	f.exec(`insert into invoices (org_id, booking_id, due_date, amount, amount_paid, status) values ($1, $2, $3::date, $4, $5, $6)`,
		f.org, i.Booking, i.Due, i.Amount, i.Paid, i.Status)
	f.invoices = append(f.invoices, i)
}

func (f *kpiFixture) inquire(q fxInquiry) {
	if q.Source == "" {
		q.Source = "website"
	}
	if q.Status == "" {
		q.Status = "new"
	}
	f.exec(`insert into inquiries (org_id, source, received_at, first_response_at, status, currency) values ($1, $2, $3, $4, $5, $6)`,
		f.org, q.Source, q.ReceivedAt, q.FirstResponse, q.Status, f.cur)
	f.inquiries = append(f.inquiries, q)
}

func (f *kpiFixture) review(r fxReview) {
	f.exec(`insert into reviews (org_id, rating, received_at) values ($1, $2, $3)`, f.org, r.Rating, r.ReceivedAt)
	f.reviews = append(f.reviews, r)
}

func (f *kpiFixture) integrate(i fxIntegration) {
	f.exec(`insert into integrations (org_id, public_id, provider, status, last_success_at) values ($1, $2, $3, $4, $5)`,
		f.org, fmt.Sprintf("int_%d_%d", f.org, len(f.integrations)), i.Provider, i.Status, i.LastSuccessAt)
	f.integrations = append(f.integrations, i)
}

// randomFill adds a few thousand records spread over 2021..2030, half of them within 400 days
// of one of the anchors and many near local midnight, so month, year and DST boundaries are
// crossed, with every status, refunds, foreign currency and colliding wedding dates.
func (f *kpiFixture) randomFill(seed uint64, anchors []time.Time) {
	rng := rand.New(rand.NewPCG(seed, 1))
	lo := time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC)
	span := time.Date(2030, 6, 1, 0, 0, 0, 0, time.UTC).Sub(lo)
	when := func() time.Time {
		var t time.Time
		if rng.IntN(2) == 0 {
			t = anchors[rng.IntN(len(anchors))].Add(time.Duration(rng.Int64N(int64(800*24*time.Hour))) - 400*24*time.Hour)
		} else {
			t = lo.Add(time.Duration(rng.Int64N(int64(span))))
		}
		if rng.IntN(3) == 0 { // near a local midnight
			y, m, d := t.In(f.loc).Date()
			t = time.Date(y, m, d, 0, 0, 0, 0, f.loc).Add(time.Duration(rng.IntN(240)-120) * time.Minute)
		}
		return t.Add(time.Duration(rng.IntN(1_000_000)) * time.Microsecond)
	}
	pick := func(options ...string) string { return options[rng.IntN(len(options))] }
	foreign := func() string {
		if rng.IntN(10) == 0 {
			return "EUR"
		}
		return f.cur
	}
	// ~120 candidate wedding dates so that several bookings share a date.
	var weddingDates []string
	for range 120 {
		weddingDates = append(weddingDates, time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(7*365)).Format("2006-01-02"))
	}
	var ids []int64
	for i := range 300 {
		client := ""
		if i%2 == 0 {
			client = fmt.Sprintf("Couple %d", i)
		}
		ids = append(ids, f.book(fxBooking{Client: client, WeddingDate: weddingDates[rng.IntN(len(weddingDates))], BookedAt: when(),
			Status: pick("confirmed", "confirmed", "completed", "cancelled"), Contract: 100_000 + rng.Int64N(900_000), Currency: foreign()}))
	}
	for range 1200 {
		p := fxPayment{Amount: 1 + rng.Int64N(300_000), Currency: foreign(), PaidAt: when(),
			Status: pick("succeeded", "succeeded", "succeeded", "partially_refunded", "refunded", "pending", "failed")}
		switch p.Status {
		case "partially_refunded":
			p.Refunded = rng.Int64N(p.Amount)
		case "refunded":
			p.Refunded = p.Amount
		}
		if rng.IntN(3) > 0 {
			p.Booking = ids[rng.IntN(len(ids))]
		}
		f.pay(p)
	}
	for range 250 {
		amount := rng.Int64N(400_000)
		f.invoice(fxInvoice{Booking: ids[rng.IntN(len(ids))], Due: when().In(f.loc).Format("2006-01-02"), Amount: amount,
			Paid: rng.Int64N(amount + 1), Status: pick("open", "open", "paid", "void")})
	}
	for range 700 {
		q := fxInquiry{Source: pick("website", "instagram", "referral", "the_knot", "google"), ReceivedAt: when(),
			Status: pick("new", "contacted", "proposal", "booked", "booked", "lost")}
		if rng.IntN(5) > 0 {
			r := q.ReceivedAt.Add(time.Duration(rng.Int64N(int64(72 * time.Hour))))
			q.FirstResponse = &r
		}
		f.inquire(q)
	}
	for range 150 {
		f.review(fxReview{Rating: 1 + rng.IntN(5), ReceivedAt: when()})
	}
	f.mutate(rng, ids)
	ok := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f.integrate(fxIntegration{Provider: "stripe", Status: "healthy", LastSuccessAt: &ok})
	f.integrate(fxIntegration{Provider: "google_calendar", Status: "paused", LastSuccessAt: &ok})
	f.integrate(fxIntegration{Provider: "honeybook", Status: "failing"})
}

// mutate changes and deletes some of the payments and bookings as the app role (row level
// security applies, as for every write path), so the net paid per booking that migration 0006
// keeps in bookings.paid_net is checked after updates, deletes, relinks, refunds, currency
// changes and deleted bookings, not only after inserts.
func (f *kpiFixture) mutate(rng *rand.Rand, bookings []int64) {
	f.t.Helper()
	ctx := context.Background()
	write := func(sql string, args ...any) {
		f.t.Helper()
		require.NoError(f.t, f.env.DB.QuietWriteOrg(ctx, f.org, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, sql, args...)
			return err
		}), sql)
	}
	statuses := []string{"succeeded", "partially_refunded", "refunded", "pending", "failed"}
	for range 150 {
		i := rng.IntN(len(f.payments))
		p := &f.payments[i]
		switch rng.IntN(4) {
		case 0: // a refund or a status change
			p.Status = statuses[rng.IntN(len(statuses))]
			p.Refunded = 0
			switch p.Status {
			case "partially_refunded":
				p.Refunded = rng.Int64N(p.Amount + 1)
			case "refunded":
				p.Refunded = p.Amount
			}
			write(`update payments set status = $2, refunded_amount = $3 where id = $1`, p.ID, p.Status, p.Refunded)
		case 1: // linked to another booking, or unlinked
			p.Booking = 0
			if rng.IntN(4) > 0 {
				p.Booking = bookings[rng.IntN(len(bookings))]
			}
			write(`update payments set booking_id = nullif($2, 0) where id = $1`, p.ID, p.Booking)
		case 2: // another currency
			p.Currency = []string{f.cur, "EUR"}[rng.IntN(2)]
			write(`update payments set currency = $2 where id = $1`, p.ID, p.Currency)
		case 3:
			write(`delete from payments where id = $1`, p.ID)
			f.payments = slices.Delete(f.payments, i, i+1)
		}
	}
	for range 6 { // a booking's currency changes
		id := bookings[rng.IntN(len(bookings))]
		i := slices.IndexFunc(f.bookings, func(b fxBooking) bool { return b.ID == id })
		if i < 0 {
			continue
		}
		f.bookings[i].Currency = []string{f.cur, "EUR"}[rng.IntN(2)]
		write(`update bookings set currency = $2 where id = $1`, id, f.bookings[i].Currency)
	}
	for range 3 { // a booking is deleted: its invoices go, its payments stay unlinked
		id := bookings[rng.IntN(len(bookings))]
		write(`delete from bookings where id = $1`, id)
		f.bookings = slices.DeleteFunc(f.bookings, func(b fxBooking) bool { return b.ID == id })
		f.invoices = slices.DeleteFunc(f.invoices, func(i fxInvoice) bool { return i.Booking == id })
		for j := range f.payments {
			if f.payments[j].Booking == id {
				f.payments[j].Booking = 0
			}
		}
	}
}

// check computes the KPIs at now and compares every one with the oracle.
func (f *kpiFixture) check(now time.Time) *store.KPIs {
	f.t.Helper()
	k, err := f.env.DB.ComputeKPIs(context.Background(), f.org, now)
	require.NoError(f.t, err)
	o := f.expect(now)
	at := now.In(f.loc).Format(time.RFC3339)
	require.Equal(f.t, f.day(now).Format("2006-01-02"), k.Today, at)
	for _, name := range append(store.ScalarKPINames(), "unanswered_inquiries_24h") {
		got, ok := k.RawValue(name)
		require.True(f.t, ok, name)
		if name == "computed_at" {
			require.Equal(f.t, now.UTC().Format(time.RFC3339), got)
			continue
		}
		want, ok := o.scalars[name]
		require.True(f.t, ok, "oracle has no %s", name)
		require.Equal(f.t, want, got, "%s at %s", name, at)
	}
	require.Equal(f.t, o.byMonth, k.RevenueByMonth, at)
	require.Equal(f.t, o.leads, k.LeadsBySource90d, at)
	require.Equal(f.t, o.season, k.Seasonality, at)
	require.Equal(f.t, o.upcoming, k.UpcomingWeddings, at)
	require.Equal(f.t, o.overbooked, k.OverbookedDates, at)
	require.Equal(f.t, o.calendar, k.CapacityCalendar, at)
	require.Equal(f.t, len(o.fresh), len(k.SourceFreshness), at)
	for i := range o.fresh {
		require.Equal(f.t, o.fresh[i].Provider, k.SourceFreshness[i].Provider)
		require.Equal(f.t, o.fresh[i].Health, k.SourceFreshness[i].Health)
		require.Equal(f.t, o.fresh[i].LastSuccessAt == nil, k.SourceFreshness[i].LastSuccessAt == nil)
		if o.fresh[i].LastSuccessAt != nil {
			require.True(f.t, o.fresh[i].LastSuccessAt.Equal(*k.SourceFreshness[i].LastSuccessAt))
		}
	}
	require.Equal(f.t, o.periods, k.Periods, at)
	// The switch's figures are the KPIs themselves where they overlap.
	require.Equal(f.t, store.PeriodKeys, []string{k.Periods[0].Key, k.Periods[1].Key, k.Periods[2].Key, k.Periods[3].Key})
	mtd, ytd, ltm := k.Periods[0], k.Periods[2], k.Periods[3]
	require.Equal(f.t, []any{k.RevenueMTD, k.RevenueMTDLastYear, k.RevenueMTDChangePct, k.BookingsMTD, k.BookingsMTDLastYear,
		k.BookingsMTDChangePct, k.InquiriesMTD, k.InquiriesMTDLastYear},
		[]any{mtd.Revenue, mtd.RevenueLastYear, mtd.RevenueChangePct, mtd.Bookings, mtd.BookingsLastYear,
			mtd.BookingsChangePct, mtd.Inquiries, mtd.InquiriesLastYear}, at)
	require.Equal(f.t, k.RevenueYTD, ytd.Revenue, at)
	require.Equal(f.t, k.RevenueLTM, ltm.Revenue, at)
	require.Equal(f.t, k.BookedValueLTM, ltm.BookedValue, at)
	require.Len(f.t, k.Forecast, 6)
	for h, fm := range k.Forecast {
		require.Equal(f.t, o.months[h], fm.Month, at)
		require.Equal(f.t, o.committed[h], fm.Committed, "committed %s at %s", fm.Month, at)
		require.Equal(f.t, store.ForecastModel(o.history[:48], h+2), fm.Expected, "expected %s at %s", fm.Month, at)
		require.True(f.t, fm.Low <= fm.Expected && fm.Expected <= fm.High && fm.Low >= 0, "band %+v", fm)
	}
	return k
}
