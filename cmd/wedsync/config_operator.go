package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/wedsync/wedsync/handlers"
	"github.com/wedsync/wedsync/jobs"
)

// operatorOrg is the organization whose owners may open the job console: WEDSYNC_OPERATOR_ORG,
// else the demo organization in `serve --demo`, else none (0).
func operatorOrg(cfg Config, demoOrgID int64) int64 {
	if cfg.OperatorOrg != 0 {
		return cfg.OperatorOrg
	}
	if cfg.Demo {
		return demoOrgID
	}
	return 0
}

// jobConsole builds River's web console for instances that serve pages and have an operator
// organization; nil otherwise (/admin/jobs then answers 404 to everyone).
func jobConsole(ctx context.Context, cfg Config, runner *jobs.Runner, log *slog.Logger) (http.Handler, error) {
	if !cfg.Web || (cfg.OperatorOrg == 0 && !cfg.Demo) {
		return nil, nil
	}
	return handlers.NewJobConsole(ctx, runner.Client, log)
}
