//go:build unix

package live

import (
	"errors"
	"syscall"
	"unsafe"
)

// canHijack: on unix the pool writes hijacked sockets with non-blocking syscalls.
const canHijack = true

// rawWriter writes a connection's pending buffers with non-blocking write calls on its
// descriptor. Each pool writer owns one and reuses it, so a write allocates nothing. The caller
// keeps the descriptor open (streamConn.inPool) and gives a stream one writer at a time.
type rawWriter struct{}

func newRawWriter() *rawWriter { return &rawWriter{} }

// writeAll writes as much of bufs, in order, as the socket takes right now, without waiting: a
// full socket buffer returns fewer bytes than bufs hold, and no error. Go's sockets are already
// non-blocking.
func (w *rawWriter) writeAll(fd int, bufs [][]byte) (int, error) {
	n := 0
	for _, b := range bufs {
		for off := 0; off < len(b); {
			m, e := rawWrite(uintptr(fd), b[off:])
			switch {
			case errors.Is(e, syscall.EINTR):
				continue
			case errors.Is(e, syscall.EAGAIN):
				return n, nil
			case e != nil:
				return n, e
			case m <= 0:
				return n, nil
			}
			off += m
			n += m
		}
	}
	return n, nil
}

// peerClosed reads without waiting: EOF or an error means the client is gone. Bytes a client
// sends on an event stream mean nothing and are discarded.
func peerClosed(fd int) bool {
	var buf [128]byte
	for range 8 {
		n, e := syscall.Read(fd, buf[:])
		switch {
		case errors.Is(e, syscall.EINTR):
			continue
		case errors.Is(e, syscall.EAGAIN):
			return false
		case e != nil || n == 0:
			return true
		}
	}
	return false
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
