package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/jobs/channel/webhook/webhooktest"
	"github.com/wedsync/wedsync/store"
)

// TestThousandEventsInAnHourGiveFiftyDeliveriesAndOneDigest writes 1,000 one-star reviews over
// 50 minutes of (fake) time: 1,000 alerts, of which exactly 50 reach the webhook receiver; the
// other 950 are recorded as rate_limited, and when the window reopens one digest lists them.
func TestThousandEventsInAnHourGiveFiftyDeliveriesAndOneDigest(t *testing.T) {
	t.Parallel()
	a := newAlertEnv(t, "Europe/London", monday, nil)
	secret := "whsec_limit_0123456789abcdef"
	recv := webhooktest.New(secret)
	t.Cleanup(recv.Close)
	a.channel(t, store.ChannelInput{Kind: store.ChannelWebhook, Name: "Ops", Target: recv.URL, Secret: secret})
	start := a.clock.Now()
	const events = 1000
	for range events {
		a.review(t, 1)
		a.clock.Add(3 * time.Second)
	}
	require.Eventually(t, func() bool {
		c := a.deliveries(t, store.ChannelWebhook, "alert")
		return c["sent"]+c["rate_limited"] == events
	}, 90*time.Second, 100*time.Millisecond, "every alert's webhook delivery is decided")
	require.Less(t, a.clock.Now().Sub(start), time.Hour)
	c := a.deliveries(t, store.ChannelWebhook, "alert")
	require.Equal(t, 50, c["sent"], "%v", c)
	require.Equal(t, 950, c["rate_limited"], "%v", c)
	require.Equal(t, events, a.openAlerts(t), "every event is an alert in the app")
	time.Sleep(300 * time.Millisecond)
	require.Equal(t, 50, recv.Count())
	require.Empty(t, a.deliveries(t, store.ChannelWebhook, "digest"), "no digest while the window is full")

	// The window reopens an hour after the sends (stamped with the fake clock when the delivery
	// jobs ran, which on a busy machine can be late in the loop above): one digest summarizes the 950.
	a.clock.Add(time.Hour + 5*time.Minute)
	require.True(t, recv.Wait(51, 15*time.Second), "the digest arrives")
	time.Sleep(500 * time.Millisecond)
	require.Equal(t, 51, recv.Count())
	d := recv.Accepted()[50]
	require.Equal(t, "alert.digest", d.Event)
	var p jobs.WebhookPayload
	require.NoError(t, d.Decode(&p))
	require.NotNil(t, p.Digest)
	require.Equal(t, 950, p.Digest.Held)
	require.Len(t, p.Digest.Items, store.MaxDigestItems)
	require.Equal(t, map[string]int{"sent": 1}, a.deliveries(t, store.ChannelWebhook, "digest"))
	var undigested int
	require.NoError(t, a.env.Admin.QueryRow(context.Background(), `select count(*) from deliveries
		where org_id = $1 and status = 'rate_limited' and digest_id is null`, a.org).Scan(&undigested))
	require.Zero(t, undigested, "every held delivery points at its digest")
	require.Zero(t, recv.Duplicates())
}

// TestQuietHoursHoldAllButEmergency: inside the channel's quiet hours a HIGH alert waits for
// their end while an EMERGENCY one goes out at once; a waiting delivery whose alert is
// acknowledged meanwhile is skipped (and says why).
func TestQuietHoursHoldAllButEmergency(t *testing.T) {
	t.Parallel()
	// 06:59:57 in London (BST): three seconds before the quiet hours 22:00-07:00 end.
	a := newAlertEnv(t, "Europe/London", time.Date(2026, 6, 1, 5, 59, 57, 0, time.UTC), nil)
	ctx := context.Background()
	_, err := a.env.DB.CreateAlertRule(ctx, a.org, a.owner, store.Rule{Kind: store.RuleLowReview, Name: "One star is an emergency",
		Severity: store.SeverityEmergency, Enabled: true, Params: store.RuleParams{MaxRating: 1}})
	require.NoError(t, err)
	secret := "whsec_quiet_0123456789abcdef"
	recv := webhooktest.New(secret)
	t.Cleanup(recv.Close)
	a.channel(t, store.ChannelInput{Kind: store.ChannelWebhook, Name: "Ops", Target: recv.URL, Secret: secret,
		QuietStart: "22:00", QuietEnd: "07:00"})
	a.review(t, 1) // HIGH (default rule) and EMERGENCY (the rule above)
	a.review(t, 2) // HIGH only
	require.True(t, recv.Wait(1, 15*time.Second))
	time.Sleep(500 * time.Millisecond)
	require.Equal(t, 1, recv.Count(), "only the EMERGENCY alert passes the quiet hours")
	var p jobs.WebhookPayload
	require.NoError(t, recv.Accepted()[0].Decode(&p))
	require.Equal(t, "EMERGENCY", p.Alert.Severity)
	var waiting int
	require.NoError(t, a.env.Admin.QueryRow(ctx, `select count(*) from deliveries where org_id = $1 and kind = 'webhook'
		and status = 'pending' and scheduled_at = '2026-06-01 06:00:00+00'`, a.org).Scan(&waiting))
	require.Equal(t, 2, waiting, "the HIGH deliveries wait for 07:00 local")

	// Acknowledge the 2-star alert before the quiet hours end; then 07:00 passes.
	var twoStar int64
	require.NoError(t, a.env.Admin.QueryRow(ctx, `select id from alerts where org_id = $1 and title like 'A 2-star%'`, a.org).Scan(&twoStar))
	require.NoError(t, a.env.DB.AcknowledgeAlert(ctx, a.org, a.owner, twoStar))
	a.clock.Add(10 * time.Second)
	require.True(t, recv.Wait(2, 15*time.Second), "the HIGH alert goes out after the quiet hours")
	require.Eventually(t, func() bool {
		return a.deliveries(t, store.ChannelWebhook, "alert")["skipped"] == 1
	}, 15*time.Second, 20*time.Millisecond)
	time.Sleep(300 * time.Millisecond)
	require.Equal(t, 2, recv.Count())
	var lastErr string
	require.NoError(t, a.env.Admin.QueryRow(ctx, `select last_error from deliveries where alert_id = $1 and kind = 'webhook'`, twoStar).Scan(&lastErr))
	require.Contains(t, lastErr, "acknowledged before the quiet hours ended")
}
