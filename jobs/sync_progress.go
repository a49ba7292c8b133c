package jobs

import (
	"bytes"
	"context"
	"time"

	"github.com/a-h/templ"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/views"
)

// SyncEventName is the org event (and sse-swap target) carrying an integration's live sync
// progress: "sync-<public id>".
func SyncEventName(publicID string) string { return "sync-" + publicID }

// TestEventName is the org event carrying the outcome of "Test connection": "test-<public id>".
func TestEventName(publicID string) string { return "test-" + publicID }

// progress publishes a running sync's state to the organization's open pages, at most every
// ProgressEvery, plus the final outcome. Events carry counts only, never money.
type progress struct {
	d       *syncDeps
	orgID   int64
	in      store.Integration
	run     store.SyncRun
	started time.Time
	last    time.Time
}

func (d *syncDeps) progress(orgID int64, in store.Integration, run store.SyncRun) *progress {
	return &progress{d: d, orgID: orgID, in: in, run: run, started: d.now()}
}

// publish sends the running state unless one was sent less than ProgressEvery ago.
func (p *progress) publish(ctx context.Context, force bool) {
	now := p.d.now()
	if !force && now.Sub(p.last) < p.d.cfg.ProgressEvery {
		return
	}
	p.last = now
	p.send(ctx, views.SyncProgressView{State: "running", Run: views.SyncCountsView(p.run.Pages, p.run.Counts), Elapsed: now.Sub(p.started)})
}

// done sends the outcome: succeeded when class is empty, else the trouble and its message.
func (p *progress) done(ctx context.Context, class, message string) {
	v := views.SyncProgressView{State: "succeeded", Run: views.SyncCountsView(p.run.Pages, p.run.Counts), Elapsed: p.d.now().Sub(p.started)}
	if class != "" {
		v.State = "failed"
		v.Trouble = views.TroubleFor(p.d.cfg.Registry.Label(p.in.Provider), class, message)
		if class == string(connector.ClassRateLimited) {
			v.State = "waiting"
		}
	}
	p.send(ctx, v)
}

func (p *progress) send(ctx context.Context, v views.SyncProgressView) {
	html, err := renderString(ctx, views.SyncProgress(v))
	if err == nil {
		err = p.d.db.PublishOrgEvent(context.WithoutCancel(ctx), store.OrgEvent{OrgID: p.orgID, Name: SyncEventName(p.in.PublicID), HTML: html})
	}
	if err != nil {
		p.d.log.Warn("publish sync progress", "integration", p.in.PublicID, "err", err)
	}
}

func renderString(ctx context.Context, c templ.Component) (string, error) {
	var b bytes.Buffer
	if err := c.Render(ctx, &b); err != nil {
		return "", err
	}
	return b.String(), nil
}
