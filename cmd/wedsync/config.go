package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/wedsync/wedsync/jobs"
)

// Config is the whole process configuration, parsed once from the environment and then flags.
type Config struct {
	// Addr is the HTTP listen address (from PORT, default :8080).
	Addr string
	// BaseURL is the public origin used in links.
	BaseURL string
	// DatabaseURL is the owner connection (migrations, role set-up); empty starts an embedded cluster.
	DatabaseURL string
	// AppDatabaseURL overrides the app role's connection; empty derives it from DatabaseURL.
	AppDatabaseURL string
	// DataDir holds the embedded cluster and the development secret key.
	DataDir string
	// SecretKey is WEDSYNC_SECRET_KEY ("kid:base64key,...").
	SecretKey string
	// Demo seeds the demo organization and runs demo activity.
	Demo bool
	// Web and Worker choose the roles of this process (both by default).
	Web, Worker bool
	// LogLevel is debug, info, warn or error.
	LogLevel string
	// LogJSON writes logs as JSON instead of text.
	LogJSON bool
	// StreamHeartbeat is the SSE heartbeat interval.
	StreamHeartbeat time.Duration
	// TLSCert and TLSKey enable HTTPS (and so HTTP/2) when both are set.
	TLSCert, TLSKey string
	// OAuth are the OAuth client registrations (config_oauth.go).
	OAuth jobs.OAuthClients
	// OperatorOrg is WEDSYNC_OPERATOR_ORG, the id of the organization whose owners may open the
	// job console; 0: the demo organization with --demo, else nobody.
	OperatorOrg int64
}

// parseConfig reads the environment, then lets flags of the subcommand override it.
func parseConfig(name string, args []string) (Config, error) {
	c := Config{
		Addr:            ":" + envOr("PORT", "8080"),
		BaseURL:         os.Getenv("WEDSYNC_BASE_URL"),
		DatabaseURL:     os.Getenv("DATABASE_URL"),
		AppDatabaseURL:  os.Getenv("WEDSYNC_APP_DATABASE_URL"),
		DataDir:         envOr("WEDSYNC_DATA_DIR", ".wedsync"),
		SecretKey:       os.Getenv("WEDSYNC_SECRET_KEY"),
		Demo:            envBool("WEDSYNC_DEMO"),
		Web:             true,
		Worker:          true,
		LogLevel:        envOr("WEDSYNC_LOG_LEVEL", "info"),
		LogJSON:         envBool("WEDSYNC_LOG_JSON"),
		StreamHeartbeat: 30 * time.Second,
		TLSCert:         os.Getenv("WEDSYNC_TLS_CERT"),
		TLSKey:          os.Getenv("WEDSYNC_TLS_KEY"),
		OAuth:           oauthConfig(),
	}
	if v := os.Getenv("WEDSYNC_STREAM_HEARTBEAT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return c, fmt.Errorf("WEDSYNC_STREAM_HEARTBEAT: %w", err)
		}
		c.StreamHeartbeat = d
	}
	if v := os.Getenv("WEDSYNC_OPERATOR_ORG"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return c, fmt.Errorf("WEDSYNC_OPERATOR_ORG=%q is not an organization id", v)
		}
		c.OperatorOrg = id
	}
	role := envOr("WEDSYNC_ROLE", "all")
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&c.Addr, "addr", c.Addr, "HTTP listen address")
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "public origin for links, e.g. https://wedsync.example.com")
	fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "owner connection string; empty starts an embedded cluster")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "directory for the embedded cluster and development key")
	fs.BoolVar(&c.Demo, "demo", c.Demo, "seed the demo organization and run demo activity")
	fs.StringVar(&role, "role", role, "all, web or worker")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error")
	fs.DurationVar(&c.StreamHeartbeat, "stream-heartbeat", c.StreamHeartbeat, "SSE heartbeat interval")
	fs.Int64Var(&c.OperatorOrg, "operator-org", c.OperatorOrg, "id of the organization whose owners may open the job console at /admin/jobs")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch role {
	case "all":
	case "web":
		c.Worker = false
	case "worker":
		c.Web = false
	default:
		return c, fmt.Errorf("--role must be all, web or worker, not %q", role)
	}
	if c.BaseURL == "" {
		host := c.Addr
		if len(host) > 0 && host[0] == ':' {
			host = "localhost" + host
		}
		scheme := "http"
		if c.TLSCert != "" {
			scheme = "https"
		}
		c.BaseURL = scheme + "://" + host
	}
	return c, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func envBool(key string) bool {
	b, _ := strconv.ParseBool(os.Getenv(key))
	return b
}
