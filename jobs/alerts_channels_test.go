package jobs_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/jobs/channel/webhook"
	"github.com/wedsync/wedsync/jobs/channel/webhook/webhooktest"
	"github.com/wedsync/wedsync/store"
)

var monday = time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC) // a Monday: no wedding day

// TestAlertEmailReachesSMTPServer raises an alert through a real write and checks that an SMTP
// server inside the test accepts the email, authenticated, with the subject and both bodies.
func TestAlertEmailReachesSMTPServer(t *testing.T) {
	t.Parallel()
	a := newAlertEnv(t, "Europe/London", monday, nil)
	a.channel(t, store.ChannelInput{Kind: store.ChannelEmail, Name: "Studio inbox", Target: "studio@example.test, ada@example.test"})
	a.review(t, 1)
	require.True(t, a.smtp.Wait(1, 15*time.Second), "the SMTP server receives the alert")
	m := a.smtp.Messages()[0]
	require.Equal(t, "[HIGH] A 1-star review on google", m.Subject)
	require.ElementsMatch(t, []string{"studio@example.test", "ada@example.test"}, m.To)
	require.Equal(t, "alerts@wedsync.test", m.From)
	require.Contains(t, m.Text, "[HIGH] A 1-star review on google")
	require.Contains(t, m.Text, "Late and rude")
	require.Contains(t, m.Text, "https://app.wedsync.test/alerts/")
	require.Contains(t, m.HTML, "<h1")
	require.Contains(t, m.HTML, "A 1-star review on google")
	require.Contains(t, m.HTML, `data-severity="HIGH"`)
	require.True(t, strings.HasPrefix(m.Header.Get("Message-Id"), "<dlv_"), m.Header.Get("Message-Id"))
	a.waitStatus(t, store.ChannelEmail, "sent")
}

// TestAlertSMSReachesTwilioFake checks the Twilio wire format: form fields To, From, Body and
// HTTP Basic authentication with the account SID and token (the fake refuses anything else).
func TestAlertSMSReachesTwilioFake(t *testing.T) {
	t.Parallel()
	a := newAlertEnv(t, "Europe/London", monday, nil)
	a.channel(t, store.ChannelInput{Kind: store.ChannelSMS, Name: "Owner mobile", Target: "+447700900123"})
	a.review(t, 2)
	require.Eventually(t, func() bool { return len(a.twilio.Messages()) == 1 }, 15*time.Second, 20*time.Millisecond)
	m := a.twilio.Messages()[0]
	require.Equal(t, "+447700900123", m.To)
	require.Equal(t, twilioFrom, m.From)
	require.Equal(t, twilioSID, m.AccountSID)
	require.Contains(t, m.Body, "[HIGH] Juniper & Fern: A 2-star review on google")
	a.waitStatus(t, store.ChannelSMS, "sent")

	// A channel with its own Twilio account sends with those credentials (sealed at rest).
	own := "AC" + strings.Repeat("9", 32)
	a.twilio.AddAccount(own, "own-token")
	a.channel(t, store.ChannelInput{Kind: store.ChannelSMS, Name: "Own account", Target: "+447700900999",
		TwilioSID: own, TwilioFrom: "+15005550001", Secret: "own-token"})
	var sealed string
	require.NoError(t, a.env.Admin.QueryRow(context.Background(), `select secret from channels where name = 'Own account'`).Scan(&sealed))
	require.NotContains(t, sealed, "own-token")
	a.review(t, 1)
	require.Eventually(t, func() bool { return len(a.twilio.Messages()) == 3 }, 15*time.Second, 20*time.Millisecond)
	var viaOwn int
	for _, m := range a.twilio.Messages() {
		if m.AccountSID == own {
			viaOwn++
			require.Equal(t, "+447700900999", m.To)
			require.Equal(t, "+15005550001", m.From)
		}
	}
	require.Equal(t, 1, viaOwn)
}

// TestAlertWebhookIsSigned checks that a receiver verifying HMAC-SHA256 over "timestamp.body"
// accepts the delivery, and that the payload and idempotency headers are as documented.
func TestAlertWebhookIsSigned(t *testing.T) {
	t.Parallel()
	a := newAlertEnv(t, "Europe/London", monday, nil)
	secret := "whsec_test_0123456789abcdef"
	recv := webhooktest.New(secret)
	t.Cleanup(recv.Close)
	a.channel(t, store.ChannelInput{Kind: store.ChannelWebhook, Name: "Zapier", Target: recv.URL + "/hook", Secret: secret})
	a.review(t, 1)
	require.True(t, recv.Wait(1, 15*time.Second))
	d := recv.Accepted()[0]
	require.Zero(t, recv.BadSignatures())
	require.Equal(t, "alert.raised", d.Event)
	require.True(t, strings.HasPrefix(d.ID, "dlv_"))
	require.Equal(t, d.ID, d.Header.Get(webhook.HeaderIdempotency))
	var p jobs.WebhookPayload
	require.NoError(t, d.Decode(&p))
	require.Equal(t, d.ID, p.ID)
	require.Equal(t, "alert.raised", p.Type)
	require.Equal(t, "Juniper & Fern", p.Organization.Name)
	require.NotNil(t, p.Alert)
	require.Equal(t, "low_review", p.Alert.Rule)
	require.Equal(t, "HIGH", p.Alert.Severity)
	require.Contains(t, p.Alert.URL, "https://app.wedsync.test/alerts/")

	// A tampered body or a wrong secret does not verify.
	h := d.Header.Clone()
	require.NoError(t, webhook.Verify(secret, h, d.Body, time.Now(), time.Minute))
	require.ErrorIs(t, webhook.Verify(secret, h, append([]byte(" "), d.Body...), time.Now(), time.Minute), webhook.ErrBadSignature)
	require.ErrorIs(t, webhook.Verify("other", h, d.Body, time.Now(), time.Minute), webhook.ErrBadSignature)
	require.ErrorIs(t, webhook.Verify(secret, h, d.Body, time.Now().Add(time.Hour), time.Minute), webhook.ErrStale)
}

// TestWebhookReceiverDownComesBackGetsExactlyOne: the receiver drops connections, then answers
// 503, then recovers; the delivery retries with backoff and arrives exactly once, and a second
// job for the same (sent) delivery sends nothing.
func TestWebhookReceiverDownComesBackGetsExactlyOne(t *testing.T) {
	t.Parallel()
	a := newAlertEnv(t, "Europe/London", monday, nil)
	recv := webhooktest.New("whsec_down_0123456789abcdef")
	t.Cleanup(recv.Close)
	a.channel(t, store.ChannelInput{Kind: store.ChannelWebhook, Name: "Ops", Target: recv.URL, Secret: "whsec_down_0123456789abcdef"})
	recv.SetDown(true)
	a.review(t, 1)
	require.Eventually(t, func() bool { return recv.Requests() >= 2 }, 15*time.Second, 10*time.Millisecond, "retries while down")
	status, _, lastErr := a.lastDelivery(t, store.ChannelWebhook)
	require.Contains(t, []string{"retrying", "sending"}, status)
	if status == "retrying" {
		require.Contains(t, lastErr, "retrying")
	}
	recv.FailNext(http.StatusServiceUnavailable)
	recv.SetDown(false)
	require.True(t, recv.Wait(1, 15*time.Second))
	a.waitStatus(t, store.ChannelWebhook, "sent")
	status, attempts, lastErr := a.lastDelivery(t, store.ChannelWebhook)
	require.Equal(t, "sent", status)
	require.GreaterOrEqual(t, attempts, 3)
	require.Empty(t, lastErr)

	// A duplicate job for the sent delivery is a no-op.
	var id int64
	require.NoError(t, a.env.Admin.QueryRow(context.Background(), `select id from deliveries where org_id = $1 and kind = 'webhook'`, a.org).Scan(&id))
	_, err := a.runner.Client.Insert(context.Background(), jobs.DeliverNotificationArgs{OrgID: a.org, DeliveryID: id}, nil)
	require.NoError(t, err)
	time.Sleep(500 * time.Millisecond)
	require.Equal(t, 1, recv.Count())
	require.Zero(t, recv.Duplicates())
}

// TestPermanentErrorsStopRetrying: an HTTP 400 from a webhook and an SMTP 550 fail at once (one
// attempt, recorded); an SMTP 451 is retried and then delivered.
func TestPermanentErrorsStopRetrying(t *testing.T) {
	t.Parallel()
	a := newAlertEnv(t, "Europe/London", monday, nil)
	recv := webhooktest.New("whsec_perm_0123456789abcdef")
	t.Cleanup(recv.Close)
	recv.FailNext(http.StatusBadRequest)
	a.channel(t, store.ChannelInput{Kind: store.ChannelWebhook, Name: "Ops", Target: recv.URL, Secret: "whsec_perm_0123456789abcdef"})
	a.smtp.FailNext(550)
	a.channel(t, store.ChannelInput{Kind: store.ChannelEmail, Name: "Inbox", Target: "studio@example.test"})
	a.review(t, 1)
	a.waitStatus(t, store.ChannelWebhook, "failed")
	a.waitStatus(t, store.ChannelEmail, "failed")
	time.Sleep(400 * time.Millisecond)
	status, attempts, lastErr := a.lastDelivery(t, store.ChannelWebhook)
	require.Equal(t, "failed", status)
	require.Equal(t, 1, attempts)
	require.Contains(t, lastErr, "400")
	require.Equal(t, 1, recv.Requests())
	_, attempts, lastErr = a.lastDelivery(t, store.ChannelEmail)
	require.Equal(t, 1, attempts)
	require.Contains(t, lastErr, "550")
	require.Empty(t, a.smtp.Messages())

	a.smtp.FailNext(451)
	a.review(t, 2)
	require.True(t, a.smtp.Wait(1, 15*time.Second))
	a.waitStatus(t, store.ChannelEmail, "sent")
	_, attempts, _ = a.lastDelivery(t, store.ChannelEmail)
	require.Equal(t, 2, attempts)
}
