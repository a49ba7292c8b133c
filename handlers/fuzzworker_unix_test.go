//go:build unix

package handlers_test

import (
	"os"
	"slices"
	"strings"
	"syscall"
)

// A fuzz worker talks to its coordinator over the files it inherits as descriptors 3, 4 and 5
// (without close-on-exec). This package's TestMain starts a PostgreSQL cluster, which would
// inherit them too: the coordinator, stopping a worker to minimize an input, then waits forever
// for a pipe the cluster still holds. Marking them close-on-exec keeps them in the worker.
func init() {
	if !slices.ContainsFunc(os.Args[1:], func(a string) bool { return strings.HasPrefix(a, "-test.fuzzworker") }) {
		return
	}
	for fd := 3; fd <= 5; fd++ {
		syscall.CloseOnExec(fd)
	}
}
