package jobs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/jobs/channel/webhook/webhooktest"
	"github.com/wedsync/wedsync/store"
)

// addPerson adds a user with role and phone to the organization.
func (a *alertEnv) addPerson(t *testing.T, role store.Role, email, phone string) int64 {
	t.Helper()
	ctx := context.Background()
	token, err := a.env.DB.CreateInvite(ctx, a.org, a.owner, role, "")
	require.NoError(t, err)
	u, err := a.env.DB.CreateUser(ctx, email, strings.Split(email, "@")[0], "correct-horse")
	require.NoError(t, err)
	_, err = a.env.DB.AcceptInvite(ctx, token, u.ID)
	require.NoError(t, err)
	if phone != "" {
		require.NoError(t, a.env.DB.SetMemberPhone(ctx, a.org, u.ID, phone))
	}
	return u.ID
}

// TestWeddingDayAlertEscalatesOnFakeClock: on a wedding day with an unpaid balance the
// wedding-day alert is raised; unacknowledged, it escalates 15 minutes later by SMS to the owner
// and every admin (not plain members), again one level up 15 minutes after that, and
// acknowledging it stops the escalation.
func TestWeddingDayAlertEscalatesOnFakeClock(t *testing.T) {
	t.Parallel()
	// Saturday 6 June 2026, 10:00 in London.
	a := newAlertEnv(t, "Europe/London", time.Date(2026, 6, 6, 9, 0, 0, 0, time.UTC), nil)
	ctx := context.Background()
	require.NoError(t, a.env.DB.SetMemberPhone(ctx, a.org, a.owner, "+447700900001"))
	a.addPerson(t, store.RoleAdmin, "admin@example.test", "+447700900002")
	a.addPerson(t, store.RoleMember, "member@example.test", "+447700900003")
	a.addPerson(t, store.RoleAdmin, "nophone@example.test", "")
	require.NoError(t, a.env.DB.WriteOrg(ctx, a.org, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `insert into bookings (org_id, title, wedding_date, booked_at, contract_amount, currency)
			values ($1, 'Ada & Bo', '2026-06-06', '2025-09-01', 500000, 'GBP')`, a.org)
		return err
	}))
	var alertID int64
	require.Eventually(t, func() bool {
		return a.env.Admin.QueryRow(ctx, `select id from alerts where org_id = $1 and wedding_day and status = 'open'`, a.org).Scan(&alertID) == nil
	}, 15*time.Second, 20*time.Millisecond, "the wedding-day alert is raised")
	al, err := a.env.DB.Alert(ctx, a.org, alertID)
	require.NoError(t, err)
	require.Equal(t, store.SeverityCritical, al.Severity)
	require.Contains(t, al.Title, "Wedding today: Ada & Bo still owes £5,000.00")

	smsTo := func() []string {
		var to []string
		for _, m := range a.twilio.Messages() {
			to = append(to, m.To)
		}
		return to
	}
	a.clock.Add(14 * time.Minute)
	time.Sleep(400 * time.Millisecond)
	require.Empty(t, smsTo(), "no escalation before 15 minutes")

	a.clock.Add(2 * time.Minute)
	require.Eventually(t, func() bool { return len(smsTo()) == 2 }, 15*time.Second, 20*time.Millisecond, "level 1 escalation")
	require.ElementsMatch(t, []string{"+447700900001", "+447700900002"}, smsTo())
	require.Contains(t, a.twilio.Messages()[0].Body, "ESCALATION 1 [EMERGENCY]")
	al, err = a.env.DB.Alert(ctx, a.org, alertID)
	require.NoError(t, err)
	require.Equal(t, 1, al.EscalationLevel)
	require.Equal(t, store.SeverityEmergency, al.Severity)
	var noPhone string
	require.NoError(t, a.env.Admin.QueryRow(ctx, `select last_error from deliveries where alert_id = $1 and purpose = 'escalation'
		and status = 'failed'`, alertID).Scan(&noPhone))
	require.Contains(t, noPhone, "has no phone number")

	a.clock.Add(15 * time.Minute)
	require.Eventually(t, func() bool { return len(smsTo()) == 4 }, 15*time.Second, 20*time.Millisecond, "level 2 escalation")
	require.Contains(t, a.twilio.Messages()[3].Body, "ESCALATION 2")

	require.NoError(t, a.env.DB.AcknowledgeAlert(ctx, a.org, a.owner, alertID))
	a.clock.Add(45 * time.Minute)
	time.Sleep(500 * time.Millisecond)
	require.Len(t, smsTo(), 4, "acknowledging stops the escalation")
	events, err := a.env.DB.AlertEvents(ctx, a.org, alertID)
	require.NoError(t, err)
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action)
	}
	require.Equal(t, []string{"raised", "escalated", "escalated", "acknowledged"}, actions)
}

// TestIntegrationPauseRaisesOneAlert: the sync framework's hook raises the sync_failure alert;
// a second call folds into it; while the integration is paused the evaluation leaves the alert
// open, and once it syncs again the alert resolves by itself.
func TestIntegrationPauseRaisesOneAlert(t *testing.T) {
	t.Parallel()
	a := newAlertEnv(t, "Europe/London", monday, nil)
	ctx := context.Background()
	secret := "whsec_sync_0123456789abcdef"
	recv := webhooktest.New(secret)
	t.Cleanup(recv.Close)
	a.channel(t, store.ChannelInput{Kind: store.ChannelWebhook, Name: "Ops", Target: recv.URL, Secret: secret})
	var integ int64
	require.NoError(t, a.env.Admin.QueryRow(ctx, `insert into integrations (org_id, public_id, provider, status, consecutive_failures,
		last_success_at, last_error) values ($1, 'int_pp', 'stripe', 'paused', 20, $2, 'HTTP 500 from Stripe') returning id`,
		a.org, monday.Add(-72*time.Hour)).Scan(&integ))
	ia := jobs.IntegrationAlert{OrgID: a.org, IntegrationID: integ, PublicID: "int_pp", Provider: "stripe", Failures: 20,
		LastError: "HTTP 500 from Stripe", At: monday}
	require.NoError(t, a.runner.RaiseIntegrationAlert(ctx, ia))
	require.NoError(t, a.runner.RaiseIntegrationAlert(ctx, ia))
	require.True(t, recv.Wait(1, 15*time.Second))
	var id int64
	var count int
	require.NoError(t, a.env.Admin.QueryRow(ctx, `select id, count from alerts where org_id = $1 and kind = 'sync_failure'`, a.org).Scan(&id, &count))
	require.Equal(t, 2, count)
	require.NoError(t, a.runner.EnqueueRecompute(ctx, a.org))
	time.Sleep(800 * time.Millisecond) // several evaluations, periodic ones included
	al, err := a.env.DB.Alert(ctx, a.org, id)
	require.NoError(t, err)
	require.Equal(t, "open", al.Status, "a paused integration's alert stays open")
	require.Equal(t, 1, recv.Count())

	_, err = a.env.Admin.Exec(ctx, `update integrations set status = 'healthy', consecutive_failures = 0, last_success_at = $2
		where id = $1`, integ, monday)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		al, err := a.env.DB.Alert(ctx, a.org, id)
		return err == nil && al.Status == "resolved" && al.ResolvedBy == "system"
	}, 15*time.Second, 20*time.Millisecond, "the alert resolves once the integration syncs")
}
