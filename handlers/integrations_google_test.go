package handlers_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs/connector/google"
)

// TestGooglePushNotificationsRunIncrementalSyncs: after the first sync the integration has a
// push channel to its webhook address. A notification with a wrong channel token gets 400 and
// stores nothing; Google's "sync" handshake gets 200 and stores nothing; a change notification
// runs an incremental sync that brings the new wedding, and a deletion marks it cancelled. The
// dashboard lists the unbooked calendar wedding with the upcoming weddings, while the
// upcoming_weddings_30d KPI still counts bookings only.
func TestGooglePushNotificationsRunIncrementalSyncs(t *testing.T) {
	t.Parallel()
	app, f := oauthApp(t, 0)
	owner := app.SignupOwner(t, "Push Weddings", "America/Chicago", "USD")
	ctx := context.Background()
	f.google.SetTimeZone("America/Chicago")
	f.google.AddEvent("primary", googleAllDay("Team offsite", time.Now().AddDate(0, 0, 3).Truncate(24*time.Hour)))
	pid := connectGoogle(t, app, f, owner)
	waitSynced(t, app, owner.OrgID, pid, 0)

	chs := f.google.Channels()
	require.Len(t, chs, 1, "the first sync opened a push channel")
	hook := app.URL + "/webhooks/google/" + pid
	require.Equal(t, hook, chs[0].Address)
	_, secrets := storedSecrets(t, app, owner.OrgID, pid)
	require.Equal(t, chs[0].Token, secrets[google.SecretChannelToken], "the channel token is sealed with the credentials")
	events := func() (n int) {
		require.NoError(t, app.Env.Admin.QueryRow(ctx, "select count(*) from webhook_events").Scan(&n))
		return n
	}

	// A forged notification.
	req, _ := http.NewRequest(http.MethodPost, hook, nil)
	req.Header.Set("X-Goog-Channel-ID", chs[0].ID)
	req.Header.Set("X-Goog-Channel-Token", "not-the-token")
	req.Header.Set("X-Goog-Resource-State", "exists")
	req.Header.Set("X-Goog-Message-Number", "7")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Zero(t, events())

	var chicago *time.Location

	// The handshake.
	sent := f.google.Notify("primary", "sync")
	require.Len(t, sent, 1)
	require.Equal(t, http.StatusOK, sent[0].Status)
	require.Zero(t, events(), "a handshake stores nothing")

	// A new wedding in two weeks: Google pushes, we sync.
	chicago, err = time.LoadLocation("America/Chicago")
	require.NoError(t, err)
	day := time.Now().In(chicago).AddDate(0, 0, 14)
	wedding := f.google.AddEvent("primary", googleAllDay("Okafor & Reyes wedding", time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)))
	last := f.google.Notifications()
	require.Equal(t, http.StatusOK, last[len(last)-1].Status)
	require.Equal(t, 1, events())
	ext := google.ExternalID("primary", wedding.ID)
	status := func() (s string) {
		_ = app.Env.Admin.QueryRow(ctx, "select status from calendar_events where external_id = $1", ext).Scan(&s)
		return s
	}
	require.Eventually(t, func() bool { return status() == "confirmed" }, 15*time.Second, 20*time.Millisecond)
	var kind, date string
	require.NoError(t, app.Env.Admin.QueryRow(ctx, `select e.kind, (e.starts_at at time zone 'America/Chicago')::date::text
		from calendar_events e where external_id = $1`, ext).Scan(&kind, &date))
	require.Equal(t, "wedding", kind)
	require.Equal(t, day.Format("2006-01-02"), date, "an all-day event falls on its date in the calendar's zone")
	var trigger string
	require.NoError(t, app.Env.Admin.QueryRow(ctx, "select trigger from sync_runs order by id desc limit 1").Scan(&trigger))
	require.Equal(t, "webhook", trigger)

	snap := app.WaitForSnapshot(t, owner.OrgID)
	require.Len(t, snap.KPIs.CalendarWeddings, 1)
	require.Equal(t, "Okafor & Reyes wedding", snap.KPIs.CalendarWeddings[0].Title)
	require.Zero(t, snap.KPIs.UpcomingWeddings30d, "the KPI counts bookings only")
	p := owner.Get("/dashboard")
	row := p.Doc.Find(`[data-table="upcoming_weddings"] tr[data-calendar-event]`)
	require.Equal(t, 1, row.Length(), p.Body)
	require.Contains(t, row.Text(), "Okafor & Reyes wedding")
	require.Contains(t, row.Find(`[data-mark="no-booking"]`).Text(), "in calendar, no booking")
	require.NotContains(t, row.Text(), "$", "no balance for an event without a booking")

	// Deleted at Google: cancelled here, and off the list.
	f.google.CancelEvent("primary", wedding.ID)
	require.Eventually(t, func() bool { return status() == "cancelled" }, 15*time.Second, 20*time.Millisecond)
	snap = app.WaitForSnapshot(t, owner.OrgID)
	require.Empty(t, snap.KPIs.CalendarWeddings)
}
