package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/wedsync/wedsync/jobs/channel"
	"github.com/wedsync/wedsync/jobs/channel/email"
	"github.com/wedsync/wedsync/jobs/channel/sms"
	"github.com/wedsync/wedsync/jobs/channel/webhook"
	"github.com/wedsync/wedsync/store"
)

// DeliverNotificationArgs sends one delivery (one message on one channel to one target).
type DeliverNotificationArgs struct {
	OrgID      int64 `json:"org_id"`
	DeliveryID int64 `json:"delivery_id"`
}

// Kind is the stable job kind.
func (DeliverNotificationArgs) Kind() string { return "deliver_notification" }

// InsertOpts puts deliveries on the notify queue.
func (DeliverNotificationArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueNotify}
}

// DeliverNotificationWorker sends deliveries with retries and backoff.
type DeliverNotificationWorker struct {
	river.WorkerDefaults[DeliverNotificationArgs]
	d *alertDeps
}

// Work claims the delivery (rate limit, quiet hours, idempotency: a delivery already sent is
// never sent again), sends it, and records the outcome. Permanent errors (HTTP 4xx, SMTP 5yz)
// cancel the job; transient ones return the error so River retries after NextRetry.
func (w *DeliverNotificationWorker) Work(ctx context.Context, job *river.Job[DeliverNotificationArgs]) error {
	d, org, id := w.d, job.Args.OrgID, job.Args.DeliveryID
	cl, err := d.db.ClaimDelivery(ctx, org, id, d.now(), d.cfg.Limits)
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	switch cl.Action {
	case store.ClaimDone:
		return nil
	case store.ClaimWait:
		return river.JobSnooze(min(cl.Wait, d.cfg.QuietRecheck))
	}
	sendErr := d.send(ctx, cl)
	// Record the outcome even if the job's context is ending: an unrecorded send would be
	// repeated by the retry.
	rec := context.WithoutCancel(ctx)
	if sendErr == nil {
		d.runner.metrics.delivery(cl.Delivery.Kind, nil, false)
		return retryRecord(rec, func() error { return d.db.DeliverySent(rec, org, id, d.now()) })
	}
	permanent := channel.IsPermanent(sendErr)
	maxAttempts := min(job.MaxAttempts, d.cfg.MaxAttempts)
	final := permanent || job.Attempt >= maxAttempts
	d.runner.metrics.delivery(cl.Delivery.Kind, sendErr, final)
	msg := sendErr.Error()
	if !final {
		msg = fmt.Sprintf("%s (attempt %d of %d; retrying)", msg, job.Attempt, maxAttempts)
	}
	if err := retryRecord(rec, func() error { return d.db.DeliveryFailed(rec, org, id, d.now(), msg, final) }); err != nil {
		d.log.Error("record delivery failure", "org", org, "delivery", id, "err", err)
	}
	if cl.Delivery.Severity >= store.SeverityEmergency && final {
		d.log.Error("EMERGENCY notification failed", "org", org, "delivery", id, "kind", cl.Delivery.Kind, "err", sendErr)
	}
	if final {
		return river.JobCancel(sendErr)
	}
	return sendErr
}

// NextRetry is RetryBase doubling per attempt up to RetryMax, with jitter.
func (w *DeliverNotificationWorker) NextRetry(job *river.Job[DeliverNotificationArgs]) time.Time {
	return time.Now().Add(backoff(w.d.cfg, job.Attempt))
}

// Timeout bounds one attempt.
func (w *DeliverNotificationWorker) Timeout(*river.Job[DeliverNotificationArgs]) time.Duration {
	return 2*w.d.cfg.HTTPTimeout + 30*time.Second
}

// retryRecord retries a bookkeeping write a few times.
func retryRecord(ctx context.Context, f func() error) error {
	var err error
	for i := range 5 {
		if err = f(); err == nil {
			return nil
		}
		time.Sleep(time.Duration(50*(i+1)) * time.Millisecond)
	}
	return err
}

// send delivers a claimed delivery on its channel.
func (d *alertDeps) send(ctx context.Context, cl store.Claim) error {
	del := cl.Delivery
	if cl.Channel == nil && del.Purpose != "escalation" {
		return channel.Permanent(errors.New("the channel was deleted before the message was sent"))
	}
	if cl.Channel != nil && !cl.Channel.Enabled && del.Purpose != "escalation" {
		return channel.Permanent(errors.New("the channel was turned off before the message was sent"))
	}
	msg, err := d.compose(cl)
	if err != nil {
		return channel.Permanent(err)
	}
	switch del.Kind {
	case store.ChannelEmail:
		html, text, err := msg.notice.Render(ctx)
		if err != nil {
			return channel.Permanent(err)
		}
		return d.email.Send(ctx, email.Message{To: splitTargets(del.Target), Subject: msg.notice.Subject(), Text: text, HTML: html,
			MessageID: del.IdempotencyKey + "@" + d.messageIDHost(),
			Headers:   map[string]string{"X-WedSync-Delivery": del.IdempotencyKey, "Auto-Submitted": "auto-generated"}})
	case store.ChannelSMS:
		cfg := d.cfg.Twilio
		if cl.Channel != nil && cl.Channel.TwilioSID != "" {
			token, err := store.OpenChannelSecret(d.keys, *cl.Channel)
			if err != nil {
				return channel.Permanent(err)
			}
			cfg.AccountSID, cfg.AuthToken, cfg.From = cl.Channel.TwilioSID, token, cl.Channel.TwilioFrom
		}
		_, err := sms.New(cfg, d.http).Send(ctx, del.Target, msg.sms)
		return err
	case store.ChannelWebhook:
		secret, err := store.OpenChannelSecret(d.keys, *cl.Channel)
		if err != nil {
			return channel.Permanent(err)
		}
		return d.webhook.Send(ctx, webhook.Request{URL: del.Target, Secret: secret, DeliveryID: del.IdempotencyKey,
			Event: msg.event, At: time.Now(), Body: msg.json})
	}
	return channel.Permanent(fmt.Errorf("nothing sends %q deliveries", del.Kind))
}

func splitTargets(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
