package main

import "github.com/wedsync/wedsync/jobs"

// alertConfig reads the alert delivery settings (SMTP, Twilio, escalation) from the environment.
func alertConfig(cfg Config) jobs.AlertConfig { return jobs.AlertConfig{} }
