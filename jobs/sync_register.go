package jobs

import "github.com/riverqueue/river"

// SyncConfig configures integration syncs.
type SyncConfig struct{}

// registerSync adds the sync workers and the scheduling periodic job.
func (r *Runner) registerSync(workers *river.Workers, rc *river.Config, cfg Config) error {
	return nil
}
