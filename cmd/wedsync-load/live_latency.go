package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/wedsync/wedsync/store"
)

// writeRec is one committed write: its organization's change counter right after the commit
// (the write's own, or a later one: never earlier) and the commit's time.
type writeRec struct {
	group  int
	seq    int64
	commit time.Time
}

// pay records a payment through the store's write path and reads the change counter back.
func (b *liveBench) pay(ctx context.Context, o liveOrg) (int64, time.Time, error) {
	if _, err := b.db.CreatePayment(ctx, o.id, o.user, store.PaymentInput{Amount: "1.00", Status: "succeeded"}); err != nil {
		return 0, time.Time{}, err
	}
	commit := time.Now()
	var seq int64
	err := b.admin.QueryRow(ctx, "select change_seq from org_metric_state where org_id = $1", o.id).Scan(&seq)
	return seq, commit, err
}

// paced runs n writes at rate per second, each in its own goroutine at its scheduled time.
func pacedWrites(ctx context.Context, n int, rate float64, write func(i int) error) error {
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		at := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Until(at)):
		}
		wg.Add(1)
		go func() { defer wg.Done(); errs <- write(i) }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// waitSeen waits until every client has read a frame with at least its group's last counter.
func waitSeen(clients []*sseClient, last map[int]int64, within time.Duration) int {
	deadline := time.Now().Add(within)
	for {
		behind := 0
		for _, c := range clients {
			if c.last.Load() < last[c.group] {
				behind++
			}
		}
		if behind == 0 || time.Now().After(deadline) {
			return behind
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// liveSpans are the latencies of one test: commit-to-screen for every (write, client) pair, split
// into commit to computed_at (job pickup), computed_at to sent_at (recompute, NOTIFY, snapshot
// read and render) and sent_at to screen (fan-out and the client's read).
type liveSpans struct {
	commitToScreen, pickup, compute, sentToScreen []time.Duration
	missed                                        int
}

// latencies pairs every write with every client of its organization: the time from the commit
// to the client's reading of the first whole frame that includes it.
func latencies(clients []*sseClient, writes []writeRec) liveSpans {
	var s liveSpans
	byGroup := map[int][]writeRec{}
	for _, w := range writes {
		byGroup[w.group] = append(byGroup[w.group], w)
	}
	for _, ws := range byGroup {
		sortWrites(ws)
	}
	for _, c := range clients {
		ws := byGroup[c.group]
		j := 0
		for _, w := range ws {
			for j < len(c.receipts) && c.receipts[j].seq < w.seq {
				j++
			}
			if j == len(c.receipts) {
				s.missed++
				continue
			}
			r := c.receipts[j]
			s.commitToScreen = append(s.commitToScreen, r.at.Sub(w.commit))
			s.pickup = append(s.pickup, r.computed.Sub(w.commit))
			s.compute = append(s.compute, r.sent.Sub(r.computed))
			s.sentToScreen = append(s.sentToScreen, r.at.Sub(r.sent))
		}
	}
	return s
}

// breakdown prints the parts of commit-to-screen at p50 and p99.
func (s liveSpans) breakdown(name string) {
	q := func(ds []time.Duration) string {
		return fmt.Sprintf("p50 %.1f / p99 %.1f ms", ms(percentile(ds, 0.5)), ms(percentile(ds, 0.99)))
	}
	fmt.Printf("%s: commit to computed_at (job pickup) %s; computed_at to sent_at (recompute, NOTIFY, render) %s; sent_at to screen %s\n",
		name, q(s.pickup), q(s.compute), q(s.sentToScreen))
}

func sortWrites(ws []writeRec) {
	for i := 1; i < len(ws); i++ {
		for j := i; j > 0 && ws[j].seq < ws[j-1].seq; j-- {
			ws[j], ws[j-1] = ws[j-1], ws[j]
		}
	}
}

// eachWrite is, for each write of one organization in commit order, the p99 of its
// commit-to-screen latency over the clients, and the time from its commit to the frame's sent_at
// (the part before the fan-out): a single slow write (a collection, another process, a cold
// cache) weighs on the test's p99 far more than its share of the samples.
func eachWrite(clients []*sseClient, writes []writeRec) (p99, beforeFanout []time.Duration) {
	ws := append([]writeRec(nil), writes...)
	sortWrites(ws)
	samples := make([][]time.Duration, len(ws))
	beforeFanout = make([]time.Duration, len(ws))
	for _, c := range clients {
		j := 0
		for i, w := range ws {
			for j < len(c.receipts) && c.receipts[j].seq < w.seq {
				j++
			}
			if j < len(c.receipts) {
				samples[i] = append(samples[i], c.receipts[j].at.Sub(w.commit))
				beforeFanout[i] = c.receipts[j].sent.Sub(w.commit)
			}
		}
	}
	p99 = make([]time.Duration, len(ws))
	for i, s := range samples {
		p99[i] = percentile(s, 0.99)
	}
	return p99, beforeFanout
}
