package jobs

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"
)

// DemoConfig turns on the demo activity of `wedsync serve --demo` (jobs/demo_activity.go). The
// zero value leaves it off.
type DemoConfig struct {
	// OrgID is the demo organization; zero turns the demo activity off.
	OrgID int64
	// Sandbox takes the demo's payments at the providers' sandboxes.
	Sandbox DemoSandbox
	// Every is the mean time between two runs (30 s when zero); each next run is drawn uniformly
	// from two thirds to four thirds of it. Negative: no periodic runs, only inserted ones.
	Every time.Duration
}

// DemoSandbox is the providers' side of the demo: fakes of the providers running in the serving
// process, which the demo organization's integrations point at (cmd/wedsync/demo.go).
type DemoSandbox interface {
	// CardPayment takes a card payment at the Stripe sandbox and delivers its signed
	// charge.succeeded event to this deployment's webhook address, as Stripe would. It returns
	// the charge id.
	CardPayment(ctx context.Context, p DemoPayment) (string, error)
	// InPersonSale records a card-present sale at the Square sandbox, which reaches us with the
	// integration's next sync. It returns the payment id.
	InPersonSale(ctx context.Context, p DemoPayment) (string, error)
}

// DemoPayment is a payment the demo activity makes up.
type DemoPayment struct {
	// Key identifies the payment at the provider: a retried job pays the same one again.
	Key string
	// Amount is in minor units of Currency (ISO 4217, upper case).
	Amount   int64
	Currency string
	// BookingID is the booking paid for (Stripe metadata.booking_id, Square reference_id).
	BookingID   int64
	Email       string
	Description string
}

// registerDemo adds the demo activity worker and its jittered periodic job when the demo is on.
func (r *Runner) registerDemo(workers *river.Workers, rc *river.Config, cfg Config) error {
	dc := cfg.Demo
	if dc.OrgID == 0 || dc.Sandbox == nil {
		return nil
	}
	if dc.Every == 0 {
		dc.Every = 30 * time.Second
	}
	river.AddWorker(workers, &DemoActivityWorker{db: r.db, log: r.log.With("component", "demo"), cfg: dc, now: cfg.Now})
	if dc.Every < 0 {
		return nil
	}
	rc.PeriodicJobs = append(rc.PeriodicJobs, river.NewPeriodicJob(jitteredEvery(dc.Every),
		func() (river.JobArgs, *river.InsertOpts) { return DemoActivityArgs{}, nil },
		&river.PeriodicJobOpts{ID: "demo_activity"}))
	return nil
}

// jitteredEvery is a periodic schedule whose gaps are drawn uniformly from [2/3, 4/3] × mean,
// so the demo does not tick like a metronome.
type jitteredEvery time.Duration

// Next is the time of the run after current.
func (j jitteredEvery) Next(current time.Time) time.Time {
	mean := time.Duration(j)
	return current.Add(mean*2/3 + rand.N(mean*2/3+1))
}
