package live

import (
	"errors"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// The writer pool serves hijacked streams without a goroutine per stream.
//
//   - A broadcast fills the subscribers' mailboxes and hands their connections to a fixed set of
//     writer goroutines in batches. A writer copies the bytes with non-blocking write syscalls, so
//     a client that stops reading never blocks a writer.
//   - When a client's socket buffer is full (a partial write), the rest of that client's bytes go
//     to a goroutine of its own that writes with the stream's write deadline and, once the client
//     has caught up, returns the connection to the pool. A client that does not catch up within
//     the deadline is dropped; the browser reconnects and gets the full current state.
//   - One timer wheel visits every connection once per check period (min(heartbeat, 5 s)), spread
//     over the period: it writes the heartbeat comment when one is due and detects clients that
//     left with a non-blocking read (EOF), so no goroutine sits in Read for each connection.
//     Write errors at the next frame or heartbeat catch the rest.

// jobKind is what a writer does for a batch of connections.
type jobKind uint8

const (
	jobFlush jobKind = iota // write what waits in the mailbox
	jobBeat                 // wheel visit: liveness check, heartbeat when due, then the mailbox
)

// batchSize is how many connections one writer job covers.
const batchSize = 256

// revokeGrace bounds how long a revoked stream may stay open while a stuck client blocks the
// `event: revoked` write.
const revokeGrace = 500 * time.Millisecond

var errPeerClosed = errors.New("live: client closed the stream")

type poolJob struct {
	conns []*streamConn
	kind  jobKind
	done  *batchDone
}

// batchDone runs fn when the last batch of one broadcast is written.
type batchDone struct {
	left atomic.Int32
	fn   func()
}

type writerPool struct {
	hub      *Hub
	opts     StreamOptions
	beatDue  time.Duration // a heartbeat is written at the first visit at least this long after the last
	jobs     chan poolJob
	quit     chan struct{}
	stopOnce sync.Once
	wheel    *wheel
	open     atomic.Int64 // hijacked streams
	slow     atomic.Int64 // streams with a slow writer goroutine right now
}

func newWriterPool(h *Hub, opts StreamOptions) *writerPool {
	opts = opts.withDefaults()
	period := min(opts.Heartbeat, 5*time.Second)
	p := &writerPool{hub: h, opts: opts, beatDue: opts.Heartbeat - period/2,
		jobs: make(chan poolJob, 1024), quit: make(chan struct{})}
	p.wheel = newWheel(p, period)
	for range max(2, runtime.GOMAXPROCS(0)) {
		go p.work()
	}
	go p.wheel.run()
	return p
}

func (p *writerPool) stop() { p.stopOnce.Do(func() { close(p.quit) }) }

func (p *writerPool) work() {
	var scratch [][]byte
	w := newRawWriter()
	for {
		select {
		case j := <-p.jobs:
			now := time.Now()
			for _, c := range j.conns {
				scratch = c.service(j.kind, now, w, scratch[:0])
			}
			clear(scratch[:cap(scratch)])
			if j.done != nil && j.done.left.Add(-1) == 0 {
				j.done.fn()
			}
		case <-p.quit:
			return
		}
	}
}

// schedule queues conns for the writers in batches; done (optional) runs after the last batch.
func (p *writerPool) schedule(conns []*streamConn, kind jobKind, done func()) {
	var bd *batchDone
	if done != nil {
		bd = &batchDone{fn: done}
		bd.left.Store(int32((len(conns) + batchSize - 1) / batchSize))
	}
	for i := 0; i < len(conns); i += batchSize {
		select {
		case p.jobs <- poolJob{conns: conns[i:min(i+batchSize, len(conns))], kind: kind, done: bd}:
		case <-p.quit:
			return
		}
	}
}

// revoke writes `event: revoked` to each connection and closes it; a client too stuck to take
// the event is closed after revokeGrace anyway.
func (p *writerPool) revoke(conns []*streamConn) {
	p.schedule(conns, jobFlush, nil)
	for _, c := range conns {
		time.AfterFunc(revokeGrace, func() { c.kill(nil) })
	}
}

// streamConn is one hijacked stream.
//
// A pool writer writes the socket's descriptor number (fd) directly, without the net.Conn's
// reference counting (RawConn.Control per write, on one more cold object per stream, was 3 % of
// the server's CPU in a fan-out to 10,000 streams). That is safe because
// the descriptor is only closed when no pool writer holds it: while inPool is set, kill marks the
// stream dead and leaves the close to the writer (which never waits, so the close comes within
// one batch); otherwise a closed number could be reused by a new connection and get this stream's
// bytes. The slow writer goes through the net.Conn, whose Close it may need to interrupt.
type streamConn struct {
	nc   net.Conn
	fd   int
	sub  *Subscriber
	pool *writerPool

	mu     sync.Mutex
	busy   bool // a pool writer or the slow writer owns the socket
	inPool bool // a pool writer owns the socket and may be writing fd: kill leaves the close to it
	dirty  bool // a flush was asked for while busy
	dead   bool

	lastBeat time.Time // owned by whoever holds busy
	shown    int64     // the version the client shows; owned by whoever holds busy
	slot     int       // wheel slot, guarded by wheel.mu
}

// attach hands a hijacked connection, which shows version shown, to the writer pool. Anything
// offered to sub since its first frame was written (or a revocation) is written at once.
func (h *Hub) attach(nc net.Conn, fd int, sub *Subscriber, shown int64, opts StreamOptions) {
	p := h.writersWith(opts)
	c := &streamConn{nc: nc, fd: fd, sub: sub, pool: p, lastBeat: time.Now(), shown: shown}
	p.open.Add(1)
	p.wheel.add(c)
	h.mu.Lock()
	closed := h.closed
	sub.conn = c
	h.mu.Unlock()
	if closed {
		c.kill(nil)
		return
	}
	p.schedule([]*streamConn{c}, jobFlush, nil)
}

// service runs one job for the connection with the writer's raw writer w; bufs is the writer's
// scratch slice. Everything waiting for the connection is written in one batch.
func (c *streamConn) service(kind jobKind, now time.Time, w *rawWriter, bufs [][]byte) [][]byte {
	if !c.acquire(kind) {
		return bufs
	}
	if kind == jobBeat {
		if peerClosed(c.fd) {
			c.kill(errPeerClosed)
			c.leavePool()
			return bufs
		}
		if now.Sub(c.lastBeat) >= c.pool.beatDue {
			bufs = append(bufs, heartbeatComment)
			c.lastBeat = now
		}
	}
	return c.writeHeld(w, bufs)
}

// acquire takes the socket for a pool writer (busy and inPool); false when the stream is dead or
// another writer has it (a flush then marks it dirty, so that writer loops once more).
func (c *streamConn) acquire(kind jobKind) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return false
	}
	if c.busy {
		if kind == jobFlush {
			c.dirty = true
		}
		return false
	}
	c.busy, c.inPool = true, true
	return true
}

// writeHeld writes bufs and the mailbox with plain writes until the mailbox stays empty, for a
// socket the writer acquired; then it gives the socket back (or to the slow writer).
func (c *streamConn) writeHeld(w *rawWriter, bufs [][]byte) [][]byte {
	for {
		var ended bool
		bufs, ended = c.collect(bufs)
		var n int
		var err error
		if len(bufs) > 0 {
			n, err = w.writeAll(c.fd, bufs)
		}
		if c.settle(bufs, n, err, ended) {
			return bufs[:0]
		}
		bufs = bufs[:0]
	}
}

// settle finishes a pool write of bufs of which n bytes were written: a failed stream is closed,
// the rest of a partial write goes to the slow writer, an ended stream is closed, and otherwise
// the socket is given back. It returns false when a flush was asked for meanwhile: the caller
// still holds the socket and writes the mailbox again.
func (c *streamConn) settle(bufs [][]byte, n int, err error, ended bool) bool {
	if err != nil {
		c.kill(err)
		c.leavePool()
		return true
	}
	if rest := unwritten(bufs, n); len(rest) > 0 {
		c.leavePool()
		c.pool.slow.Add(1)
		go c.slowWrite(rest, ended)
		return true
	}
	if ended {
		c.kill(nil)
		c.leavePool()
		return true
	}
	return c.release()
}

// unwritten is what is left of bufs after their first n bytes were written (a new slice: bufs
// is the writer's scratch).
func unwritten(bufs [][]byte, n int) [][]byte {
	for i, b := range bufs {
		if n < len(b) {
			return append([][]byte{b[n:]}, bufs[i+1:]...)
		}
		n -= len(b)
	}
	return nil
}

// collect appends the mailbox to bufs, and the revoked event or the shutdown notice when the hub
// ended the stream.
func (c *streamConn) collect(bufs [][]byte) ([][]byte, bool) {
	bufs = c.sub.take(bufs, &c.shown)
	ended, reason := c.sub.ended()
	switch {
	case ended && reason == reasonRevoked:
		bufs = append(bufs, revokedEvent)
	case ended && reason == reasonShutdown:
		bufs = append(bufs, shutdownNotice())
	}
	return bufs, ended
}

// release gives the socket back unless a flush was asked for meanwhile (then the caller keeps
// it and loops). A pool writer's release also ends its hold on the descriptor (leavePool).
func (c *streamConn) release() bool {
	c.mu.Lock()
	if c.dirty && !c.dead {
		c.dirty = false
		c.mu.Unlock()
		return false
	}
	c.busy = false
	closeNow := c.inPool && c.dead
	c.inPool = false
	c.mu.Unlock()
	if closeNow {
		_ = c.nc.Close()
	}
	return true
}

// leavePool ends a pool writer's hold on the descriptor, and closes it when the stream was
// killed meanwhile (kill left the close to the writer).
func (c *streamConn) leavePool() {
	c.mu.Lock()
	closeNow := c.inPool && c.dead
	c.inPool = false
	c.mu.Unlock()
	if closeNow {
		_ = c.nc.Close()
	}
}

// slowWrite finishes a partial write for a client that reads slowly, with the write deadline,
// then drains the mailbox the same way until it is empty and returns the socket to the pool (or
// closes it, when the hub ended the stream).
func (c *streamConn) slowWrite(bufs [][]byte, ended bool) {
	defer c.pool.slow.Add(-1)
	for {
		for _, b := range bufs {
			_ = c.nc.SetWriteDeadline(time.Now().Add(c.pool.opts.WriteTimeout))
			if _, err := c.nc.Write(b); err != nil {
				c.kill(err)
				return
			}
		}
		// The socket goes back to the pool, which writes the descriptor: no deadline is left set.
		_ = c.nc.SetWriteDeadline(time.Time{})
		if ended {
			c.kill(nil)
			return
		}
		if c.release() {
			return
		}
		bufs, ended = c.collect(bufs[:0])
	}
}

// kill closes the connection and removes its subscriber; err (optional) says why.
func (c *streamConn) kill(err error) {
	c.mu.Lock()
	if c.dead {
		c.mu.Unlock()
		return
	}
	c.dead = true
	inPool := c.inPool
	c.mu.Unlock()
	if !inPool { // else the pool writer closes it when it lets go (leavePool)
		_ = c.nc.Close()
	}
	p := c.pool
	p.wheel.remove(c)
	p.hub.Unsubscribe(c.sub)
	p.open.Add(-1)
	var ne net.Error
	if err != nil && errors.As(err, &ne) && ne.Timeout() {
		p.hub.m.slowDropped.Inc()
	}
}
