package handlers

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/store"
)

// MaxWebhookBody is the largest webhook body accepted (larger ones get 413 and are not read).
const MaxWebhookBody = 1 << 20

// webhook receives a provider event at /webhooks/<provider>/<integration public id>: it checks
// the size, resolves the integration (sys_webhook_integration), verifies the provider's proof
// with the integration's secret, stores the event once and enqueues its processing. A missing,
// bad or stale proof gets 400 and nothing is stored. The answer is plain text and comes before
// any provider work, which runs in River (process_webhook).
func (h *integrationPages) webhook(c echo.Context) error {
	req := c.Request()
	ctx := req.Context()
	provider, publicID := c.Param("provider"), c.Param("public_id")
	p, ok := h.reg.Lookup(provider)
	if !ok || p.Webhook == nil {
		return c.String(http.StatusNotFound, "unknown webhook endpoint\n")
	}
	if req.ContentLength > MaxWebhookBody {
		return c.String(http.StatusRequestEntityTooLarge, "body too large\n")
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), req.Body, MaxWebhookBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return c.String(http.StatusRequestEntityTooLarge, "body too large\n")
	}
	if err != nil {
		return c.String(http.StatusBadRequest, "body could not be read\n")
	}
	target, err := h.db.WebhookIntegration(ctx, provider, publicID)
	if errors.Is(err, store.ErrNotFound) {
		return c.String(http.StatusNotFound, "unknown webhook endpoint\n")
	}
	if err != nil {
		return h.webhookFailed(c, "resolve", err)
	}
	t, err := h.db.SyncTarget(ctx, target.OrgID, target.ID)
	if err != nil {
		return h.webhookFailed(c, "load", err)
	}
	in := t.Integration
	if in.Status == store.IntegrationPaused {
		// Paused means no intake; resuming runs a sync that catches up.
		return c.String(http.StatusOK, "integration paused; event ignored\n")
	}
	secrets, err := store.OpenSecrets(h.keys, in.ID, t.Sealed)
	if err != nil {
		return h.webhookFailed(c, "secrets", err)
	}
	url := strings.TrimSuffix(h.cfg.BaseURL, "/") + jobs.WebhookPath(provider, publicID)
	params := jobs.ProviderParams(in, secrets, "", h.verifyClient, url, time.Now)
	ev, err := p.Webhook.Verify(ctx, params, connector.WebhookRequest{URL: url, Header: req.Header, Body: body, Query: req.URL.Query(), Now: time.Now()})
	switch {
	case errors.Is(err, connector.ErrStaleWebhook):
		return c.String(http.StatusBadRequest, "stale webhook timestamp\n")
	case errors.Is(err, connector.ErrBadSignature):
		return c.String(http.StatusBadRequest, "invalid webhook signature\n")
	case err != nil:
		return h.webhookFailed(c, "verify", err)
	}
	if ev.Handshake {
		return c.String(http.StatusOK, ev.Reply)
	}
	j, err := h.jobsOf()
	if err != nil {
		return c.String(http.StatusServiceUnavailable, "try again later\n")
	}
	accepted, err := j.AcceptWebhook(ctx, target.OrgID, target.ID, ev, body)
	if err != nil {
		return h.webhookFailed(c, "store", err)
	}
	if !accepted {
		return c.String(http.StatusOK, "duplicate event; already received\n")
	}
	return c.String(http.StatusOK, "ok\n")
}

// webhookFailed answers 503, so the provider delivers the event again later.
func (h *integrationPages) webhookFailed(c echo.Context, step string, err error) error {
	h.log.Error("webhook", "step", step, "path", c.Request().URL.Path, "err", err)
	return c.String(http.StatusServiceUnavailable, "temporarily unable to accept the event\n")
}
