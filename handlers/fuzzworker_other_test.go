//go:build !unix

package handlers_test

import "github.com/wedsync/wedsync/store/localpg"

// stopClusterOnInterrupt does nothing where the fuzz coordinator does not interrupt its workers.
func stopClusterOnInterrupt(*localpg.Cluster) {}
