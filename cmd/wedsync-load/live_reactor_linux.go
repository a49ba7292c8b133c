package main

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// reactorNap is how long a reactor waits after a round of reads before it asks epoll for more.
// The clients share the cores with the server: a reactor that went back to epoll_wait after every
// few streams would be woken (a context switch away from the server's writers) for nearly every
// frame the server writes; after a nap it finds many streams ready at once. It adds at most this
// much to a measured latency, never takes any away.
const reactorNap = time.Millisecond

// A reactor reads many event streams with one epoll set and one goroutine. The clients share
// the machine with the server they measure, so their cost is part of every latency: a goroutine
// per stream costs a wake-up, a scheduling round and a read that finds nothing (to park again)
// for every frame; a reactor costs one read per frame and one epoll_wait for many frames.
type reactor struct {
	epfd int
	mu   sync.Mutex
	// slots holds the streams by the slot number their epoll event carries (a slice, not a map
	// keyed by descriptor: one indexed load per event); free lists the slots to reuse.
	slots    []*reactorStream
	free     []int32
	stopping atomic.Bool
	done     chan struct{}
	stopOnce sync.Once
}

type reactorStream struct {
	fd   int
	slot int32
	p    *frameParser
}

// newReactors starts n reactors (none when epoll is not available: streams keep a goroutine).
func newReactors(n int) []*reactor {
	var rs []*reactor
	for range max(n, 1) {
		epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			break
		}
		r := &reactor{epfd: epfd, done: make(chan struct{})}
		go r.run()
		rs = append(rs, r)
	}
	return rs
}

// add moves c's connection to the reactor, p going on where the connection's reader stopped.
// The reactor reads a duplicate of the socket, and the net.Conn is closed, so Go's own poller
// no longer watches it.
func (r *reactor) add(c *sseClient, p *frameParser) error {
	sc, ok := c.conn.(syscall.Conn)
	if !ok {
		return fmt.Errorf("reactor: %T has no file descriptor", c.conn)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	fd := -1
	var dupErr error
	if err := rc.Control(func(orig uintptr) { fd, dupErr = syscall.Dup(int(orig)) }); err != nil {
		return err
	}
	if dupErr != nil {
		return fmt.Errorf("reactor: dup: %w", dupErr)
	}
	syscall.CloseOnExec(fd)
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return err
	}
	s := &reactorStream{fd: fd, p: p}
	r.mu.Lock()
	if n := len(r.free); n > 0 {
		s.slot, r.free = r.free[n-1], r.free[:n-1]
		r.slots[s.slot] = s
	} else {
		s.slot = int32(len(r.slots))
		r.slots = append(r.slots, s)
	}
	r.mu.Unlock()
	c.rx = r
	_ = c.conn.Close()
	c.conn = nil
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | epollET, Fd: s.slot}
	if err := syscall.EpollCtl(r.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		r.drop(s)
		return fmt.Errorf("reactor: epoll_ctl: %w", err)
	}
	return nil
}

func (r *reactor) run() {
	defer close(r.done)
	evs := make([]syscall.EpollEvent, 512)
	batch := make([]*reactorStream, len(evs))
	buf := make([]byte, 64<<10)
	for !r.stopping.Load() {
		n, err := syscall.EpollWait(r.epfd, evs, 50)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return
		}
		r.mu.Lock()
		for i, ev := range evs[:n] {
			batch[i] = r.slots[ev.Fd]
		}
		r.mu.Unlock()
		for i, s := range batch[:n] {
			if s != nil {
				r.read(s, buf)
			}
			batch[i] = nil
		}
		if n > 0 && reactorNap > 0 {
			time.Sleep(reactorNap)
		}
	}
}

// epollET makes the reactors' epoll sets edge-triggered: a frame is reported once, when it
// arrives, instead of once more at the next epoll_wait only for the kernel to find the socket
// drained (a second poll of every stream for every frame).
const epollET = 1 << 31

// read takes what the socket holds: one read when it fits in buf, since a read that leaves room
// in buf has drained the socket, and anything arriving later is a new edge.
func (r *reactor) read(s *reactorStream, buf []byte) {
	for {
		n, err := rawRead(s.fd, buf)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EAGAIN):
			return
		case err != nil || n == 0: // the server closed the stream
			r.drop(s)
			return
		}
		s.p.feed(buf[:n])
		if n < len(buf) {
			return
		}
	}
}

// rawRead is read(2) without the runtime's entersyscall/exitsyscall: the socket is non-blocking,
// so the call never waits, and the bookkeeping is paid once per frame per stream.
func rawRead(fd int, b []byte) (int, error) {
	n, _, e := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}

// drop forgets a stream and closes its socket.
func (r *reactor) drop(s *reactorStream) {
	_ = syscall.EpollCtl(r.epfd, syscall.EPOLL_CTL_DEL, s.fd, nil)
	r.mu.Lock()
	if r.slots[s.slot] == s {
		r.slots[s.slot] = nil
		r.free = append(r.free, s.slot)
	}
	r.mu.Unlock()
	_ = syscall.Close(s.fd)
}

// stop ends the reactor and closes every stream it reads (again: a no-op).
func (r *reactor) stop() {
	r.stopOnce.Do(func() {
		r.stopping.Store(true)
		<-r.done
		r.mu.Lock()
		slots := r.slots
		r.slots, r.free = nil, nil
		r.mu.Unlock()
		for _, s := range slots {
			if s != nil {
				_ = syscall.Close(s.fd)
			}
		}
		_ = syscall.Close(r.epfd)
	})
}
