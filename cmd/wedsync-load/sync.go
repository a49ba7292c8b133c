package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/stripe"
	"github.com/wedsync/wedsync/jobs/connector/stripe/stripetest"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/secret"
)

const benchStripeKey = "sk_test_51BenchSyncWedSyncFakeKey000000"

// runSyncBench is `wedsync-load sync`: on a private throwaway cluster it fills the in-process
// Stripe fake with -payments charges (deposits and balances of -bookings bookings, linked through
// metadata.booking_id, with fees) and measures, in the same run:
//
//   - a full sync of a Stripe integration pointed at the fake, end to end through the real
//     framework: "Sync now" (Runner.RequestSync) → the River sync job → Connector.Fetch through
//     stripe-go over loopback HTTP, 100 charges a page, fetched ahead while earlier pages are
//     written → one transaction per write of the pages fetched meanwhile (up to
//     -max-write-records: links, upsert, cursor, run counters, a recompute enqueued at most
//     once a second) → the run marked successful;
//   - a plain COPY of the same rows (the payments the sync stored) into payments as the
//     superuser, one statement, the best of -copies runs, each into an empty table.
func runSyncBench(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	n := fs.Int("payments", 100_000, "charges in the Stripe fake")
	nBookings := fs.Int("bookings", 2_000, "bookings the charges pay for")
	copies := fs.Int("copies", 3, "COPY runs (the best counts)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the sync to this file")
	maxWrite := fs.Int("max-write-records", 0, "records of one sync transaction at most (0: the sync's default)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	started := time.Now()
	bdb, err := startBenchDB(ctx, "wedsync_sync_bench", benchDBOptions{AppConns: 20})
	if err != nil {
		return err
	}
	defer bdb.Close()
	admin, db := bdb.Admin, bdb.DB
	keys, err := secret.Parse(secret.Generate("bench1"))
	if err != nil {
		return err
	}
	org, user, err := db.Signup(ctx, store.SignupInput{OrgName: "Evergreen Weddings Co.", Timezone: "America/New_York",
		Currency: "USD", Email: "owner@evergreen.example", Name: "Maya Evergreen", Password: "correct-horse-battery"})
	if err != nil {
		return fmt.Errorf("signup: %w", err)
	}
	bookings, err := syncBookings(ctx, admin, org, *nBookings)
	if err != nil {
		return err
	}
	fake := stripetest.New(benchStripeKey)
	fake.AddCharges(*n, syncCharge(bookings, time.Now()))
	fakeURL, stopFake := fake.Start()
	defer stopFake()

	// The integration exists before the workers start and is not due, so only "Sync now" syncs it.
	integ, err := db.CreateIntegration(ctx, org, user, keys, store.IntegrationInput{Provider: stripe.Name, Name: "Stripe",
		IntervalMinutes: "1440", Secrets: map[string]string{"secret_key": benchStripeKey}})
	if err != nil {
		return err
	}
	if err := db.SetIntegrationConfig(ctx, org, integ.ID, jobs.APIBaseConfigKey, fakeURL); err != nil {
		return err
	}
	if _, err := admin.Exec(ctx, "update integrations set next_run_at = now() + interval '1 day' where id = $1", integ.ID); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("WEDSYNC_BENCH_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	runner, err := jobs.New(db, log, jobs.Config{Work: true, Keys: keys, Sync: jobs.SyncConfig{
		ScheduleEvery: time.Hour, JobBudget: 10 * time.Minute, JobTimeout: 15 * time.Minute, MaxWriteRecords: *maxWrite}})
	if err != nil {
		return err
	}
	jobsCtx, stopJobs := context.WithCancel(context.Background())
	defer stopJobs()
	if err := runner.Start(jobsCtx); err != nil {
		return err
	}
	defer func() {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = runner.Stop(c)
	}()
	fmt.Printf("set-up: %d charges in the Stripe fake for %d bookings, in %s\n", *n, len(bookings), time.Since(started).Round(time.Millisecond))

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	cpuBefore := benchCPU(ctx, admin)
	syncTook, recordedTook, err := benchSyncOnce(ctx, runner, org, integ.ID)
	if *cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return err
	}
	cpuUsed := benchCPU(ctx, admin).minus(cpuBefore)
	var rows, distinct, linked int
	var run struct {
		pages          int
		created, other int
	}
	if err := admin.QueryRow(ctx, `select count(*), count(distinct external_id), count(booking_id) from payments where integration_id = $1`,
		integ.ID).Scan(&rows, &distinct, &linked); err != nil {
		return err
	}
	if err := admin.QueryRow(ctx, `select pages, created_count, updated_count + skipped_count + deleted_count from sync_runs
		where integration_id = $1 order by id desc limit 1`, integ.ID).Scan(&run.pages, &run.created, &run.other); err != nil {
		return err
	}
	if rows != *n || distinct != *n || run.created != *n || run.other != 0 {
		return fmt.Errorf("sync stored %d payments (%d distinct), its run counted %d created and %d other; want %d", rows, distinct, run.created, run.other, *n)
	}
	fmt.Printf("sync: %d payments (%d linked to their booking) in %d pages, %s (River's completion event %s after the request)\n",
		rows, linked, run.pages, syncTook.Round(time.Millisecond), recordedTook.Round(time.Millisecond))

	copyTook, err := benchCopy(ctx, admin, org, integ.ID, *copies)
	if err != nil {
		return err
	}
	fetchTook, err := benchFetchOnly(ctx, fakeURL, *n)
	if err != nil {
		return err
	}
	syncRate := float64(*n) / syncTook.Seconds()
	copyRate := float64(*n) / copyTook.Seconds()
	fmt.Printf("copy: best of %d, %s\n", *copies, copyTook.Round(time.Millisecond))
	fmt.Printf("for reference, the provider side alone (stripe-go fetching and decoding every page from the fake, no database): %.0f rows/s\n",
		float64(*n)/fetchTook.Seconds())
	fmt.Printf("machine: %d CPUs; load average %s\n", runtime.NumCPU(), loadAverage())
	fmt.Printf("sync CPU time (less sensitive to a busy machine than the rates): this process (Stripe fake, stripe-go, River, pgx) %s, PostgreSQL %s; %.1f ms per 1,000 rows\n",
		cpuUsed.self.Round(time.Millisecond), cpuUsed.postgres.Round(time.Millisecond),
		float64((cpuUsed.self+cpuUsed.postgres).Microseconds())/float64(*n))
	fmt.Printf("RESULT sync_rows_per_sec %.0f rows/s\n", syncRate)
	fmt.Printf("RESULT sync_rows_per_sec_to_completion_event %.0f rows/s\n", float64(*n)/recordedTook.Seconds())
	fmt.Printf("RESULT copy_rows_per_sec %.0f rows/s\n", copyRate)
	fmt.Printf("RESULT sync_vs_copy_ratio %.3f ratio\n", syncRate/copyRate)
	return nil
}

// cpuTimes is CPU time (user + system) used so far by this process and by the cluster's
// PostgreSQL processes (live ones and those that exited).
type cpuTimes struct{ self, postgres time.Duration }

func (a cpuTimes) minus(b cpuTimes) cpuTimes {
	return cpuTimes{a.self - b.self, a.postgres - b.postgres}
}

// benchCPU reads the CPU times from /proc (zero where it cannot): the postmaster is the parent of
// the admin connection's backend.
func benchCPU(ctx context.Context, admin *pgxpool.Pool) cpuTimes {
	var t cpuTimes
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		t.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	var backend int
	if admin.QueryRow(ctx, "select pg_backend_pid()").Scan(&backend) != nil {
		return t
	}
	stat := func(pid string) []string {
		b, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil {
			return nil
		}
		s := string(b)
		return strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // fields from the 3rd (state) on
	}
	ticks := func(f []string, i ...int) (n int64) {
		for _, k := range i {
			v, _ := strconv.ParseInt(f[k-3], 10, 64)
			n += v
		}
		return n
	}
	own := stat(strconv.Itoa(backend))
	if own == nil {
		return t
	}
	postmaster := own[1]
	pm := stat(postmaster)
	if pm == nil {
		return t
	}
	total := ticks(pm, 14, 15, 16, 17) // its own and its exited children's user and system ticks
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		if f := stat(p.Name()); f != nil && f[1] == postmaster {
			total += ticks(f, 14, 15)
		}
	}
	t.postgres = time.Duration(total) * time.Second / 100 // USER_HZ
	return t
}

// benchFetchOnly pages through the fake with the Stripe connector alone, storing nothing.
func benchFetchOnly(ctx context.Context, fakeURL string, want int) (time.Duration, error) {
	conn, err := stripe.New(connector.Params{Credentials: map[string]string{"secret_key": benchStripeKey}, BaseURL: fakeURL,
		HTTPClient: &http.Client{Timeout: 30 * time.Second}})
	if err != nil {
		return 0, err
	}
	start := time.Now()
	var cursor json.RawMessage
	got := 0
	for {
		page, err := conn.Fetch(ctx, cursor)
		if err != nil {
			return 0, err
		}
		got += len(page.Records)
		if cursor = page.Cursor; page.Done {
			break
		}
	}
	if got != want {
		return 0, fmt.Errorf("fetched %d charges, want %d", got, want)
	}
	return time.Since(start), nil
}

// benchSyncOnce presses "Sync now" and waits until the sync job has completed. It returns the
// time from the request to the job's end as River records it (finalized_at: when the worker
// returned, the run marked successful and the page told), and to the completion event: River
// writes completions in batches, flushing a quiet queue's every 250 ms, so the event comes up to
// 250 ms after the sync's end, which no user waits for and no sync can speed up. It waits on the
// River client's job events rather than polling river_job, which would add its own queries to
// the load it measures.
func benchSyncOnce(ctx context.Context, runner *jobs.Runner, org, integrationID int64) (finished, recorded time.Duration, err error) {
	events, cancel := runner.Client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled)
	defer cancel()
	start := time.Now()
	queued, err := runner.RequestSync(ctx, org, integrationID)
	if err != nil {
		return 0, 0, err
	}
	if !queued {
		return 0, 0, errors.New("a sync was already queued")
	}
	timeout := time.After(5 * time.Minute)
	for {
		select {
		case ev := <-events:
			if ev.Job.Kind != (jobs.SyncArgs{}).Kind() {
				continue
			}
			if ev.Kind != river.EventKindJobCompleted {
				return 0, 0, fmt.Errorf("sync job %s: %v", ev.Job.State, ev.Job.Errors)
			}
			recorded = time.Since(start)
			if ev.Job.FinalizedAt == nil {
				return 0, 0, errors.New("completed sync job without finalized_at")
			}
			return ev.Job.FinalizedAt.Sub(start), recorded, nil
		case <-timeout:
			return 0, 0, errors.New("sync did not finish within 5 minutes")
		case <-ctx.Done():
			return 0, 0, ctx.Err()
		}
	}
}

// benchCopy copies the payments the sync stored, as they are, into payments again under another
// integration with one COPY as the superuser, into an empty table each time (the synced rows are
// set aside first), and returns the fastest of runs.
func benchCopy(ctx context.Context, admin *pgxpool.Pool, org, integrationID int64, runs int) (time.Duration, error) {
	var other int64
	if err := admin.QueryRow(ctx, `insert into integrations (org_id, public_id, provider, name, config, next_run_at)
		values ($1, $2, 'stripe', 'COPY target', '{}', now() + interval '1 day') returning id`, org, store.NewPublicID()).Scan(&other); err != nil {
		return 0, err
	}
	cols := []string{"org_id", "integration_id", "external_id", "provider", "booking_id", "invoice_id", "amount",
		"refunded_amount", "fee", "currency", "status", "paid_at", "note"}
	rows, err := admin.Query(ctx, `select `+joinCols(cols)+` from payments where integration_id = $1 order by paid_at`, integrationID)
	if err != nil {
		return 0, err
	}
	var data [][]any
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			return 0, err
		}
		v[1] = other
		data = append(data, v)
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if _, err := admin.Exec(ctx, "vacuum analyze payments"); err != nil {
		return 0, err
	}
	if _, err := admin.Exec(ctx, "create table synced_payments as select * from payments; truncate payments"); err != nil {
		return 0, err
	}
	var best time.Duration
	for i := 0; i < runs; i++ {
		start := time.Now()
		copied, err := admin.CopyFrom(ctx, pgx.Identifier{"payments"}, cols, pgx.CopyFromRows(data))
		took := time.Since(start)
		if err != nil {
			return 0, err
		}
		if copied != int64(len(data)) {
			return 0, fmt.Errorf("COPY wrote %d rows of %d", copied, len(data))
		}
		if best == 0 || took < best {
			best = took
		}
		if _, err := admin.Exec(ctx, "truncate payments"); err != nil {
			return 0, err
		}
	}
	return best, nil
}

func joinCols(cols []string) string {
	s := ""
	for i, c := range cols {
		if i > 0 {
			s += ", "
		}
		s += c
	}
	return s
}

// syncBooking is a booking the charges pay for.
type syncBooking struct {
	ID       int64
	Contract int64
	Email    string
}

// syncBookings adds n clients with a booking each: weddings from two years ago (completed) to a
// year ahead (confirmed), booked a year before, a studio that takes several weddings a day.
func syncBookings(ctx context.Context, admin *pgxpool.Pool, org int64, n int) ([]syncBooking, error) {
	if _, err := admin.Exec(ctx, "update organizations set daily_capacity = 10 where id = $1", org); err != nil {
		return nil, err
	}
	rows, err := admin.Query(ctx, `with c as (
			insert into clients (org_id, name, email)
			select $1, 'Couple ' || g, 'couple' || g || '@example.com' from generate_series(1, $2) g returning id, email
		), b as (
			insert into bookings (org_id, client_id, wedding_date, booked_at, contract_amount, currency, title, status)
			select $1, id, d, d - interval '1 year', 450000 + (id % 9) * 50000, 'USD', 'Wedding',
				case when d < current_date then 'completed' else 'confirmed' end
			from (select id, current_date - 730 + (id * 7919 % 1095)::int as d from c) x
			returning id, client_id, contract_amount
		)
		select b.id, b.contract_amount, c.email from b join c on c.id = b.client_id order by b.id`, org, n)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[syncBooking])
}

// syncCharge makes charge i: a 30% deposit or a balance of a booking's contract, paid by card
// at some moment of the last two years, with Stripe's fee and the booking in its metadata.
func syncCharge(bookings []syncBooking, now time.Time) func(i int) stripetest.Charge {
	r := rand.New(rand.NewPCG(7, 11))
	return func(i int) stripetest.Charge {
		b := bookings[r.IntN(len(bookings))]
		amount, desc := b.Contract*3/10, "Deposit"
		if r.IntN(2) == 0 {
			amount, desc = b.Contract-amount, "Balance"
		}
		c := stripetest.Charge{
			ID:          fmt.Sprintf("ch_bench%08d", i),
			Amount:      amount,
			Currency:    "usd",
			Created:     now.Add(-time.Duration(r.Int64N(int64(2 * 365 * 24 * time.Hour)))),
			Description: desc + " for booking #" + strconv.FormatInt(b.ID, 10),
			Email:       b.Email,
			Metadata:    map[string]string{"booking_id": strconv.FormatInt(b.ID, 10)},
			Fee:         amount*29/1000 + 30,
		}
		if r.IntN(50) == 0 {
			c.AmountRefunded = amount / 2
		}
		return c
	}
}
