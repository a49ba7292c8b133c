package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/demo"
	"github.com/wedsync/wedsync/store/localpg"
	"github.com/wedsync/wedsync/store/secret"
)

// liveOptions are the flags of `wedsync-load live`.
type liveOptions struct {
	fanoutSubs, fanoutWrites int
	fanoutRate               float64
	orgs, dashboards         int
	rate                     float64
	duration                 time.Duration
	idle                     int
	tputDuration             time.Duration
	writers                  int
	floorSamples             int
	server                   string
	profile                  string
	quietWait                time.Duration
	tests                    map[string]bool
}

// runLive is `wedsync-load live` (make bench-live). It starts a private cluster and a real
// `wedsync serve` process (web and workers, metrics listener on), makes organizations with share
// links, and measures with real SSE clients over loopback (HTTP/1.1 GETs of /s/<token>/stream
// from 127.0.0.x source addresses), writes going through the store's real write path (a payment,
// its audit row and the recompute job in one transaction; the server's worker recomputes and
// notifies, its hub renders and fans out):
//
//  1. the NOTIFY-to-LISTEN round trip, the floor of any latency below;
//  2. one organization (the demo organization, for realistic frames) with 10,000 subscribers:
//     delivery from the write's commit, and from the frame's sent_at, to each client's receipt of
//     the whole frame;
//  3. 1,000 dashboards across 100 organizations under 50 writes/s: commit-to-screen latency;
//  4. write throughput with those dashboards open vs none (ABBA rounds, the same write load);
//  5. on a fresh server process, memory per idle connection at as many connections as the
//     server's file descriptor limit allows (the aim is 20,000), held by this process and a
//     helper process so neither exceeds its own limit.
//
// Latency is exact per write: the snapshot event carries the change counter it includes, and the
// counter after each write's commit is read back, so a write is on a client's screen when that
// client has read a whole frame whose counter is at least the write's.
func runLive(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("live", flag.ContinueOnError)
	var o liveOptions
	fs.IntVar(&o.fanoutSubs, "fanout-subs", 10_000, "subscribers of the one big organization")
	fs.IntVar(&o.fanoutWrites, "fanout-writes", 20, "writes to the big organization")
	fs.Float64Var(&o.fanoutRate, "fanout-rate", 2, "writes per second to the big organization")
	fs.IntVar(&o.orgs, "orgs", 100, "organizations of the dashboards test")
	fs.IntVar(&o.dashboards, "dashboards", 1000, "dashboards (streams) across those organizations")
	fs.Float64Var(&o.rate, "rate", 50, "writes per second across those organizations")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "duration of the dashboards test")
	fs.IntVar(&o.idle, "idle", 20_000, "idle connections to aim for (fewer when the server's fd limit cannot hold them)")
	fs.DurationVar(&o.tputDuration, "throughput-duration", 4*time.Second, "duration of each of the 8 write-throughput rounds")
	fs.IntVar(&o.writers, "writers", 4, "concurrent writers of the throughput rounds")
	fs.IntVar(&o.floorSamples, "notify-samples", 300, "NOTIFY-to-LISTEN round trips")
	fs.StringVar(&o.server, "server", "", "wedsync binary to run (default: build ./cmd/wedsync)")
	fs.DurationVar(&o.quietWait, "quiet-wait", 30*time.Second, "how long each test waits for other processes to quieten down (a shared machine)")
	fs.StringVar(&o.profile, "profile", "", "directory for CPU profiles of the server and this process during the fan-out writes")
	tests := fs.String("tests", "fanout,dashboards,throughput,idle", "tests to run after the NOTIFY floor (a comma-separated subset)")
	helperN := fs.Int("idle-helper", 0, "(internal) hold this many idle streams for a parent run")
	helperAddr := fs.String("idle-helper-addr", "", "(internal) server address for -idle-helper")
	helperPaths := fs.String("idle-helper-paths", "", "(internal) comma-separated stream paths for -idle-helper")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *helperN > 0 {
		return idleHelper(ctx, *helperN, *helperAddr, strings.Split(*helperPaths, ","))
	}
	o.tests = map[string]bool{}
	for _, t := range strings.Split(*tests, ",") {
		o.tests[strings.TrimSpace(t)] = true
	}
	started := time.Now()
	b, err := setupLive(ctx, o)
	if err != nil {
		return err
	}
	defer b.close()
	fmt.Printf("machine: %d CPUs, client and server and PostgreSQL on the same machine; load average %s\n",
		numCPU(), loadAverage())

	floor, err := notifyFloor(ctx, b.appURL, o.floorSamples)
	if err != nil {
		return err
	}
	floorP50, floorP99 := percentile(floor, 0.5), percentile(floor, 0.99)
	liveResult("notify_listen_roundtrip_p50", ms(floorP50), "ms")
	liveResult("notify_listen_roundtrip_p99", ms(floorP99), "ms")

	if o.tests["fanout"] {
		if err := b.fanout(ctx, o, floorP99); err != nil {
			return err
		}
	}
	var dash *dashboardSet
	if o.tests["dashboards"] {
		if dash, err = b.dashboards(ctx, o, floorP99); err != nil {
			return err
		}
	}
	if o.tests["throughput"] {
		if err := b.throughput(ctx, o, dash); err != nil {
			return err
		}
	} else {
		dash.close()
	}
	if o.tests["idle"] {
		if err := b.idle(ctx, o); err != nil {
			return err
		}
	}
	fmt.Printf("load average after: %s\ntotal: %s\n", loadAverage(), time.Since(started).Round(time.Second))
	return nil
}

// liveDBName is the benchmark's database (its backends are counted as the benchmark's CPU).
const liveDBName = "wedsync_live_bench"

func liveResult(name string, v float64, unit string) {
	fmt.Printf("RESULT %s %s %s\n", name, strconv.FormatFloat(v, 'f', -1, 64), unit)
}

func numCPU() int { return runtime.NumCPU() }

func round2(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }

// liveBench is the benchmark's world: cluster, store, organizations, server.
type liveBench struct {
	cluster *localpg.Cluster
	admin   *pgxpool.Pool
	db      *store.DB
	appURL  string
	env     []string
	bin     string
	tmp     string
	srv     *liveServer

	big     liveOrg   // the demo organization (10,000 subscribers)
	small   []liveOrg // the organizations of the dashboards test
	closers []func()
}

type liveOrg struct {
	id, user int64
	path     string // its share link's stream
}

func (b *liveBench) close() {
	for i := len(b.closers) - 1; i >= 0; i-- {
		b.closers[i]()
	}
}

func setupLive(ctx context.Context, o liveOptions) (*liveBench, error) {
	b := &liveBench{}
	ok := false
	defer func() {
		if !ok {
			b.close()
		}
	}()
	t0 := time.Now()
	var err error
	bdb, err := startBenchDB(ctx, liveDBName, benchDBOptions{MaxConnections: 300, AppConns: 16})
	if err != nil {
		return nil, err
	}
	b.closers = append(b.closers, bdb.Close)
	b.cluster, b.admin, b.db, b.appURL = bdb.Cluster, bdb.Admin, bdb.DB, bdb.AppURL
	superURL := bdb.SuperURL
	// A River client configured as `serve`'s (which is never started, so it runs no job) installs
	// the write hook: every write enqueues its recompute in its own transaction, exactly as a
	// form posted to the server does. The server's workers run the jobs. (An insert-only client,
	// Work false, keeps River's 100 ms insert-notification limiter: jobs would wait for the 20 ms
	// poll instead.)
	if _, err := jobs.New(b.db, slog.New(slog.NewTextHandler(io.Discard, nil)), jobs.Config{Work: true}); err != nil {
		return nil, err
	}
	if b.tmp, err = os.MkdirTemp("", "wedsync-live-bench-"); err != nil {
		return nil, err
	}
	b.closers = append(b.closers, func() { _ = os.RemoveAll(b.tmp) })
	b.env = []string{"DATABASE_URL=" + superURL, "WEDSYNC_APP_DATABASE_URL=" + b.appURL,
		"WEDSYNC_SECRET_KEY=" + secret.Generate("b1"), "WEDSYNC_DATA_DIR=" + b.tmp, "WEDSYNC_DEMO=false"}
	built := make(chan error, 1)
	go func() {
		b.bin = o.server
		if b.bin == "" {
			b.bin, err = buildServer(ctx, b.tmp)
			built <- err
			return
		}
		built <- nil
	}()
	if err := b.makeOrgs(ctx, o.orgs); err != nil {
		return nil, err
	}
	if err := <-built; err != nil {
		return nil, err
	}
	if b.srv, err = startLiveServer(ctx, b.bin, b.env); err != nil {
		return nil, err
	}
	b.closers = append(b.closers, func() { b.srv.stop() })
	fmt.Printf("setup: cluster, schema, demo organization, %d organizations with share links, server: %s\n",
		o.orgs, time.Since(t0).Round(100*time.Millisecond))
	ok = true
	return b, nil
}

// makeOrgs makes the demo organization and n small ones, a share link each, and a first snapshot.
func (b *liveBench) makeOrgs(ctx context.Context, n int) error {
	id, _, err := demo.Ensure(ctx, b.db, time.Now())
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	b.big.id = id
	if err := b.admin.QueryRow(ctx, `select user_id from memberships where org_id = $1 and role = 'owner' limit 1`, id).Scan(&b.big.user); err != nil {
		return fmt.Errorf("demo owner: %w", err)
	}
	b.small = make([]liveOrg, n)
	var next atomic.Int64
	errs := make(chan error, 4)
	for w := 0; w < 4; w++ {
		go func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					errs <- nil
					return
				}
				oid, uid, err := b.db.Signup(ctx, store.SignupInput{OrgName: fmt.Sprintf("Bench Florals %03d", i),
					Timezone: "America/New_York", Currency: "USD", Email: fmt.Sprintf("owner%03d@bench.test", i),
					Name: "Bench Owner", Password: "correct-horse-battery"})
				if err != nil {
					errs <- fmt.Errorf("signup: %w", err)
					return
				}
				b.small[i] = liveOrg{id: oid, user: uid}
			}
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			return err
		}
	}
	for _, o := range append([]*liveOrg{&b.big}, orgPtrs(b.small)...) {
		token, err := b.db.CreateShareLink(ctx, o.id, o.user, store.ShareLinkInput{Label: "Load test screen"})
		if err != nil {
			return fmt.Errorf("share link: %w", err)
		}
		o.path = "/s/" + token + "/stream"
		if _, err := b.db.Recompute(ctx, o.id, time.Now()); err != nil {
			return fmt.Errorf("first snapshot: %w", err)
		}
	}
	return nil
}

func orgPtrs(os []liveOrg) []*liveOrg {
	out := make([]*liveOrg, len(os))
	for i := range os {
		out[i] = &os[i]
	}
	return out
}

// notifyFloor measures NOTIFY on one connection to its receipt on a LISTEN connection.
func notifyFloor(ctx context.Context, url string, n int) ([]time.Duration, error) {
	l, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	defer l.Close(ctx)
	s, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	defer s.Close(ctx)
	if _, err := l.Exec(ctx, "listen wedsync_bench_floor"); err != nil {
		return nil, err
	}
	var out []time.Duration
	for i := range n + 20 {
		t0 := time.Now()
		if _, err := s.Exec(ctx, "select pg_notify('wedsync_bench_floor', $1)", strconv.Itoa(i)); err != nil {
			return nil, err
		}
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := l.WaitForNotification(wctx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("notify floor: %w", err)
		}
		if i >= 20 {
			out = append(out, time.Since(t0))
		}
	}
	return out, nil
}

// idleHelper is the helper process: it holds n idle streams until its stdin closes.
func idleHelper(ctx context.Context, n int, addr string, paths []string) error {
	var wg sync.WaitGroup
	clients, err := openClients(ctx, newDialers(40, 60), addr, paths, n, false, &wg)
	if err != nil {
		fmt.Printf("FAILED %v\n", err)
	} else {
		fmt.Printf("READY %d\n", len(clients))
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
	closeClients(clients, &wg)
	return nil
}

// spawnIdleHelper starts the helper process and waits until its streams are open.
func spawnIdleHelper(ctx context.Context, n int, addr string, paths []string) (stop func(), err error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, "live", "-idle-helper", strconv.Itoa(n), "-idle-helper-addr", addr,
		"-idle-helper-paths", strings.Join(paths, ","))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	stop = func() { stdin.Close(); _ = cmd.Wait() }
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "READY") {
		stop()
		return nil, fmt.Errorf("idle helper: %q %v", strings.TrimSpace(line), err)
	}
	return stop, nil
}

// paymentInput is the throughput rounds' write: a one-dollar payment, paid now.
var paymentInput = store.PaymentInput{Amount: "1.00", Status: "succeeded"}
