package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/jobs/channel/email"
	"github.com/wedsync/wedsync/jobs/channel/sms"
)

// alertConfig reads the alert delivery settings (SMTP, Twilio, escalation) from the environment:
//
//	WEDSYNC_SMTP_HOST, WEDSYNC_SMTP_PORT (587)   the SMTP relay for email channels
//	WEDSYNC_SMTP_USER, WEDSYNC_SMTP_PASSWORD     SMTP AUTH credentials (optional)
//	WEDSYNC_SMTP_FROM                            sender, e.g. "WedSync <alerts@example.com>"
//	WEDSYNC_SMTP_TLS                             opportunistic (default), mandatory, ssl or none
//	WEDSYNC_TWILIO_BASE_URL                      Twilio API origin (https://api.twilio.com; a fake in tests)
//	WEDSYNC_TWILIO_SID, WEDSYNC_TWILIO_TOKEN     the Twilio account for SMS channels and escalations
//	WEDSYNC_TWILIO_FROM                          the sending number (E.164)
//	WEDSYNC_ESCALATE_AFTER                       wait before each wedding-day escalation level (15m)
//	WEDSYNC_ALLOW_PRIVATE_URLS                   "1" lets webhook channels and calendar feeds reach private addresses
//
// A malformed value is reported on stderr and the default kept.
func alertConfig(cfg Config) jobs.AlertConfig {
	ac := jobs.AlertConfig{
		BaseURL: cfg.BaseURL,
		SMTP: email.Config{
			Host:     strings.TrimSpace(os.Getenv("WEDSYNC_SMTP_HOST")),
			Username: os.Getenv("WEDSYNC_SMTP_USER"),
			Password: os.Getenv("WEDSYNC_SMTP_PASSWORD"),
			From:     strings.TrimSpace(os.Getenv("WEDSYNC_SMTP_FROM")),
			TLS:      strings.ToLower(strings.TrimSpace(os.Getenv("WEDSYNC_SMTP_TLS"))),
		},
		Twilio: sms.Config{
			BaseURL:    strings.TrimSpace(os.Getenv("WEDSYNC_TWILIO_BASE_URL")),
			AccountSID: strings.TrimSpace(os.Getenv("WEDSYNC_TWILIO_SID")),
			AuthToken:  os.Getenv("WEDSYNC_TWILIO_TOKEN"),
			From:       strings.TrimSpace(os.Getenv("WEDSYNC_TWILIO_FROM")),
		},
	}
	if v := os.Getenv("WEDSYNC_SMTP_PORT"); v != "" {
		port, err := strconv.Atoi(v)
		if err != nil || port < 1 || port > 65535 {
			fmt.Fprintf(os.Stderr, "WEDSYNC_SMTP_PORT=%q is not a port number; using 587\n", v)
		} else {
			ac.SMTP.Port = port
		}
	}
	switch ac.SMTP.TLS {
	case "", "opportunistic", "mandatory", "ssl", "none":
	default:
		fmt.Fprintf(os.Stderr, "WEDSYNC_SMTP_TLS=%q is not opportunistic, mandatory, ssl or none; using opportunistic\n", ac.SMTP.TLS)
		ac.SMTP.TLS = ""
	}
	syncEnvDuration("WEDSYNC_ESCALATE_AFTER", &ac.EscalateAfter)
	ac.AllowPrivateURLs = envBool("WEDSYNC_ALLOW_PRIVATE_URLS")
	return ac
}
