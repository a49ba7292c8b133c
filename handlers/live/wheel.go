package live

import (
	"sync"
	"time"
)

// wheel visits every hijacked connection once per period, spread evenly over the period in
// slots, so 20,000 heartbeats are 20,000 small writes across 5 seconds rather than one burst.
type wheel struct {
	pool  *writerPool
	tick  time.Duration
	mu    sync.Mutex
	slots []map[*streamConn]struct{}
	cur   int
}

func newWheel(p *writerPool, period time.Duration) *wheel {
	n := int(min(64, max(1, period/(20*time.Millisecond))))
	w := &wheel{pool: p, tick: period / time.Duration(n), slots: make([]map[*streamConn]struct{}, n)}
	for i := range w.slots {
		w.slots[i] = map[*streamConn]struct{}{}
	}
	return w
}

// add puts c in the slot visited last, so its first visit comes one period from now.
func (w *wheel) add(c *streamConn) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c.slot = w.cur
	w.slots[c.slot][c] = struct{}{}
}

func (w *wheel) remove(c *streamConn) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.slots[c.slot], c)
}

func (w *wheel) run() {
	t := time.NewTicker(w.tick)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			w.mu.Lock()
			w.cur = (w.cur + 1) % len(w.slots)
			conns := make([]*streamConn, 0, len(w.slots[w.cur]))
			for c := range w.slots[w.cur] {
				conns = append(conns, c)
			}
			w.mu.Unlock()
			if len(conns) > 0 {
				w.pool.schedule(conns, jobBeat, nil)
			}
		case <-w.pool.quit:
			return
		}
	}
}
