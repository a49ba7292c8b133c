package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// fanout is test 1: one organization with many subscribers, writes at a set rate.
func (b *liveBench) fanout(ctx context.Context, o liveOptions, floor time.Duration) error {
	var wg sync.WaitGroup
	t0 := time.Now()
	clients, err := openClients(ctx, newDialers(40, 10), b.srv.addr, []string{b.big.path}, o.fanoutSubs, true, &wg)
	defer closeClients(clients, &wg)
	if err != nil {
		return err
	}
	opened := time.Since(t0)
	m, err := b.srv.scrape(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("fan-out: %d streams of one organization open in %s; server: %.0f streams, %.0f hijacked, %.0f goroutines\n",
		len(clients), opened.Round(100*time.Millisecond), m["wedsync_live_streams"], m["wedsync_live_streams_hijacked"], m["go_goroutines"])
	writes := make([]writeRec, o.fanoutWrites)
	hist0, err := b.srv.fanoutBuckets(ctx)
	if err != nil {
		return err
	}
	waitQuiet(b.srv.cmd.Process.Pid, b.cluster.Port(), "fan-out", o.quietWait)
	// The profiles cover the writes, not the wait for a quiet machine.
	stopProfiles, err := b.profile(ctx, o.profile, "fanout", time.Duration(float64(o.fanoutWrites)/o.fanoutRate*float64(time.Second)))
	if err != nil {
		return err
	}
	cpu := startCPU(b.srv.cmd.Process.Pid, b.cluster.Port())
	err = pacedWrites(ctx, o.fanoutWrites, o.fanoutRate, func(i int) error {
		seq, at, err := b.pay(ctx, b.big)
		writes[i] = writeRec{group: 0, seq: seq, commit: at}
		return err
	})
	stopProfiles()
	cpu.report("fan-out")
	if err != nil {
		return err
	}
	last := map[int]int64{0: maxSeq(writes)}
	behind := waitSeen(clients, last, 15*time.Second)
	spent := cpu.split()
	perWrite := func(d time.Duration) float64 { return ms(d) / float64(len(writes)) }
	fmt.Printf("fan-out: CPU time per write, until every client had read the last one: server %.1f ms, load generator %.1f ms, PostgreSQL %.1f ms\n",
		perWrite(spent.server), perWrite(spent.load), perWrite(spent.postgres))
	hist1, err := b.srv.fanoutBuckets(ctx)
	if err != nil {
		return err
	}
	m1, err := b.srv.scrape(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("fan-out: server side, from the rendered frame to its last write into the %d sockets: p50 <= %.0f ms, p99 <= %.0f ms (histogram bounds); "+
		"frames superseded in a mailbox %.0f, slow clients dropped %.0f\n", len(clients),
		1000*bucketQuantile(hist0, hist1, 0.5), 1000*bucketQuantile(hist0, hist1, 0.99),
		m1["wedsync_live_frames_dropped_total"]-m["wedsync_live_frames_dropped_total"], m1["wedsync_live_slow_clients_dropped_total"])
	closeClients(clients, &wg)
	sp := latencies(clients, writes)
	c2s, s2s, missed := sp.commitToScreen, sp.sentToScreen, sp.missed
	size := 0
	if len(clients[0].receipts) > 0 {
		size = clients[0].receipts[len(clients[0].receipts)-1].size
	}
	fmt.Printf("fan-out: %d writes at %.1f/s, %d latency samples, %d (write, client) pairs never delivered, %d clients behind at the end; last frame %d bytes (a delta)\n",
		len(writes), o.fanoutRate, len(c2s), missed, behind, size)
	sp.breakdown("fan-out")
	p99s, befores := eachWrite(clients, writes)
	fmt.Print("fan-out: each write in commit order, p99 of commit to screen / commit to sent_at, ms:")
	for i := range p99s {
		fmt.Printf(" %.0f/%.0f", ms(p99s[i]), ms(befores[i]))
	}
	fmt.Println()
	p99 := percentile(c2s, 0.99)
	liveResult("fanout_10k_delivery_p50", round2(ms(percentile(c2s, 0.5))), "ms")
	liveResult("fanout_10k_delivery_p99", round2(ms(p99)), "ms")
	liveResult("fanout_10k_delivery_max", round2(ms(percentile(c2s, 1))), "ms")
	liveResult("fanout_10k_delivery_p99_ratio", round2(p99.Seconds()/floor.Seconds()), "ratio")
	liveResult("fanout_10k_sent_to_receipt_p50", round2(ms(percentile(s2s, 0.5))), "ms")
	liveResult("fanout_10k_sent_to_receipt_p99", round2(ms(percentile(s2s, 0.99))), "ms")
	liveResult("fanout_10k_sent_to_receipt_max", round2(ms(percentile(s2s, 1))), "ms")
	liveResult("fanout_10k_streams", float64(len(clients)), "streams")
	liveResult("fanout_10k_server_goroutines", m["go_goroutines"], "goroutines")
	liveResult("fanout_10k_frame_bytes", float64(size), "bytes")
	liveResult("fanout_10k_undelivered", float64(missed), "pairs")
	liveResult("fanout_10k_server_cpu_per_write", round2(perWrite(spent.server)), "ms")
	liveResult("fanout_10k_load_generator_cpu_per_write", round2(perWrite(spent.load)), "ms")
	return nil
}

func maxSeq(ws []writeRec) int64 {
	var m int64
	for _, w := range ws {
		m = max(m, w.seq)
	}
	return m
}

// dashboardSet is the open dashboards of test 2, kept for the throughput rounds.
type dashboardSet struct {
	clients []*sseClient
	wg      *sync.WaitGroup
}

func (b *liveBench) openDashboards(ctx context.Context, n int) (*dashboardSet, error) {
	paths := make([]string, len(b.small))
	for i, o := range b.small {
		paths[i] = o.path
	}
	d := &dashboardSet{wg: &sync.WaitGroup{}}
	var err error
	d.clients, err = openClients(ctx, newDialers(40, 10), b.srv.addr, paths, n, true, d.wg)
	if err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

func (d *dashboardSet) close() {
	if d != nil {
		closeClients(d.clients, d.wg)
	}
}

// dashboards is test 2: many organizations with a few dashboards each, writes at a set rate
// spread over the organizations.
func (b *liveBench) dashboards(ctx context.Context, o liveOptions, floor time.Duration) (*dashboardSet, error) {
	d, err := b.openDashboards(ctx, o.dashboards)
	if err != nil {
		return nil, err
	}
	n := int(o.rate * o.duration.Seconds())
	writes := make([]writeRec, n)
	waitQuiet(b.srv.cmd.Process.Pid, b.cluster.Port(), "dashboards", o.quietWait)
	cpu := startCPU(b.srv.cmd.Process.Pid, b.cluster.Port())
	err = pacedWrites(ctx, n, o.rate, func(i int) error {
		g := i % len(b.small)
		seq, at, err := b.pay(ctx, b.small[g])
		writes[i] = writeRec{group: g, seq: seq, commit: at}
		return err
	})
	cpu.report("dashboards")
	if err != nil {
		d.close()
		return nil, err
	}
	last := map[int]int64{}
	for _, w := range writes {
		last[w.group] = max(last[w.group], w.seq)
	}
	behind := waitSeen(d.clients, last, 10*time.Second)
	// The streams stay open for the throughput rounds: measure on a copy of what they read.
	snap := make([]*sseClient, len(d.clients))
	for i, c := range d.clients {
		snap[i] = &sseClient{group: c.group, receipts: c.receiptsCopy()}
	}
	sp := latencies(snap, writes)
	c2s, s2s, missed := sp.commitToScreen, sp.sentToScreen, sp.missed
	fmt.Printf("dashboards: %d streams over %d organizations, %d writes at %.0f/s for %s, %d samples, %d undelivered, %d behind at the end\n",
		len(d.clients), len(b.small), n, o.rate, o.duration, len(c2s), missed, behind)
	sp.breakdown("dashboards")
	if r := snap[0].receipts; len(r) > 0 {
		fmt.Printf("dashboards: last frame %d bytes (a delta)\n", r[len(r)-1].size)
	}
	p99 := percentile(c2s, 0.99)
	liveResult("dashboards_1k_commit_to_screen_p50", round2(ms(percentile(c2s, 0.5))), "ms")
	liveResult("dashboards_1k_commit_to_screen_p99", round2(ms(p99)), "ms")
	liveResult("dashboards_1k_commit_to_screen_max", round2(ms(percentile(c2s, 1))), "ms")
	liveResult("dashboards_1k_commit_to_screen_p99_ratio", round2(p99.Seconds()/floor.Seconds()), "ratio")
	liveResult("dashboards_1k_sent_to_screen_p99", round2(ms(percentile(s2s, 0.99))), "ms")
	liveResult("dashboards_1k_undelivered", float64(missed), "pairs")
	return d, nil
}

// throughput is test 5: the same flat-out write load with the dashboards open and with none, in
// rounds ordered ABBA BAAB ABBA so that a drift (a growing table,
// another process on the machine) weighs on both alike. The ratio is the mean rows/s on over the
// mean rows/s off. Since other processes on a shared machine take a varying share of the CPU,
// it also prints the ratio of rows per CPU-second this benchmark used (load generator, server,
// PostgreSQL): what throughput would be on a machine of its own, where writes are CPU-bound.
func (b *liveBench) throughput(ctx context.Context, o liveOptions, d *dashboardSet) error {
	var on, off, onEff, offEff, pairs []float64
	var err error
	order := []bool{true, false, false, true, false, true, true, false, true, false, false, true}
	waitQuiet(b.srv.cmd.Process.Pid, b.cluster.Port(), "throughput", o.quietWait)
	for i, live := range order {
		switch {
		case live && d == nil:
			if d, err = b.openDashboards(ctx, o.dashboards); err != nil {
				return err
			}
		case !live && d != nil:
			d.close()
			d = nil
		}
		time.Sleep(time.Second) // let the previous round's recomputes finish
		stop := func() {}
		if i < 2 {
			if stop, err = b.profile(ctx, o.profile, fmt.Sprintf("throughput-live-%v", live), o.tputDuration); err != nil {
				return err
			}
		}
		cpu := startCPU(b.srv.cmd.Process.Pid, b.cluster.Port())
		rows := b.writeRound(ctx, o)
		stop()
		cores := cpu.report(fmt.Sprintf("throughput round %d", i+1))
		fmt.Printf("throughput round %d: live updates %-5v %.0f rows/s, %.0f rows per CPU-second\n", i+1, live, rows, rows/cores)
		if live {
			on, onEff = append(on, rows), append(onEff, rows/cores)
		} else {
			off, offEff = append(off, rows), append(offEff, rows/cores)
		}
		if i%2 == 1 { // each pair of adjacent rounds holds one of each
			pairs = append(pairs, on[len(on)-1]/off[len(off)-1])
		}
	}
	d.close()
	slices.Sort(pairs)
	fmt.Printf("throughput: on/off of adjacent rounds %.2f (sorted); median %.2f\n", pairs, (pairs[len(pairs)/2-1]+pairs[len(pairs)/2])/2)
	liveResult("write_throughput_live_off", round2(meanOf(off)), "rows/s")
	liveResult("write_throughput_live_on", round2(meanOf(on)), "rows/s")
	liveResult("write_throughput_live_on_ratio", round2(meanOf(on)/meanOf(off)), "ratio")
	liveResult("write_throughput_per_cpu_live_on_ratio", round2(meanOf(onEff)/meanOf(offEff)), "ratio")
	return nil
}

// writeRound writes payments flat out with o.writers writers over the small organizations.
func (b *liveBench) writeRound(ctx context.Context, o liveOptions) float64 {
	rctx, cancel := context.WithTimeout(ctx, o.tputDuration)
	defer cancel()
	var n atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := range o.writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; rctx.Err() == nil; k++ {
				g := b.small[(w+k*o.writers)%len(b.small)]
				if _, err := b.db.CreatePayment(rctx, g.id, g.user, paymentInput); err == nil {
					n.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}

func meanOf(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// idle is test 3, on a fresh server process (so memory left mapped by the earlier tests cannot
// hide the cost): as many idle streams as the server's fd limit holds, up to o.idle, half held
// by this process and half by a helper process.
func (b *liveBench) idle(ctx context.Context, o liveOptions) error {
	b.srv.stop()
	var err error
	if b.srv, err = startLiveServer(ctx, b.bin, b.env); err != nil {
		return err
	}
	paths := make([]string, len(b.small))
	for i, g := range b.small {
		paths[i] = g.path
	}
	// Warm up: the frame cache of every organization, the writer pool, the connection pool.
	var wg sync.WaitGroup
	warm, err := openClients(ctx, newDialers(40, 10), b.srv.addr, paths, 2*len(paths), false, &wg)
	if err != nil {
		return err
	}
	closeClients(warm, &wg)
	time.Sleep(6 * time.Second) // the wheel notices the closed streams (5 s period)
	base, err := b.srv.settledMemory(ctx)
	if err != nil {
		return err
	}
	m, err := b.srv.scrape(ctx)
	if err != nil {
		return err
	}
	fit := int(m["process_max_fds"] - base.fds - 100)
	n := min(o.idle, fit)
	if n < o.idle {
		fmt.Printf("idle: the server's fd limit is %.0f and it holds %.0f descriptors already: measuring at %d connections, not %d\n",
			m["process_max_fds"], base.fds, n, o.idle)
	}
	half := n / 2
	t0 := time.Now()
	type opened struct {
		stop func()
		err  error
	}
	helper := make(chan opened, 1)
	go func() {
		stop, err := spawnIdleHelper(ctx, n-half, b.srv.addr, paths)
		helper <- opened{stop, err}
	}()
	mine, err := openClients(ctx, newDialers(40, 10), b.srv.addr, paths, half, false, &wg)
	defer closeClients(mine, &wg)
	h := <-helper
	if h.err != nil {
		return h.err
	}
	defer h.stop()
	if err != nil {
		return err
	}
	fmt.Printf("idle: %d streams open in %s\n", n, time.Since(t0).Round(100*time.Millisecond))
	time.Sleep(3 * time.Second)
	waitQuiet(b.srv.cmd.Process.Pid, b.cluster.Port(), "idle", o.quietWait)
	after, err := b.srv.settledMemory(ctx)
	if err != nil {
		return err
	}
	if err := b.srv.saveHeapProfile(ctx, o.profile, "idle"); err != nil {
		return err
	}
	conns := after.streams - base.streams
	fmt.Printf("idle: server before %.1f MB RSS, %.1f MB heap+stack, %.0f goroutines; after %.1f MB RSS, %.1f MB heap+stack, %.0f goroutines, %.0f streams, %.0f fds\n",
		base.rss/1e6, (base.heap+base.stack)/1e6, base.goroutines, after.rss/1e6, (after.heap+after.stack)/1e6, after.goroutines, after.streams, after.fds)
	liveResult("idle_conns", conns, "connections")
	liveResult("idle_conn_memory_rss", round2((after.rss-base.rss)/conns/1024), "KB")
	liveResult("idle_conn_memory_heap", round2((after.heap+after.stack-base.heap-base.stack)/conns/1024), "KB")
	liveResult("idle_server_goroutines", after.goroutines, "goroutines")
	liveResult("idle_server_goroutines_delta", after.goroutines-base.goroutines, "goroutines")
	return nil
}
