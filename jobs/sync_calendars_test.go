package jobs_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/calendly"
	"github.com/wedsync/wedsync/jobs/connector/calendly/calendlytest"
	"github.com/wedsync/wedsync/jobs/connector/outlook"
	"github.com/wedsync/wedsync/jobs/connector/outlook/outlooktest"
	"github.com/wedsync/wedsync/store"
	"golang.org/x/oauth2"
)

// calendarRow is a calendar_events row as the dashboard reads it.
type calendarRow struct {
	ExternalID, Title string
	StartsAt, EndsAt  time.Time
	AllDay            bool
	Status, Kind      string
}

// calendarRows reads the fixture integration's calendar events, earliest first.
func (f *syncFixture) calendarRows(t *testing.T) []calendarRow {
	t.Helper()
	rows, err := f.env.Admin.Query(context.Background(), `select external_id, title, starts_at, ends_at, all_day, status, kind
		from calendar_events where integration_id = $1 order by starts_at, external_id`, f.integ.ID)
	require.NoError(t, err)
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[calendarRow])
	require.NoError(t, err)
	for i := range out {
		out[i].StartsAt, out[i].EndsAt = out[i].StartsAt.UTC(), out[i].EndsAt.UTC()
	}
	return out
}

// useIntegration replaces the fixture's integration by a new one of provider (whose next run is
// an hour away: syncs are asked for).
func (f *syncFixture) useIntegration(t *testing.T, in store.IntegrationInput) {
	t.Helper()
	ctx := context.Background()
	integ, err := f.env.DB.CreateIntegration(ctx, f.org, f.user, f.keys, in)
	require.NoError(t, err)
	_, err = f.env.Admin.Exec(ctx, "update integrations set next_run_at = now() + interval '1 hour' where id = $1", integ.ID)
	require.NoError(t, err)
	f.integ = integ
}

// replayFromScratch forgets the integration's cursor, so the next sync reads everything again.
func (f *syncFixture) replayFromScratch(t *testing.T) {
	t.Helper()
	_, err := f.env.Admin.Exec(context.Background(), "update integrations set cursor = '{}' where id = $1", f.integ.ID)
	require.NoError(t, err)
}

// waitProcessed waits until every stored webhook event of the integration is processed and no
// sync it asked for is left.
func (f *syncFixture) waitProcessed(t *testing.T) {
	t.Helper()
	require.Eventually(t, func() bool {
		var n int
		require.NoError(t, f.env.Admin.QueryRow(context.Background(),
			"select count(*) from webhook_events where integration_id = $1 and processed_at is null", f.integ.ID).Scan(&n))
		return n == 0
	}, 20*time.Second, 10*time.Millisecond, "webhook events processed")
	f.waitIdle(t, 20*time.Second)
}

// withOAuthBearer stands in for the OAuth framework: the provider's connector gets an HTTP
// client that adds the access token (over the framework's own client, timeouts included).
func withOAuthBearer(p connector.Provider, token string) connector.Provider {
	inner := p.New
	p.New = func(params connector.Params) (connector.Connector, error) {
		ctx := context.WithValue(context.Background(), oauth2.HTTPClient, params.HTTPClient)
		params.HTTPClient = oauth2.NewClient(ctx, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token, TokenType: "Bearer"}))
		return inner(params)
	}
	return p
}

// registryWith is the build's registry with some providers replaced.
func registryWith(t *testing.T, replace ...connector.Provider) *connector.Registry {
	t.Helper()
	byName := map[string]connector.Provider{}
	for _, p := range replace {
		byName[p.Name] = p
	}
	var all []connector.Provider
	for _, p := range jobs.Providers().All() {
		if r, ok := byName[p.Name]; ok {
			p = r
		}
		all = append(all, p)
	}
	reg, err := connector.NewRegistry(all...)
	require.NoError(t, err)
	return reg
}

// TestOutlookSyncWritesCalendarEventsOnce syncs a fake Outlook calendar through the real sync
// framework: weddings and consultations are classified by the integration's rules, all-day
// dates and cancellations kept, the series master skipped, duplicates merged; a replay of
// everything changes nothing; deletions and a change notification's sync come through.
func TestOutlookSyncWritesCalendarEventsOnce(t *testing.T) {
	t.Parallel()
	const token = "EwB4A8l6BAAUfakeOutlookAccessToken"
	fake := outlooktest.New(token)
	url, stop := fake.Start()
	t.Cleanup(stop)
	f := newSyncFixture(t, func(c *jobs.SyncConfig) {
		c.BaseURLs[outlook.Name] = url
		c.Registry = registryWith(t, withOAuthBearer(outlook.Provider(), token))
	})
	clientState := outlook.NewClientState()
	f.useIntegration(t, store.IntegrationInput{Provider: outlook.Name, Name: "Outlook", IntervalMinutes: "15",
		Config: map[string]string{"wedding_match": "wedding, nuptials"}, Secrets: map[string]string{outlook.ClientStateKey: clientState}})

	year := time.Now().Year() + 1
	at := func(m time.Month, d, h int) time.Time { return time.Date(year, m, d, h, 0, 0, 0, time.UTC) }
	wedding := fake.AddEvent(outlooktest.Event{Subject: "Nuptials: Ada & Grace", Start: at(6, 6, 13), End: at(6, 6, 23)})
	consult := fake.AddEvent(outlooktest.Event{Subject: "Venue visit", AllDay: true, Start: at(3, 1, 0), End: at(3, 2, 0)})
	cancelled := fake.AddEvent(outlooktest.Event{Subject: "Wedding Smith", Cancelled: true, Start: at(7, 4, 12), End: at(7, 4, 20)})
	master := fake.AddEvent(outlooktest.Event{Subject: "Weekly edit", Type: "seriesMaster", Start: at(2, 2, 9), End: at(2, 2, 10)})
	occurrence := fake.AddEvent(outlooktest.Event{Subject: "Weekly edit", Type: "occurrence", SeriesMasterID: master.ID,
		Start: at(2, 9, 9), End: at(2, 9, 10)})
	for i := range 120 { // more than a page
		fake.AddEvent(outlooktest.Event{Subject: "Studio", Start: at(9, 1, 0).Add(time.Duration(i) * time.Hour),
			End: at(9, 1, 0).Add(time.Duration(i)*time.Hour + 30*time.Minute)})
	}
	fake.SetDuplicates(true)
	f.syncNow(t)

	rows := f.calendarRows(t)
	require.Len(t, rows, 124, "everything but the series master, each once")
	byID := map[string]calendarRow{}
	for _, r := range rows {
		byID[r.ExternalID] = r
	}
	require.Equal(t, calendarRow{ExternalID: wedding.ID, Title: "Nuptials: Ada & Grace", StartsAt: at(6, 6, 13), EndsAt: at(6, 6, 23),
		Status: "confirmed", Kind: "wedding"}, byID[wedding.ID])
	require.Equal(t, calendarRow{ExternalID: consult.ID, Title: "Venue visit", StartsAt: at(3, 1, 0), EndsAt: at(3, 2, 0), AllDay: true,
		Status: "confirmed", Kind: "consultation"}, byID[consult.ID])
	require.Equal(t, "cancelled", byID[cancelled.ID].Status)
	require.Equal(t, "wedding", byID[cancelled.ID].Kind)
	require.Contains(t, byID, occurrence.ID)
	require.NotContains(t, byID, master.ID)
	runs := f.runs(t)
	require.Equal(t, "succeeded", runs[0].Status)
	require.Equal(t, 124, runs[0].Counts.Created)

	// A replay of everything (the cursor forgotten, the fake repeating items) changes nothing.
	f.replayFromScratch(t)
	f.syncNow(t)
	require.Equal(t, rows, f.calendarRows(t))
	require.Zero(t, f.runs(t)[0].Counts.Created)

	// A change notification (verified against the stored clientState) runs an incremental sync
	// that brings a deletion and a new wedding.
	fake.SetDuplicates(false)
	require.NoError(t, fake.DeleteEvent(consult.ID))
	added := fake.AddEvent(outlooktest.Event{Subject: "Wedding Lovelace", Start: at(8, 8, 14), End: at(8, 8, 22)})
	body := []byte(`{"value":[{"subscriptionId":"5f1c","clientState":"` + clientState + `","changeType":"created",` +
		`"resource":"Users/u/Events/` + added.ID + `","tenantId":"t"}]}`)
	secrets, err := f.env.DB.IntegrationSecrets(context.Background(), f.org, f.integ.ID, f.keys)
	require.NoError(t, err)
	ev, err := outlook.Verify(context.Background(), connector.Params{Credentials: secrets}, connector.WebhookRequest{Body: body, Header: http.Header{}})
	require.NoError(t, err)
	accepted, err := f.runner.AcceptWebhook(context.Background(), f.org, f.integ.ID, ev, body)
	require.NoError(t, err)
	require.True(t, accepted)
	f.waitProcessed(t)
	require.Equal(t, jobs.TriggerWebhook, f.runs(t)[0].Trigger)
	rows = f.calendarRows(t)
	require.Len(t, rows, 124)
	byID = map[string]calendarRow{}
	for _, r := range rows {
		byID[r.ExternalID] = r
	}
	require.NotContains(t, byID, consult.ID, "the removed event is gone")
	require.Equal(t, "wedding", byID[added.ID].Kind)
}

// TestCalendlySyncAndSignedRescheduleWebhooks syncs a fake Calendly account (personal token)
// through the real framework, replays it without effect, then applies a signed reschedule: the
// old event ends cancelled and the new one confirmed, and a redelivery changes nothing.
func TestCalendlySyncAndSignedRescheduleWebhooks(t *testing.T) {
	t.Parallel()
	const personal, signing = "eyJhbGciOiJIUzI1NiJ9.personal.jobs", "whk_9Xc2Lm4Pq7"
	fake := calendlytest.New(personal)
	url, stop := fake.Start()
	t.Cleanup(stop)
	f := newSyncFixture(t, func(c *jobs.SyncConfig) { c.BaseURLs[calendly.Name] = url })
	f.useIntegration(t, store.IntegrationInput{Provider: calendly.Name, Name: "Calendly", IntervalMinutes: "15",
		Secrets: map[string]string{calendly.PersonalTokenKey: personal, calendly.SigningKeyKey: signing}})

	start := time.Now().UTC().Add(72 * time.Hour).Truncate(time.Minute).Add(250 * time.Microsecond)
	consult := fake.AddEvent(calendlytest.Event{Name: "Discovery call", Start: start, End: start.Add(30 * time.Minute)})
	wedding := fake.AddEvent(calendlytest.Event{Name: "Wedding day coverage", Start: start.Add(24 * time.Hour), End: start.Add(34 * time.Hour)})
	for i := range 150 {
		s := start.Add(time.Duration(48+i) * time.Hour)
		fake.AddEvent(calendlytest.Event{Name: "Portrait session", Start: s, End: s.Add(time.Hour)})
	}
	gone := fake.AddEvent(calendlytest.Event{Name: "Tasting", Start: start.Add(2 * time.Hour), End: start.Add(3 * time.Hour)})
	require.NoError(t, fake.Cancel(gone.ID))
	fake.SetEmptyPageEvery(2)
	fake.SetDuplicates(true)
	f.syncNow(t)

	rows := f.calendarRows(t)
	require.Len(t, rows, 153)
	require.Equal(t, calendarRow{ExternalID: consult.ID, Title: "Discovery call", StartsAt: start, EndsAt: start.Add(30 * time.Minute),
		Status: "confirmed", Kind: "consultation"}, rows[0])
	require.Equal(t, calendarRow{ExternalID: gone.ID, Title: "Tasting", StartsAt: start.Add(2 * time.Hour), EndsAt: start.Add(3 * time.Hour),
		Status: "cancelled", Kind: "consultation"}, rows[1])
	require.Equal(t, wedding.ID, rows[2].ExternalID)
	require.Equal(t, "wedding", rows[2].Kind)

	f.replayFromScratch(t)
	f.syncNow(t)
	require.Equal(t, rows, f.calendarRows(t), "a replay changes nothing")
	require.Zero(t, f.runs(t)[0].Counts.Created)

	// The couple reschedules the wedding by two days: Calendly sends a signed cancel and create.
	canceled, created, moved, err := fake.Reschedule(wedding.ID, start.Add(72*time.Hour))
	require.NoError(t, err)
	secrets, err := f.env.DB.IntegrationSecrets(context.Background(), f.org, f.integ.ID, f.keys)
	require.NoError(t, err)
	deliver := func(body []byte) bool {
		t.Helper()
		req := connector.WebhookRequest{Body: body, Now: time.Now(),
			Header: http.Header{calendly.SignatureHeader: {calendlytest.Sign(body, signing, time.Time{})}}}
		ev, err := calendly.Verify(context.Background(), connector.Params{Credentials: secrets}, req)
		require.NoError(t, err)
		accepted, err := f.runner.AcceptWebhook(context.Background(), f.org, f.integ.ID, ev, body)
		require.NoError(t, err)
		return accepted
	}
	require.True(t, deliver(canceled))
	require.True(t, deliver(created))
	f.waitProcessed(t)
	after := f.calendarRows(t)
	require.Len(t, after, 154)
	byID := map[string]calendarRow{}
	for _, r := range after {
		byID[r.ExternalID] = r
	}
	require.Equal(t, "cancelled", byID[wedding.ID].Status, "the old slot is cancelled")
	require.Equal(t, calendarRow{ExternalID: moved.ID, Title: "Wedding day coverage", StartsAt: start.Add(72 * time.Hour),
		EndsAt: start.Add(82 * time.Hour), Status: "confirmed", Kind: "wedding"}, byID[moved.ID])

	require.False(t, deliver(canceled), "a redelivered event is stored once")
	require.False(t, deliver(created))
	f.waitProcessed(t)
	require.Equal(t, after, f.calendarRows(t))
}
