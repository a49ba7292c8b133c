package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/jobs/connector/square/squaretest"
	"github.com/wedsync/wedsync/jobs/connector/stripe/stripetest"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/demo"
)

// The demo organization's integrations, found again by provider and name at each start.
const (
	demoStripeName = "Stripe (demo sandbox)"
	demoSquareName = "Square (demo sandbox)"
	// demoSyncMinutes is their schedule: the shortest allowed, so visitors see syncs happen.
	demoSyncMinutes = "5"
)

// Credentials of new demo integrations. They are sealed like any others; at each start the
// sandboxes accept whatever the integrations hold, so an admin who edits them breaks nothing.
const (
	demoStripeKey     = "sk_test_51DemoSandboxEvergreenPhotography0000"
	demoStripeWebhook = "whsec_DemoSandboxEvergreenPhotographySigning"
	demoSquareToken   = "EAAAEDemoSandboxEvergreenPhotographyToken00"
	demoSquareSigKey  = "DemoSandboxSquareSignatureKey0000"
)

// startDemo prepares `serve --demo`, and does nothing without it: the demo organization with its
// history (ensureDemo), the Stripe and Square sandboxes (the <p>test fakes) on loopback ports of
// this process, and the organization's two integrations pointed at them through their api_base,
// which then sync for real on their schedule and on "Sync now". The sandboxes hold what the
// integrations stored before (rebuilt at each start, as a provider keeps its data), and, the
// first time, a few recent payments to sync. It returns the demo activity's configuration, whose
// card payments reach this deployment's webhook at cfg.BaseURL, and a function that stops the
// sandboxes.
//
// The sandboxes live in one process: run one demo instance per database.
func startDemo(ctx context.Context, cfg Config, db *database, log *slog.Logger) (jobs.DemoConfig, func(), error) {
	if !cfg.Demo {
		return jobs.DemoConfig{}, func() {}, nil
	}
	orgID, err := ensureDemo(ctx, db, log)
	if err != nil {
		return jobs.DemoConfig{}, nil, err
	}
	sb, err := openDemoSandbox(ctx, db, orgID, cfg.BaseURL)
	if err != nil {
		return jobs.DemoConfig{}, nil, fmt.Errorf("demo sandbox: %w", err)
	}
	every, err := demoActivityEvery(os.Getenv("WEDSYNC_DEMO_ACTIVITY_EVERY"))
	if err != nil {
		sb.Close()
		return jobs.DemoConfig{}, nil, err
	}
	log.Info("demo sandboxes", "stripe", sb.stripeURL, "square", sb.squareURL, "webhook", sb.webhookURL)
	return jobs.DemoConfig{OrgID: orgID, Sandbox: sb, Every: every}, sb.Close, nil
}

// demoActivityEvery reads WEDSYNC_DEMO_ACTIVITY_EVERY, the mean time between two pieces of demo
// activity: a duration (30s when empty), or "off" for none but those a test inserts.
func demoActivityEvery(v string) (time.Duration, error) {
	switch v = strings.TrimSpace(v); v {
	case "":
		return 0, nil
	case "off":
		return -1, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("WEDSYNC_DEMO_ACTIVITY_EVERY=%q is neither a positive duration such as 30s nor off", v)
	}
	return d, nil
}

// demoSandbox is the providers' side of the demo (jobs.DemoSandbox).
type demoSandbox struct {
	stripe               *stripetest.Server
	square               *squaretest.Server
	stripeURL, squareURL string
	webhookURL, whSecret string // Stripe's endpoint at this deployment and its signing secret
	stops                []func()
	client               *http.Client
	stripeID, squareID   int64
	stripeNew, squareNew bool // the integration was created by this start
	orgID                int64
	currency             string
}

// openDemoSandbox finds or creates the demo integrations, starts the fakes with their contents
// and points the integrations at them.
func openDemoSandbox(ctx context.Context, db *database, orgID int64, baseURL string) (*demoSandbox, error) {
	sb := &demoSandbox{orgID: orgID, currency: demo.Currency, client: &http.Client{Timeout: 10 * time.Second}}
	stripeIn, created, err := ensureDemoIntegration(ctx, db, orgID, "stripe", demoStripeName,
		map[string]string{"secret_key": demoStripeKey, "webhook_secret": demoStripeWebhook}, nil)
	if err != nil {
		return nil, err
	}
	sb.stripeID, sb.stripeNew = stripeIn.ID, created
	squareIn, created, err := ensureDemoIntegration(ctx, db, orgID, "square", demoSquareName,
		map[string]string{"access_token": demoSquareToken, "webhook_signature_key": demoSquareSigKey},
		map[string]string{"environment": "sandbox"})
	if err != nil {
		return nil, err
	}
	sb.squareID, sb.squareNew = squareIn.ID, created
	stripeSecrets, err := db.DB.IntegrationSecrets(ctx, orgID, stripeIn.ID, db.Keys)
	if err != nil {
		return nil, err
	}
	squareSecrets, err := db.DB.IntegrationSecrets(ctx, orgID, squareIn.ID, db.Keys)
	if err != nil {
		return nil, err
	}
	sb.stripe = stripetest.New(stripeSecrets["secret_key"])
	sb.whSecret = stripeSecrets["webhook_secret"]
	sb.webhookURL = strings.TrimSuffix(baseURL, "/") + jobs.WebhookPath("stripe", stripeIn.PublicID)
	sb.square = squaretest.New()
	sb.square.AccessToken = squareSecrets["access_token"]
	if err := sb.fill(ctx, db.DB); err != nil {
		return nil, err
	}
	var stop func()
	sb.stripeURL, stop = sb.stripe.Start()
	sb.stops = append(sb.stops, stop)
	sq := sb.square.Start()
	sb.squareURL = sq.URL
	sb.stops = append(sb.stops, sq.Close)
	for id, u := range map[int64]string{stripeIn.ID: sb.stripeURL, squareIn.ID: sb.squareURL} {
		if err := db.DB.SetIntegrationConfig(ctx, orgID, id, jobs.APIBaseConfigKey, u); err != nil {
			sb.Close()
			return nil, err
		}
	}
	return sb, nil
}

// ensureDemoIntegration finds the organization's integration of provider named name, or creates
// it (due at once) with the given secrets and config.
func ensureDemoIntegration(ctx context.Context, db *database, orgID int64, provider, name string, secrets, config map[string]string) (store.Integration, bool, error) {
	all, err := db.DB.ListIntegrations(ctx, orgID)
	if err != nil {
		return store.Integration{}, false, err
	}
	for _, in := range all {
		if in.Provider == provider && in.Name == name {
			return in, false, nil
		}
	}
	in, err := db.DB.CreateIntegration(ctx, orgID, 0, db.Keys, store.IntegrationInput{Provider: provider, Name: name,
		IntervalMinutes: demoSyncMinutes, Config: config, Secrets: secrets})
	return in, err == nil, err
}

// Close stops the sandboxes.
func (sb *demoSandbox) Close() {
	for _, stop := range sb.stops {
		stop()
	}
	sb.stops = nil
}

// CardPayment adds a charge to the Stripe sandbox and delivers its signed charge.succeeded event
// to our webhook over HTTP, as Stripe does. The charge id comes from p.Key, so a retry pays the
// same charge again (and the webhook stores the new event, which changes nothing).
func (sb *demoSandbox) CardPayment(ctx context.Context, p jobs.DemoPayment) (string, error) {
	ch := sb.stripe.AddCharge(stripetest.Charge{ID: "ch_demo_" + p.Key, Amount: p.Amount, Currency: p.Currency,
		Description: p.Description, Email: p.Email, Fee: demoCardFee(p.Amount),
		Metadata: map[string]string{"booking_id": strconv.FormatInt(p.BookingID, 10)}})
	payload, err := sb.stripe.Event("charge.succeeded", ch.ID)
	if err != nil {
		return "", err
	}
	status, err := stripetest.Deliver(ctx, sb.client, sb.webhookURL, sb.whSecret, payload)
	if err != nil {
		return "", fmt.Errorf("deliver webhook: %w", err)
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("deliver webhook: %s answered %d", sb.webhookURL, status)
	}
	return ch.ID, nil
}

// InPersonSale adds a completed card-present payment to the Square sandbox; the integration's
// next sync brings it in.
func (sb *demoSandbox) InPersonSale(_ context.Context, p jobs.DemoPayment) (string, error) {
	pay := squaretest.NewPayment("sq_demo_"+p.Key, p.Amount, p.Currency, time.Now())
	pay.ReferenceID, pay.Note, pay.BuyerEmailAddress = strconv.FormatInt(p.BookingID, 10), p.Description, p.Email
	sb.square.AddPayment(pay)
	return pay.ID, nil
}

// demoCardFee is Stripe's US card fee, 2.9 % + 30¢ (as the demo history charges it).
func demoCardFee(amount int64) int64 { return (amount*29+500)/1000 + 30 }

// fill gives the sandboxes what the integrations already stored (a provider keeps its data
// across our restarts) and, for an integration created now, a few recent payments to sync.
func (sb *demoSandbox) fill(ctx context.Context, db *store.DB) error {
	return db.ReadOrg(ctx, sb.orgID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `select p.integration_id, p.external_id, p.amount, p.refunded_amount, p.fee, p.status,
				p.paid_at, p.note, p.currency, coalesce(p.booking_id::text, ''), coalesce(c.email, '')
			from payments p left join bookings b on b.id = p.booking_id left join clients c on c.id = b.client_id
			where p.integration_id = any($1) order by p.paid_at`, []int64{sb.stripeID, sb.squareID})
		if err != nil {
			return err
		}
		var iid, amount, refunded, fee int64
		var ext, status, note, currency, booking, email string
		var paid time.Time
		_, err = pgx.ForEachRow(rows, []any{&iid, &ext, &amount, &refunded, &fee, &status, &paid, &note, &currency, &booking, &email}, func() error {
			if iid == sb.stripeID {
				sb.stripe.AddCharge(stripetest.Charge{ID: ext, Amount: amount, AmountRefunded: refunded, Currency: currency,
					Created: paid, Status: map[string]string{"pending": "pending", "failed": "failed"}[status], Description: note,
					Email: email, Fee: fee, Metadata: map[string]string{"booking_id": booking}})
				return nil
			}
			pay := squaretest.NewPayment(ext, amount, currency, paid)
			pay.ReferenceID, pay.Note, pay.BuyerEmailAddress = booking, note, email
			sb.square.AddPayment(pay)
			return nil
		})
		if err != nil {
			return err
		}
		return sb.seed(ctx, tx)
	})
}

// seed puts a few payments of the last days into the sandboxes of integrations created by this
// start: couples who paid their balance early by card (Stripe), and album and print sales in
// the studio (Square). They reach the dashboard with the integrations' first syncs.
func (sb *demoSandbox) seed(ctx context.Context, tx pgx.Tx) error {
	now := time.Now()
	if sb.stripeNew {
		rows, err := tx.Query(ctx, `select b.id, b.contract_amount - b.paid, b.label, b.email
			from (select b.id, b.contract_amount, b.wedding_date, `+store.PaidNetSQL+` as paid,
					coalesce(nullif(b.title, ''), c.name, '') as label, coalesce(c.email, '') as email
				from bookings b left join clients c on c.id = b.client_id `+store.JoinPaidPendingSQL+`
				where b.status = 'confirmed' and b.wedding_date >= current_date + 45) b
			where b.paid > 0 and b.paid < b.contract_amount
			order by b.wedding_date, b.id limit 3`)
		if err != nil {
			return err
		}
		var id, balance int64
		var label, email string
		k := 0
		_, err = pgx.ForEachRow(rows, []any{&id, &balance, &label, &email}, func() error {
			k++
			sb.stripe.AddCharge(stripetest.Charge{ID: fmt.Sprintf("ch_demo_seed_%d", id), Amount: balance, Currency: sb.currency,
				Created: now.Add(-time.Duration(k*26+3) * time.Hour), Description: "Balance for " + label, Email: email,
				Fee: demoCardFee(balance), Metadata: map[string]string{"booking_id": strconv.FormatInt(id, 10)}})
			return nil
		})
		if err != nil {
			return err
		}
	}
	if sb.squareNew {
		rows, err := tx.Query(ctx, `select b.id, coalesce(c.email, '') from bookings b left join clients c on c.id = b.client_id
			where b.status = 'completed' and b.wedding_date >= current_date - 240 order by b.wedding_date desc, b.id limit 4`)
		if err != nil {
			return err
		}
		sales := []struct {
			what   string
			amount int64
		}{{"Album upgrade", 45000}, {"Parent albums", 28000}, {"Canvas print", 21000}, {"Framed prints", 26000}}
		var id int64
		var email string
		k := 0
		_, err = pgx.ForEachRow(rows, []any{&id, &email}, func() error {
			s := sales[k%len(sales)]
			k++
			pay := squaretest.NewPayment(fmt.Sprintf("sq_demo_seed_%d", id), s.amount, sb.currency, now.Add(-time.Duration(k*71+5)*time.Hour))
			pay.ReferenceID, pay.Note, pay.BuyerEmailAddress = strconv.FormatInt(id, 10), s.what, email
			sb.square.AddPayment(pay)
			return nil
		})
		return err
	}
	return nil
}
