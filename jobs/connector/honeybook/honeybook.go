// Package honeybook is the HoneyBook integration. HoneyBook has no public API: its projects
// arrive as CSV report uploads (package csvimport, HoneyBook's column names) and as Zapier
// triggers forwarded to our signed webhook (package zapier).
package honeybook

import (
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/zapier"
)

// Name is the provider key (integrations.provider, /webhooks/honeybook/...).
const Name = "honeybook"

// Provider describes HoneyBook for the registry.
func Provider() connector.Provider { return zapier.NewProvider(Name, "HoneyBook") }
