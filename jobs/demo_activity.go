package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/wedsync/wedsync/store"
)

// Demo activities (DemoActivityArgs.Action).
const (
	DemoActionInquiry = "inquiry" // a couple writes in: a client and an inquiry through the store
	DemoActionPayment = "payment" // a deposit or balance paid by card: Stripe sandbox, then its signed webhook
	DemoActionBooking = "booking" // an inquiry becomes a booking and its deposit is paid by card
	DemoActionSale    = "sale"    // an album or print sale in the studio: Square sandbox, arriving with its sync
	DemoActionReview  = "review"  // a couple married recently leaves a review
)

// demoWeights are how often a run picks each activity.
var demoWeights = []struct {
	action string
	weight int
}{{DemoActionInquiry, 32}, {DemoActionPayment, 30}, {DemoActionBooking, 10}, {DemoActionSale, 13}, {DemoActionReview, 15}}

// DemoActivityArgs asks for one piece of demo activity in the demo organization.
type DemoActivityArgs struct {
	// Action forces one activity (DemoActionInquiry, DemoPayment, ...); empty picks one at random.
	Action string `json:"action,omitempty"`
}

// Kind is the stable job kind.
func (DemoActivityArgs) Kind() string { return "demo_activity" }

// InsertOpts: the default queue, a few attempts (a retry repeats the same choices and pays the
// same charge, so it never pays twice).
func (DemoActivityArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: river.QueueDefault, MaxAttempts: 3}
}

// DemoActivityWorker makes the demo organization look busy through the real write paths: store
// methods for inquiries, bookings and reviews, and the providers' sandboxes (then our own
// webhook or sync) for payments. Its choices are believable: payments are the deposits and
// balances of real bookings, reviews come after real weddings.
type DemoActivityWorker struct {
	river.WorkerDefaults[DemoActivityArgs]
	db  *store.DB
	log *slog.Logger
	cfg DemoConfig
	now func() time.Time
}

// Timeout bounds one run.
func (w *DemoActivityWorker) Timeout(*river.Job[DemoActivityArgs]) time.Duration {
	return 30 * time.Second
}

// Work does one activity. When the one drawn has nothing to work on (no open balance, no recent
// wedding without a review) it adds an inquiry instead.
func (w *DemoActivityWorker) Work(ctx context.Context, job *river.Job[DemoActivityArgs]) error {
	// Seeded by the job, so that a retry makes the same choices.
	d := &demoRun{w: w, r: rand.New(rand.NewPCG(uint64(job.ID), uint64(job.CreatedAt.UnixNano()))),
		key: "job" + strconv.FormatInt(job.ID, 10), org: w.cfg.OrgID}
	action := job.Args.Action
	if action == "" {
		action = d.pick()
	}
	var did string
	var err error
	switch action {
	case DemoActionInquiry:
		did, err = d.inquiry(ctx)
	case DemoActionPayment:
		did, err = d.payment(ctx)
	case DemoActionBooking:
		did, err = d.booking(ctx)
	case DemoActionSale:
		did, err = d.sale(ctx)
	case DemoActionReview:
		did, err = d.review(ctx)
	default:
		return river.JobCancel(fmt.Errorf("demo activity: unknown action %q", action))
	}
	if err == nil && did == "" && action != DemoActionInquiry {
		did, err = d.inquiry(ctx)
	}
	if err != nil {
		return fmt.Errorf("demo %s: %w", action, err)
	}
	w.log.Info("demo activity", "action", action, "did", did)
	return nil
}

// demoRun is one run's state.
type demoRun struct {
	w   *DemoActivityWorker
	r   *rand.Rand
	key string
	org int64
}

func (d *demoRun) pick() string {
	total := 0
	for _, c := range demoWeights {
		total += c.weight
	}
	n := d.r.IntN(total)
	for _, c := range demoWeights {
		if n -= c.weight; n < 0 {
			return c.action
		}
	}
	return DemoActionInquiry
}

func (d *demoRun) today() time.Time { return d.w.now() }

// inquiry adds a couple and their inquiry, as the website form or a planner would.
func (d *demoRun) inquiry(ctx context.Context) (string, error) {
	first, second := demoFirstNames[d.r.IntN(len(demoFirstNames))], demoFirstNames[d.r.IntN(len(demoFirstNames))]
	for second == first {
		second = demoFirstNames[d.r.IntN(len(demoFirstNames))]
	}
	last := demoLastNames[d.r.IntN(len(demoLastNames))]
	name := first + " & " + second + " " + last
	email := fmt.Sprintf("%s.%s%d@example.com", strings.ToLower(first), strings.ToLower(last), 1+d.r.IntN(99))
	client, err := d.w.db.CreateClient(ctx, d.org, 0, store.ClientInput{Name: name, Email: email,
		Phone: fmt.Sprintf("(%d) 555-01%02d", []int{212, 347, 518, 646, 718, 914}[d.r.IntN(6)], d.r.IntN(100))})
	if err != nil {
		return "", err
	}
	// A Saturday five to sixteen months out.
	wedding := d.today().AddDate(0, 5+d.r.IntN(12), d.r.IntN(28))
	wedding = wedding.AddDate(0, 0, (int(time.Saturday)-int(wedding.Weekday())+7)%7)
	source := demoSources[d.r.IntN(len(demoSources))]
	value := 3800 + 100*d.r.IntN(48)
	venue := demoVenues[d.r.IntN(len(demoVenues))]
	_, err = d.w.db.CreateInquiry(ctx, d.org, 0, store.InquiryInput{
		ClientID: strconv.FormatInt(client, 10), Source: source, WeddingDate: wedding.Format(time.DateOnly),
		Status: "new", EstimatedValue: strconv.Itoa(value),
		Notes: fmt.Sprintf("Hi! We're getting married at %s and love your work. Are you free on %s?", venue, wedding.Format("January 2")),
	})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("inquiry from %s (%s), wedding %s", name, source, wedding.Format(time.DateOnly)), nil
}

// payment pays, by card, the deposit or the balance of a confirmed booking whose wedding is at
// least three weeks away (nearer ones keep their stories: a declined card, a balance due).
func (d *demoRun) payment(ctx context.Context) (string, error) {
	page, err := d.w.db.ListBookings(ctx, d.org, store.ListQuery{Status: "confirmed", Sort: "date", PerPage: 200,
		From: d.today().AddDate(0, 0, 21).Format(time.DateOnly)})
	if err != nil {
		return "", err
	}
	var open []store.Booking
	for _, b := range page.Items {
		if b.Paid < b.ContractAmount && b.ContractAmount > 0 {
			open = append(open, b)
		}
	}
	if len(open) == 0 {
		return d.booking(ctx)
	}
	return d.pay(ctx, open[d.r.IntN(len(open))])
}

// booking turns an inquiry that has a wedding date into a booking (its estimate becomes the
// contract) and pays its deposit by card.
func (d *demoRun) booking(ctx context.Context) (string, error) {
	page, err := d.w.db.ListInquiries(ctx, d.org, store.ListQuery{Sort: "-date", PerPage: 50})
	if err != nil {
		return "", err
	}
	var candidates []store.Inquiry
	for _, q := range page.Items {
		if q.BookingID == nil && q.Status != "lost" && q.Status != "booked" && q.WeddingDate != nil &&
			q.WeddingDate.After(d.today().AddDate(0, 2, 0)) && q.EstimatedValue != nil && q.ClientID != nil {
			candidates = append(candidates, q)
		}
	}
	if len(candidates) == 0 {
		return "", nil
	}
	q := candidates[d.r.IntN(len(candidates))]
	id, err := d.w.db.ConvertInquiry(ctx, d.org, 0, q.ID, store.BookingInput{Status: "confirmed"})
	if err != nil {
		return "", err
	}
	b, err := d.w.db.Booking(ctx, d.org, id)
	if err != nil {
		return "", err
	}
	paid, err := d.pay(ctx, b)
	return "booked inquiry " + strconv.FormatInt(q.ID, 10) + "; " + paid, err
}

// pay takes the booking's deposit (30 % of the contract) when nothing is paid yet, else its
// balance, through the Stripe sandbox and our webhook.
func (d *demoRun) pay(ctx context.Context, b store.Booking) (string, error) {
	amount, what := (b.ContractAmount*3+5)/10, "Deposit"
	if b.Paid > 0 || amount <= 0 {
		amount, what = b.ContractAmount-b.Paid, "Balance"
	}
	p := DemoPayment{Key: d.key, Amount: amount, Currency: b.Currency, BookingID: b.ID,
		Description: what + " for " + b.Label(), Email: d.clientEmail(ctx, b.ClientID)}
	id, err := d.w.cfg.Sandbox.CardPayment(ctx, p)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s of %s paid by card (%s)", strings.ToLower(what), b.Label(), id), nil
}

// sale sells an album, prints or parent albums to a couple married in the last eight months.
func (d *demoRun) sale(ctx context.Context) (string, error) {
	b, ok, err := d.recentWedding(ctx, 240, nil)
	if err != nil || !ok {
		return "", err
	}
	item := demoSales[d.r.IntN(len(demoSales))]
	p := DemoPayment{Key: d.key, Amount: item.amount + 1000*int64(d.r.IntN(8)), Currency: b.Currency, BookingID: b.ID,
		Description: item.name + " for " + b.Label(), Email: d.clientEmail(ctx, b.ClientID)}
	id, err := d.w.cfg.Sandbox.InPersonSale(ctx, p)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s sold in the studio (%s, with the next Square sync)", strings.ToLower(item.name), id), nil
}

// review has a couple married in the last three months, who has not reviewed yet, leave one.
func (d *demoRun) review(ctx context.Context) (string, error) {
	reviews, err := d.w.db.ListReviews(ctx, d.org, store.ListQuery{Sort: "-date", PerPage: 200,
		From: d.today().AddDate(0, -6, 0).Format(time.DateOnly)})
	if err != nil {
		return "", err
	}
	reviewed := map[int64]bool{}
	for _, rv := range reviews.Items {
		if rv.BookingID != nil {
			reviewed[*rv.BookingID] = true
		}
	}
	b, ok, err := d.recentWedding(ctx, 90, reviewed)
	if err != nil || !ok {
		return "", err
	}
	rating := 5
	switch n := d.r.IntN(100); {
	case n >= 97:
		rating = 3
	case n >= 75:
		rating = 4
	}
	bodies := demoReviews[rating]
	_, err = d.w.db.CreateReview(ctx, d.org, 0, store.ReviewInput{BookingID: strconv.FormatInt(b.ID, 10),
		Rating: strconv.Itoa(rating), Body: bodies[d.r.IntN(len(bodies))], Source: demoReviewSources[d.r.IntN(len(demoReviewSources))]})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d-star review for %s", rating, b.Label()), nil
}

// recentWedding picks a completed booking whose wedding was in the last days days, not in skip.
func (d *demoRun) recentWedding(ctx context.Context, days int, skip map[int64]bool) (store.Booking, bool, error) {
	page, err := d.w.db.ListBookings(ctx, d.org, store.ListQuery{Status: "completed", Sort: "-date", PerPage: 100,
		From: d.today().AddDate(0, 0, -days).Format(time.DateOnly), To: d.today().Format(time.DateOnly)})
	if err != nil {
		return store.Booking{}, false, err
	}
	var bs []store.Booking
	for _, b := range page.Items {
		if !skip[b.ID] {
			bs = append(bs, b)
		}
	}
	if len(bs) == 0 {
		return store.Booking{}, false, nil
	}
	return bs[d.r.IntN(len(bs))], true, nil
}

// clientEmail is the email of the booking's client ("" when unknown).
func (d *demoRun) clientEmail(ctx context.Context, clientID *int64) string {
	if clientID == nil {
		return ""
	}
	c, err := d.w.db.Client(ctx, d.org, *clientID)
	if err != nil {
		return ""
	}
	return c.Email
}

var (
	demoFirstNames = []string{"Maya", "Jordan", "Olivia", "Ethan", "Sophia", "Liam", "Ava", "Noah", "Isabella", "Lucas",
		"Harper", "Logan", "Grace", "Daniel", "Chloe", "Priya", "Marcus", "Leah", "Naomi", "Andre", "Sofia", "Diego",
		"Aisha", "Theo", "Rosa", "Kenji", "Claire", "Malik", "Tessa", "Rafael"}
	demoLastNames = []string{"Ellis", "Bennett", "Hayes", "Morales", "Nguyen", "Patel", "Foster", "Reyes", "Sullivan",
		"Kim", "Ramirez", "Coleman", "Hughes", "Chen", "Okafor", "Larsen", "Romano", "Novak", "Ortega", "Walsh"}
	demoSources       = []string{"website", "website", "instagram", "instagram", "referral", "the_knot", "wedding_wire", "google"}
	demoReviewSources = []string{"google", "google", "the_knot", "wedding_wire", "email"}
	demoVenues        = []string{"Glenmere Mansion", "the Foundry in Long Island City", "Mohonk Mountain House",
		"a friend's farm near Hudson", "the Brooklyn Botanic Garden", "Wave Hill", "a vineyard on the North Fork"}
	demoSales = []struct {
		name   string
		amount int64
	}{{"Album upgrade", 35000}, {"Parent albums", 28000}, {"Canvas print", 18000}, {"Framed prints", 22000},
		{"Engagement session", 45000}}
	demoReviews = map[int][]string{
		3: {"Some lovely shots, though we hoped to get the gallery a little sooner."},
		4: {"Beautiful photos and very easy to work with. The gallery took a little longer than promised.",
			"Great eye for light. Our portraits at golden hour are stunning."},
		5: {"Absolutely stunning photos. They captured every moment we didn't even know happened!",
			"Best decision we made for our wedding. Relaxed, fun and the gallery is breathtaking.",
			"Our families keep asking who took our photos. Worth every penny.",
			"They made us feel so comfortable in front of the camera. We cried looking at the gallery."},
	}
)
