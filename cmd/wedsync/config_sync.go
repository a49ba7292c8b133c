package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wedsync/wedsync/jobs"
)

// syncConfig reads the integration settings (provider base URLs, intervals) from the environment:
//
//	WEDSYNC_<PROVIDER>_API_BASE       another API origin for a provider (e.g. WEDSYNC_STRIPE_API_BASE for a fake)
//	WEDSYNC_SYNC_HTTP_TIMEOUT         bound of one provider call (30s)
//	WEDSYNC_SYNC_JOB_BUDGET           work per sync attempt before it continues in a fresh one (1m)
//	WEDSYNC_SYNC_JOB_TIMEOUT          bound of one sync attempt (5m)
//	WEDSYNC_SYNC_RESCUE_AFTER         River's stuck-job threshold, when set (1h by default)
//	WEDSYNC_SYNC_PAUSE_AFTER_FAILURES failures in a row that pause an integration (20)
//	WEDSYNC_SYNC_PAUSE_AFTER          time failing that pauses an integration (72h)
//
// A malformed value is reported on stderr and the default kept.
func syncConfig(cfg Config) jobs.SyncConfig {
	sc := jobs.SyncConfig{BaseURLs: map[string]string{}, OAuth: cfg.OAuth, PublicURL: cfg.BaseURL,
		AllowPrivateURLs: envBool("WEDSYNC_ALLOW_PRIVATE_URLS")}
	for _, p := range jobs.Providers().All() {
		if v := strings.TrimSpace(os.Getenv("WEDSYNC_" + strings.ToUpper(p.Name) + "_API_BASE")); v != "" {
			sc.BaseURLs[p.Name] = v
		}
	}
	syncEnvDuration("WEDSYNC_SYNC_HTTP_TIMEOUT", &sc.HTTPTimeout)
	syncEnvDuration("WEDSYNC_SYNC_JOB_BUDGET", &sc.JobBudget)
	syncEnvDuration("WEDSYNC_SYNC_JOB_TIMEOUT", &sc.JobTimeout)
	syncEnvDuration("WEDSYNC_SYNC_RESCUE_AFTER", &sc.RescueStuckJobsAfter)
	syncEnvDuration("WEDSYNC_SYNC_PAUSE_AFTER", &sc.PauseAfterDuration)
	if v := os.Getenv("WEDSYNC_SYNC_PAUSE_AFTER_FAILURES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "WEDSYNC_SYNC_PAUSE_AFTER_FAILURES=%q is not a positive number; using the default\n", v)
		} else {
			sc.PauseAfterFailures = n
		}
	}
	return sc
}

func syncEnvDuration(key string, dst *time.Duration) {
	v := os.Getenv(key)
	if v == "" {
		return
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		fmt.Fprintf(os.Stderr, "%s=%q is not a positive duration such as 90s; using the default\n", key, v)
		return
	}
	*dst = d
}
