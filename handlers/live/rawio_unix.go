//go:build unix

package live

import (
	"errors"
	"syscall"
	"unsafe"
)

// canHijack: on unix the pool writes hijacked sockets with non-blocking syscalls.
const canHijack = true

// rawWriter writes a connection's pending buffers with non-blocking write calls, all inside one
// RawConn.Control callback. Each pool writer owns one and reuses it, so a write allocates nothing.
//
// Control, unlike RawConn.Write, neither takes the socket's write lock nor re-arms its poller
// state before the callback, which it need not: the pool's busy flag already gives a stream one
// writer at a time, the calls never wait, and Control still keeps the descriptor open (a close
// waits) while the callback runs.
type rawWriter struct {
	bufs [][]byte
	n    int // bytes of bufs written
	err  error
	fn   func(fd uintptr) // w.write, bound once
}

func newRawWriter() *rawWriter {
	w := &rawWriter{}
	w.fn = func(fd uintptr) { w.write(fd) }
	return w
}

// writeAll writes as much of bufs, in order, as the socket takes right now, without waiting: a
// full socket buffer returns fewer bytes than bufs hold, and no error. Go's sockets are already
// non-blocking.
func (w *rawWriter) writeAll(rc syscall.RawConn, bufs [][]byte) (int, error) {
	w.bufs, w.n, w.err = bufs, 0, nil
	err := rc.Control(w.fn)
	n, werr := w.n, w.err
	w.bufs, w.err = nil, nil
	if err != nil {
		return n, err
	}
	return n, werr
}

func (w *rawWriter) write(fd uintptr) bool {
	for _, b := range w.bufs {
		for off := 0; off < len(b); {
			m, e := rawWrite(fd, b[off:])
			switch {
			case errors.Is(e, syscall.EINTR):
				continue
			case errors.Is(e, syscall.EAGAIN):
				return true
			case e != nil:
				w.err = e
				return true
			case m <= 0:
				return true
			}
			off += m
			w.n += m
		}
	}
	return true
}

// peerClosed reads without waiting: EOF or an error means the client is gone. Bytes a client
// sends on an event stream mean nothing and are discarded.
func peerClosed(rc syscall.RawConn) bool {
	closed := false
	err := rc.Read(func(fd uintptr) bool {
		var buf [128]byte
		for range 8 {
			n, e := syscall.Read(int(fd), buf[:])
			switch {
			case errors.Is(e, syscall.EINTR):
				continue
			case errors.Is(e, syscall.EAGAIN):
				return true
			case e != nil || n == 0:
				closed = true
				return true
			}
		}
		return true
	})
	return closed || err != nil
}

// rawWrite is write(2) without the runtime's entersyscall/exitsyscall: the socket is
// non-blocking, so the call never waits, and one write per stream per frame makes the
// bookkeeping a measurable share of a fan-out.
func rawWrite(fd uintptr, b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	if e != 0 {
		return int(n), e
	}
	return int(n), nil
}
