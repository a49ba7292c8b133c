//go:build unix

package handlers_test

import (
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/wedsync/wedsync/store/localpg"
)

// isFuzzWorker reports whether this process is a worker of `go test -fuzz`.
func isFuzzWorker() bool {
	return slices.ContainsFunc(os.Args[1:], func(a string) bool { return strings.HasPrefix(a, "-test.fuzzworker") })
}

// A fuzz worker talks to its coordinator over the files it inherits as descriptors 3, 4 and 5
// (without close-on-exec). This package's TestMain starts a PostgreSQL cluster, which would
// inherit them too: the coordinator, stopping a worker to minimize an input, then waits forever
// for a pipe the cluster still holds. Marking them close-on-exec keeps them in the worker.
func init() {
	if !isFuzzWorker() {
		return
	}
	for fd := 3; fd <= 5; fd++ {
		syscall.CloseOnExec(fd)
	}
}

// stopClusterOnInterrupt stops the test cluster when a fuzz worker is interrupted: the
// coordinator sends SIGINT to a worker that takes over a second to wind down, which would end
// it before TestMain stops the cluster and leave the cluster running.
func stopClusterOnInterrupt(c *localpg.Cluster) {
	if !isFuzzWorker() {
		return
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt)
	go func() {
		<-ch
		_ = c.Stop()
		os.Exit(1)
	}()
}
