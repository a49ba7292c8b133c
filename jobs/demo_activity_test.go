package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/demo"
	"github.com/wedsync/wedsync/store/secret"
	"github.com/wedsync/wedsync/store/storetest"
)

// recordingSandbox stands in for the providers' sandboxes (cmd/wedsync/demo.go has the real ones,
// tested with `serve --demo`): it keeps what the demo activity paid.
type recordingSandbox struct {
	mu          sync.Mutex
	card, sales []jobs.DemoPayment
}

func (s *recordingSandbox) CardPayment(_ context.Context, p jobs.DemoPayment) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.card = append(s.card, p)
	return "ch_demo_" + p.Key, nil
}

func (s *recordingSandbox) InPersonSale(_ context.Context, p jobs.DemoPayment) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sales = append(s.sales, p)
	return "sq_demo_" + p.Key, nil
}

func (s *recordingSandbox) last() (card, sale *jobs.DemoPayment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.card); n > 0 {
		card = &s.card[n-1]
	}
	if n := len(s.sales); n > 0 {
		sale = &s.sales[n-1]
	}
	return card, sale
}

// TestDemoActivityIsBelievable runs each demo activity once on the demo organization and checks
// what it wrote or paid: an inquiry of a new couple for a Saturday ahead; the deposit or balance
// of a confirmed booking whose wedding is weeks away; an inquiry booked with its deposit; a studio
// sale to a couple married lately; a review of a recent wedding.
func TestDemoActivityIsBelievable(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, created, err := demo.Ensure(ctx, env.DB, time.Now())
	require.NoError(t, err)
	require.True(t, created)
	keys, err := secret.Parse(secret.Generate("t1"))
	require.NoError(t, err)
	sb := &recordingSandbox{}
	runner, err := jobs.New(env.DB, slog.New(slog.NewTextHandler(io.Discard, nil)), jobs.Config{Work: true, Keys: keys,
		Sync: jobs.SyncConfig{ScheduleEvery: time.Hour}, Demo: jobs.DemoConfig{OrgID: org, Sandbox: sb, Every: -1}})
	require.NoError(t, err)
	jobsCtx, cancel := context.WithCancel(context.Background())
	require.NoError(t, runner.Start(jobsCtx))
	t.Cleanup(func() {
		stopCtx, c := context.WithTimeout(context.Background(), 10*time.Second)
		defer c()
		_ = runner.Stop(stopCtx)
		cancel()
	})
	run := func(action string) {
		t.Helper()
		res, err := runner.Client.Insert(ctx, jobs.DemoActivityArgs{Action: action}, nil)
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			var state string
			require.NoError(t, env.Admin.QueryRow(ctx, "select state::text from river_job where id = $1", res.Job.ID).Scan(&state))
			require.NotContains(t, []string{"discarded", "cancelled", "retryable"}, state, action)
			return state == "completed"
		}, 20*time.Second, 10*time.Millisecond, action)
	}
	count := func(table string) (n int) {
		require.NoError(t, env.Admin.QueryRow(ctx, "select count(*) from "+table+" where org_id = $1", org).Scan(&n))
		return n
	}

	inquiries := count("inquiries")
	run(jobs.DemoActionInquiry)
	require.Equal(t, inquiries+1, count("inquiries"))
	var status, email string
	var dow int
	require.NoError(t, env.Admin.QueryRow(ctx, `select i.status, extract(dow from i.wedding_date)::int, c.email from inquiries i
		join clients c on c.id = i.client_id where i.org_id = $1 order by i.id desc limit 1`, org).Scan(&status, &dow, &email))
	require.Equal(t, "new", status)
	require.Equal(t, 6, dow, "a Saturday wedding")
	require.Contains(t, email, "@example.com")

	run(jobs.DemoActionPayment)
	card, _ := sb.last()
	require.NotNil(t, card)
	var contract, paid int64
	var bstatus string
	var daysAway int
	require.NoError(t, env.Admin.QueryRow(ctx, `select b.contract_amount, `+store.PaidNetSQL+`, b.status, b.wedding_date - current_date
		from bookings b `+store.JoinPaidPendingSQL+`
		where b.id = $1 and b.org_id = $2`, card.BookingID, org).Scan(&contract, &paid, &bstatus, &daysAway))
	require.Equal(t, "confirmed", bstatus)
	require.GreaterOrEqual(t, daysAway, 20)
	require.True(t, card.Amount == contract-paid || (paid == 0 && card.Amount == (contract*3+5)/10),
		"deposit or balance: %d of %d with %d paid", card.Amount, contract, paid)
	require.Equal(t, "USD", card.Currency)
	require.NotEmpty(t, card.Email)

	bookings := count("bookings")
	run(jobs.DemoActionBooking)
	require.Equal(t, bookings+1, count("bookings"))
	card, _ = sb.last()
	var inquiryStatus string
	require.NoError(t, env.Admin.QueryRow(ctx, `select b.contract_amount, i.status from bookings b join inquiries i on i.id = b.inquiry_id
		where b.id = $1`, card.BookingID).Scan(&contract, &inquiryStatus))
	require.Equal(t, "booked", inquiryStatus)
	require.Equal(t, (contract*3+5)/10, card.Amount, "the new booking's deposit")
	require.Regexp(t, "^Deposit for ", card.Description)

	run(jobs.DemoActionSale)
	_, sale := sb.last()
	require.NotNil(t, sale)
	require.NoError(t, env.Admin.QueryRow(ctx, `select status, current_date - wedding_date from bookings where id = $1`, sale.BookingID).
		Scan(&bstatus, &daysAway))
	require.Equal(t, "completed", bstatus)
	require.LessOrEqual(t, daysAway, 241)

	reviews := count("reviews")
	run(jobs.DemoActionReview)
	require.Equal(t, reviews+1, count("reviews"))
	var rating int
	require.NoError(t, env.Admin.QueryRow(ctx, `select r.rating, b.status, current_date - b.wedding_date from reviews r
		join bookings b on b.id = r.booking_id where r.org_id = $1 order by r.id desc limit 1`, org).Scan(&rating, &bstatus, &daysAway))
	require.GreaterOrEqual(t, rating, 3)
	require.Equal(t, "completed", bstatus)
	require.LessOrEqual(t, daysAway, 91)
}
