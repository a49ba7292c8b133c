package handlers

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/csvimport"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/views"
)

// integrationJobs is what the integration pages need of the job system (*jobs.Runner has it).
// Handlers only enqueue: syncs, connection tests and webhook processing all run in River.
type integrationJobs interface {
	RequestSync(ctx context.Context, orgID, integrationID int64) (queued bool, err error)
	RequestConnectionTest(ctx context.Context, orgID, integrationID int64) error
	AcceptWebhook(ctx context.Context, orgID, integrationID int64, ev connector.WebhookEvent, body []byte) (accepted bool, err error)
}

var _ integrationJobs = (*jobs.Runner)(nil)

// integrationPages serves the integration pages and provider webhooks.
type integrationPages struct {
	*Server
	reg *connector.Registry
	// verifyClient makes the calls some webhook verifications need (PayPal).
	verifyClient *http.Client
}

// integrationRoutes registers the integration pages (admins only) and provider webhooks
// (public: no session, no CSRF; the provider's signature is the proof).
func (s *Server) integrationRoutes(member, admin []echo.MiddlewareFunc) {
	h := &integrationPages{Server: s, reg: jobs.Providers(), verifyClient: &http.Client{Timeout: 10 * time.Second}}
	e := s.echo
	e.GET("/integrations", h.list, admin...)
	e.GET("/integrations/new", h.newForm, admin...)
	e.POST("/integrations", h.create, admin...)
	e.GET("/integrations/:id", h.show, admin...)
	e.GET("/integrations/:id/edit", h.editForm, admin...)
	e.POST("/integrations/:id/preview", h.previewMapping, admin...)
	e.POST("/integrations/:id", h.update, admin...)
	e.POST("/integrations/:id/test", h.test, admin...)
	e.POST("/integrations/:id/sync", h.syncNow, admin...)
	e.POST("/integrations/:id/pause", h.pause, admin...)
	e.POST("/integrations/:id/resume", h.resume, admin...)
	e.GET("/integrations/:id/delete", h.confirmDelete, admin...)
	e.POST("/integrations/:id/delete", h.delete, admin...)
	e.POST("/integrations/oauth/:provider/connect", h.oauthConnect, admin...)
	e.GET("/integrations/oauth/:provider/callback", h.oauthCallback, admin...)
	e.POST("/integrations/:id/reconnect", h.oauthReconnect, admin...)
	// CSV imports and the Zapier signing secret of CRMs without an API (integrations_import*.go).
	e.GET("/integrations/:id/import", h.importPage, admin...)
	e.POST("/integrations/:id/import", h.uploadCSV, admin...)
	e.GET("/integrations/:id/import/:import", h.importDetail, admin...)
	e.POST("/integrations/:id/import/:import", h.confirmImport, admin...)
	e.GET("/integrations/:id/import/:import/progress", h.importProgress, admin...)
	e.POST("/integrations/:id/webhook-secret", h.rotateWebhookSecret, admin...)

	e.POST("/webhooks/:provider/:public_id", h.webhook)
}

// jobsOf returns the job system, or a 503 when this instance has none.
func (h *integrationPages) jobsOf() (integrationJobs, error) {
	if j, ok := h.jobs.(integrationJobs); ok {
		return j, nil
	}
	return nil, echo.NewHTTPError(http.StatusServiceUnavailable, "Background jobs are not available right now. Try again in a moment.")
}

// livePage is the layout model of an integration page: its body listens to the org's stream,
// which carries the sync-<id> and test-<id> progress events.
func (h *integrationPages) livePage(c echo.Context, title string) views.Page {
	p := h.page(c, title, "integrations")
	p.LiveURL = "/dashboard/stream"
	return p
}

func (h *integrationPages) list(c echo.Context) error {
	v := viewerOf(c)
	ins, err := h.db.ListIntegrations(c.Request().Context(), v.Org.ID)
	if err != nil {
		return err
	}
	rows := make([]views.IntegrationRow, len(ins))
	for i, in := range ins {
		rows[i] = h.row(in, v.Org.Location())
	}
	return render(c, http.StatusOK, views.IntegrationsPage(h.livePage(c, "Integrations"), rows))
}

func (h *integrationPages) show(c echo.Context) error {
	v := viewerOf(c)
	ctx := c.Request().Context()
	in, err := h.db.Integration(ctx, v.Org.ID, c.Param("id"))
	if err != nil {
		return err
	}
	runs, err := h.db.SyncRuns(ctx, v.Org.ID, in.ID, 20)
	if err != nil {
		return err
	}
	events, err := h.db.RecentWebhookEvents(ctx, v.Org.ID, in.ID, 10)
	if err != nil {
		return err
	}
	loc := v.Org.Location()
	label := h.reg.Label(in.Provider)
	d := views.IntegrationDetail{IntegrationRow: h.row(in, loc), IntervalMinutes: in.IntervalMinutes, FailuresInARow: in.ConsecutiveFailures}
	prov, known := h.reg.Lookup(in.Provider)
	if known {
		for _, f := range prov.Fields {
			if f.Secret {
				hint := in.CredentialHints[f.Name]
				if hint == "" {
					hint = "Not set"
				}
				d.Secrets = append(d.Secrets, views.LabelValue{Label: f.Label, Value: hint})
			} else if val := in.Config[f.Name]; val != "" {
				d.Config = append(d.Config, views.LabelValue{Label: f.Label, Value: val})
			}
		}
		if prov.Webhook != nil {
			d.WebhookURL = strings.TrimSuffix(h.cfg.BaseURL, "/") + jobs.WebhookPath(in.Provider, in.PublicID)
			d.WebhookHelp = prov.WebhookHelp
		}
	}
	d.Test = testView(in, label, loc)
	if _, ok := csvimport.DialectFor(in.Provider); ok {
		d.ImportURL = "/integrations/" + in.PublicID + "/import"
	}
	now := h.db.Now()
	for i, r := range runs {
		row := views.SyncRunRow{Started: fmtWhen(&r.StartedAt, loc), Duration: durationText(r.Duration(now)), Trigger: r.Trigger,
			Status: r.Status, Counts: views.SyncCountsView(r.Pages, r.Counts), Trouble: views.TroubleFor(label, r.ErrorClass, r.ErrorMessage)}
		d.Runs = append(d.Runs, row)
		if i == 0 && r.Status == "running" {
			d.Progress = views.SyncProgressView{State: "running", Run: row.Counts, Elapsed: r.Duration(now)}
		}
	}
	for _, e := range events {
		d.Webhooks = append(d.Webhooks, views.WebhookRow{Received: fmtWhen(&e.ReceivedAt, loc), Type: e.Type,
			EventID: e.ProviderEventID, Processed: fmtWhen(e.ProcessedAt, loc)})
	}
	return render(c, http.StatusOK, views.IntegrationPage(h.livePage(c, in.Name), d))
}

// row is an integration as the list shows it; the trouble is shown while it is not healthy.
func (h *integrationPages) row(in store.Integration, loc *time.Location) views.IntegrationRow {
	r := views.IntegrationRow{PublicID: in.PublicID, Name: in.Name, Provider: in.Provider, ProviderLabel: h.reg.Label(in.Provider),
		Status: in.Status, StatusLabel: views.HealthLabel(in.Status, in.PausedReason), LastSuccess: fmtWhen(in.LastSuccessAt, loc),
		RecordsSynced: in.RecordsSynced, Progress: views.SyncProgressView{State: "idle"}}
	if r.Name == "" {
		r.Name = r.ProviderLabel
	}
	switch {
	case in.Status == store.IntegrationPaused || in.Status == store.IntegrationNeedsReauth:
	case !in.NextRunAt.After(h.db.Now()):
		r.NextRun = "Due now"
	default:
		r.NextRun = fmtWhen(&in.NextRunAt, loc)
	}
	if in.Status != store.IntegrationHealthy && in.LastErrorClass != "" {
		r.Trouble = views.TroubleFor(r.ProviderLabel, in.LastErrorClass, in.LastError)
	}
	if p, ok := h.reg.Lookup(in.Provider); ok && p.OAuth != nil && in.Status == store.IntegrationNeedsReauth {
		r.Reconnect = true
	}
	return r
}

func testView(in store.Integration, label string, loc *time.Location) views.TestResultView {
	if in.LastTestAt == nil || in.LastTestOK == nil {
		return views.TestResultView{State: "none"}
	}
	v := views.TestResultView{State: "ok", At: fmtWhen(in.LastTestAt, loc)}
	if !*in.LastTestOK {
		v.State = "failed"
		v.Trouble = views.TroubleFor(label, in.LastTestClass, in.LastTestMessage)
	}
	return v
}

// fmtWhen renders a time in the organization's zone ("" for nil).
func fmtWhen(t *time.Time, loc *time.Location) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(loc).Format("Jan 2, 15:04")
}

func durationText(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
