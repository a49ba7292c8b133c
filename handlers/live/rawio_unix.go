//go:build unix

package live

import (
	"errors"
	"syscall"
)

// canHijack: on unix the pool writes hijacked sockets with non-blocking syscalls.
const canHijack = true

// tryWrite writes as much of b as the socket takes right now, without waiting: a full socket
// buffer returns n < len(b) and no error. Go's sockets are already non-blocking.
func tryWrite(rc syscall.RawConn, b []byte) (int, error) {
	var n int
	var werr error
	err := rc.Write(func(fd uintptr) bool {
		for n < len(b) {
			m, e := syscall.Write(int(fd), b[n:])
			switch {
			case errors.Is(e, syscall.EINTR):
				continue
			case errors.Is(e, syscall.EAGAIN):
				return true
			case e != nil:
				werr = e
				return true
			case m <= 0:
				return true
			}
			n += m
		}
		return true
	})
	if err != nil {
		return n, err
	}
	return n, werr
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
