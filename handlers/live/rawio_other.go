//go:build !unix

package live

import "errors"

// canHijack: elsewhere every stream keeps its own goroutine (Serve).
const canHijack = false

type rawWriter struct{}

func newRawWriter() *rawWriter { return &rawWriter{} }

func (*rawWriter) writeAll(int, [][]byte) (int, error) {
	return 0, errors.New("live: no raw writes here")
}

func peerClosed(int) bool { return true }
