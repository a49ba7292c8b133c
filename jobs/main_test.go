package jobs_test

import (
	"os"
	"testing"

	"github.com/wedsync/wedsync/store/storetest"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnvDB) != "" {
		// The crash test's worker process works on its parent's database and is killed, never
		// stopped: a cluster of its own would be left running behind it.
		os.Exit(m.Run())
	}
	os.Exit(storetest.Main(m))
}
