package jobs

import "time"

// recomputePacer spaces out the dashboard recomputes a running sync asks for. Queueing one per
// page would keep an organization's KPIs recomputing back to back for the whole sync, on the
// cores that write its pages; instead the first page with records asks at once (the dashboard
// starts moving), then at most one page every interval. The pages in between still count on the
// organization's change counter (store.SyncPage.CountChange), and the sync's end (succeeded or
// failed) always asks for a recompute, so the final snapshot is exact.
type recomputePacer struct {
	every time.Duration
	last  time.Time // when a page last asked; zero before the first
}

// due reports whether the page written at now asks for a recompute, and if so counts it.
func (p *recomputePacer) due(now time.Time) bool {
	if !p.last.IsZero() && now.Sub(p.last) < p.every {
		return false
	}
	p.last = now
	return true
}
