package tave_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/jobs/connector/tave/tavetest"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/secret"
	"github.com/wedsync/wedsync/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

const apiKey = "tave_test_key_0123456789"

// studio is a database, a running job runner, the Tave fake and an integration pointed at it.
type studio struct {
	env    *storetest.Env
	runner *jobs.Runner
	fake   *tavetest.Server
	org    int64
	integ  store.Integration
}

func newStudio(t *testing.T) *studio {
	t.Helper()
	s := &studio{env: storetest.New(t), fake: tavetest.New(apiKey)}
	srv := s.fake.Start()
	t.Cleanup(srv.Close)
	keys, err := secret.Parse(secret.Generate("t1"))
	require.NoError(t, err)
	s.runner, err = jobs.New(s.env.DB, slog.New(slog.NewTextHandler(io.Discard, nil)), jobs.Config{Work: true, Keys: keys,
		Sync: jobs.SyncConfig{BaseURLs: map[string]string{"tave": srv.URL}, ScheduleEvery: time.Hour,
			RetryBase: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, s.runner.Start(ctx))
	t.Cleanup(func() {
		stop, c := context.WithTimeout(context.Background(), 10*time.Second)
		defer c()
		_ = s.runner.Stop(stop)
		cancel()
	})
	var user int64
	s.org, user = s.env.NewOrg(t, "Tave Studio", "America/New_York", "USD")
	s.integ, err = s.env.DB.CreateIntegration(ctx, s.org, user, keys, store.IntegrationInput{Provider: "tave", Name: "Tave",
		Secrets: map[string]string{"api_key": apiKey}})
	require.NoError(t, err)
	_, err = s.env.Admin.Exec(ctx, "update integrations set next_run_at = now() + interval '1 hour' where id = $1", s.integ.ID)
	require.NoError(t, err)
	return s
}

func (s *studio) sync(t *testing.T) {
	t.Helper()
	queued, err := s.runner.RequestSync(context.Background(), s.org, s.integ.ID)
	require.NoError(t, err)
	require.True(t, queued)
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, s.env.Admin.QueryRow(context.Background(), `select count(*) from river_job where kind = 'sync_integration'
			and state in ('available', 'running', 'retryable', 'scheduled', 'pending')`).Scan(&n))
		return n == 0
	}, 30*time.Second, 10*time.Millisecond)
}

// seed fills the fake with 150 contacts and one job each: every third job booked (with an
// order and two payments, one of them partly refunded), every tenth lost, the rest leads.
func seed(f *tavetest.Server) {
	for i := 1; i <= 150; i++ {
		id := fmt.Sprintf("c%d", i)
		f.AddContacts(tavetest.Contact{ID: id, FirstName: "Ada", LastName: fmt.Sprint(i), PartnerFirstName: "Bo", Email: fmt.Sprintf("ada%d@example.com", i)})
		j := tavetest.Job{ID: fmt.Sprintf("j%d", i), ContactID: id, Title: fmt.Sprintf("Wedding %d", i), Status: "lead", LeadStatus: "proposal_sent",
			Source: "website", EventDate: "2027-06-12", InquiredAt: "2026-01-02T10:00:00Z", EstimatedValue: "3500.00", Currency: "usd"}
		switch {
		case i%3 == 0:
			j.Status, j.BookedAt, j.ContractAmount = "booked", "2026-02-01T12:00:00Z", "4800.50"
			o := fmt.Sprintf("o%d", i)
			f.AddOrders(tavetest.Order{ID: o, JobID: j.ID, Number: "INV-" + o, DueDate: "2027-05-01", Total: "4800.50", AmountPaid: "1200.25", Currency: "USD", Status: "open"})
			f.AddPayments(
				tavetest.Payment{ID: "p" + o + "a", OrderID: o, JobID: j.ID, Amount: "1000.25", Currency: "USD", Status: "completed", PaidAt: "2026-02-02T09:00:00Z"},
				tavetest.Payment{ID: "p" + o + "b", OrderID: o, JobID: j.ID, Amount: "300.00", RefundedAmount: "100.00", Currency: "USD", Status: "completed", PaidAt: "2026-03-02T09:00:00Z"})
		case i%10 == 0:
			j.Status = "lost"
		}
		f.AddJobs(j)
	}
}

type totals struct {
	Clients, Inquiries, Booked, Lost, Bookings, LinkedBookings, Invoices, Payments, LinkedPayments int
	Contract, Paid, Refunded                                                                       int64
}

func (s *studio) totals(t *testing.T) totals {
	t.Helper()
	var v totals
	require.NoError(t, s.env.Admin.QueryRow(context.Background(), `select
		(select count(*) from clients where integration_id = $1),
		(select count(*) from inquiries where integration_id = $1),
		(select count(*) from inquiries where integration_id = $1 and status = 'booked'),
		(select count(*) from inquiries where integration_id = $1 and status = 'lost'),
		(select count(*) from bookings where integration_id = $1),
		(select count(*) from bookings b join inquiries i on i.id = b.inquiry_id and i.external_id = b.external_id
			join clients c on c.id = b.client_id where b.integration_id = $1 and i.client_id = c.id),
		(select count(*) from invoices v join bookings b on b.id = v.booking_id where v.integration_id = $1),
		(select count(*) from payments where integration_id = $1),
		(select count(*) from payments p join invoices v on v.id = p.invoice_id where p.integration_id = $1 and p.booking_id = v.booking_id),
		(select coalesce(sum(contract_amount), 0) from bookings where integration_id = $1),
		(select coalesce(sum(amount), 0) from payments where integration_id = $1),
		(select coalesce(sum(refunded_amount), 0) from payments where integration_id = $1)`, s.integ.ID).Scan(
		&v.Clients, &v.Inquiries, &v.Booked, &v.Lost, &v.Bookings, &v.LinkedBookings, &v.Invoices, &v.Payments, &v.LinkedPayments,
		&v.Contract, &v.Paid, &v.Refunded))
	return v
}

// TestTaveSyncsEveryResourceLinkedAndExact pages through contacts, jobs, orders and payments
// (two pages each for contacts and jobs, with the last item of a page repeated on the next) and
// finds every record once, linked, with exact amounts; a second sync changes nothing.
func TestTaveSyncsEveryResourceLinkedAndExact(t *testing.T) {
	t.Parallel()
	s := newStudio(t)
	seed(s.fake)
	s.fake.RepeatAcrossPages(true)
	s.sync(t)

	want := totals{Clients: 150, Inquiries: 150, Booked: 50, Lost: 10, Bookings: 50, LinkedBookings: 50, Invoices: 50,
		Payments: 100, LinkedPayments: 100, Contract: 50 * 480050, Paid: 50 * (100025 + 30000), Refunded: 50 * 10000}
	require.Equal(t, want, s.totals(t))
	runs, err := s.env.DB.SyncRuns(context.Background(), s.org, s.integ.ID, 10)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	require.Equal(t, "succeeded", runs[0].Status)
	require.Zero(t, runs[0].Counts.Skipped, runs[0].ErrorMessage)

	var status string
	var estimate int64
	var currency string
	require.NoError(t, s.env.Admin.QueryRow(context.Background(), `select status, estimated_value, currency from inquiries
		where integration_id = $1 and external_id = 'j1'`, s.integ.ID).Scan(&status, &estimate, &currency))
	require.Equal(t, "proposal", status)
	require.Equal(t, int64(350000), estimate)
	require.Equal(t, "USD", currency)

	s.sync(t)
	require.Equal(t, want, s.totals(t), "a replay changes nothing")
	runs, err = s.env.DB.SyncRuns(context.Background(), s.org, s.integ.ID, 10)
	require.NoError(t, err)
	require.Equal(t, "succeeded", runs[0].Status)
	require.Zero(t, runs[0].Counts.Created)
}

// TestTaveRateLimitResumesFromTheSamePage: a 429 with Retry-After 2 on the second page of jobs
// waits two seconds and resumes there: contacts are not read again and nothing is lost.
func TestTaveRateLimitResumesFromTheSamePage(t *testing.T) {
	t.Parallel()
	s := newStudio(t)
	seed(s.fake)
	s.fake.FailOn("jobs", 2, http.StatusTooManyRequests, "2")
	start := time.Now()
	s.sync(t)

	require.GreaterOrEqual(t, time.Since(start), 2*time.Second, "Retry-After honoured")
	require.Equal(t, 2, s.fake.Requests("contacts"), "contacts are not read again after the 429")
	require.Equal(t, 3, s.fake.Requests("jobs"), "jobs page 2 asked again after the wait")
	runs, err := s.env.DB.SyncRuns(context.Background(), s.org, s.integ.ID, 10)
	require.NoError(t, err)
	require.Len(t, runs, 2)
	require.Equal(t, "rate_limited", runs[1].ErrorClass)
	require.Equal(t, "succeeded", runs[0].Status)
	got := s.totals(t)
	require.Equal(t, 150, got.Inquiries)
	require.Equal(t, 100, got.LinkedPayments)
	in, err := s.env.DB.IntegrationByID(context.Background(), s.org, s.integ.ID)
	require.NoError(t, err)
	require.Equal(t, store.IntegrationHealthy, in.Status)
	require.Zero(t, in.ConsecutiveFailures)
}

// TestTaveWrongKeyNeedsReauth: a refused key is a credentials problem, not retried.
func TestTaveWrongKeyNeedsReauth(t *testing.T) {
	t.Parallel()
	s := newStudio(t)
	s.fake.FailNext(1, http.StatusUnauthorized, "")
	s.sync(t)
	in, err := s.env.DB.IntegrationByID(context.Background(), s.org, s.integ.ID)
	require.NoError(t, err)
	require.Equal(t, store.IntegrationNeedsReauth, in.Status)
	require.Equal(t, "credentials", in.LastErrorClass)
}
