package jobs_test

import (
	"os"
	"testing"

	"github.com/wedsync/wedsync/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }
