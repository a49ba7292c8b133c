//go:build !unix

package live

import (
	"errors"
	"syscall"
)

// canHijack: elsewhere every stream keeps its own goroutine (Serve).
const canHijack = false

func tryWrite(syscall.RawConn, []byte) (int, error) { return 0, errors.New("live: no raw writes here") }

func peerClosed(syscall.RawConn) bool { return true }
