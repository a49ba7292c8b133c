// Package dubsado is the Dubsado integration. Dubsado has no general API: its projects arrive
// as CSV export uploads (package csvimport, Dubsado's column names) and as Zapier triggers (new
// project as lead or job, status updated, contract signed, payment received) forwarded to our
// signed webhook (package zapier).
package dubsado

import (
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/zapier"
)

// Name is the provider key (integrations.provider, /webhooks/dubsado/...).
const Name = "dubsado"

// Provider describes Dubsado for the registry.
func Provider() connector.Provider { return zapier.NewProvider(Name, "Dubsado") }
