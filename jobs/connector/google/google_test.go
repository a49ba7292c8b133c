package google_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/google"
	"github.com/wedsync/wedsync/jobs/connector/google/googletest"
	"github.com/wedsync/wedsync/jobs/connector/oauthtest"
	"github.com/wedsync/wedsync/store"
	"golang.org/x/oauth2"
)

// setup starts the fakes and returns a client authenticated with a token the fake issued.
func setup(t *testing.T, webhookURL string, creds map[string]string) (*google.Client, *googletest.Server, *oauthtest.Server) {
	t.Helper()
	auth := oauthtest.New("client-1", "secret-1")
	fake := googletest.New(auth)
	u, stop := fake.Start()
	t.Cleanup(stop)
	access, _ := auth.IssueTokens()
	hc := oauth2.NewClient(context.Background(), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: access, TokenType: "Bearer"}))
	if creds == nil {
		creds = map[string]string{}
	}
	c, err := google.New(connector.Params{BaseURL: u, HTTPClient: hc, WebhookURL: webhookURL, Credentials: creds,
		Config: map[string]string{"wedding_match": "wedding, elopement", "consultation_match": "consultation"}})
	require.NoError(t, err)
	return c, fake, auth
}

// syncAll fetches pages from cur until done and returns the records and the final cursor.
func syncAll(t *testing.T, c *google.Client, cur json.RawMessage) ([]connector.Record, json.RawMessage, int) {
	t.Helper()
	var recs []connector.Record
	for pages := 1; pages < 100; pages++ {
		p, err := c.Fetch(context.Background(), cur)
		require.NoError(t, err)
		recs = append(recs, p.Records...)
		cur = p.Cursor
		if p.Done {
			return recs, cur, pages
		}
	}
	t.Fatal("sync never finished")
	return nil, nil, 0
}

func byID(recs []connector.Record) map[string]store.CalendarEventRow {
	out := map[string]store.CalendarEventRow{}
	for _, r := range recs {
		out[r.ExternalID] = r.Row.(store.CalendarEventRow)
	}
	return out
}

var june6 = time.Date(2027, 6, 6, 0, 0, 0, 0, time.UTC)

func TestFullSyncPagesWithDuplicatesThenSyncTokenIncrements(t *testing.T) {
	t.Parallel()
	c, fake, _ := setup(t, "", nil)
	fake.SetTimeZone("Europe/London")
	fake.SetPageSize(2)
	fake.SetDuplicates(true)
	ny, _ := time.LoadLocation("America/New_York")
	wedding := fake.AddEvent("primary", googletest.Event{Summary: "Smith & Jones wedding", AllDay: true, Start: june6, End: june6.AddDate(0, 0, 1)})
	consult := fake.AddEvent("primary", googletest.Event{Summary: "Consultation with the Lees",
		Start: time.Date(2027, 3, 2, 15, 0, 0, 0, ny), End: time.Date(2027, 3, 2, 16, 0, 0, 0, ny)})
	for _, s := range []string{"Dentist", "Team lunch", "Elopement in the hills"} {
		fake.AddEvent("primary", googletest.Event{Summary: s, Start: june6.Add(9 * time.Hour), End: june6.Add(10 * time.Hour)})
	}

	recs, cur, pages := syncAll(t, c, nil)
	require.Equal(t, 3, pages, "5 events, 2 a page")
	got := byID(recs)
	require.Len(t, got, 5, "the event repeated at the start of each next page is one event")
	w := got[google.ExternalID("primary", wedding.ID)]
	require.Equal(t, "wedding", w.Kind)
	require.True(t, w.AllDay)
	london, _ := time.LoadLocation("Europe/London")
	require.True(t, w.StartsAt.Equal(time.Date(2027, 6, 6, 0, 0, 0, 0, london)), "all-day starts at midnight in the calendar's zone: %v", w.StartsAt)
	require.True(t, w.EndsAt.Equal(time.Date(2027, 6, 7, 0, 0, 0, 0, london)), "end date is exclusive: %v", w.EndsAt)
	k := got[google.ExternalID("primary", consult.ID)]
	require.Equal(t, "consultation", k.Kind)
	require.False(t, k.AllDay)
	require.True(t, k.StartsAt.Equal(time.Date(2027, 3, 2, 20, 0, 0, 0, time.UTC)), "dateTime keeps its offset: %v", k.StartsAt)
	kinds := map[string]int{}
	for _, r := range got {
		kinds[r.Kind]++
	}
	require.Equal(t, map[string]int{"wedding": 2, "consultation": 1, "other": 2}, kinds)
	reqs := fake.ListRequests()
	require.Empty(t, reqs[0].Get("syncToken"), "the first sync is a full one")
	require.Equal(t, "true", reqs[0].Get("singleEvents"))
	require.NotEmpty(t, reqs[1].Get("pageToken"))

	// Changes: one new event, one deleted; the increment carries only those.
	added := fake.AddEvent("primary", googletest.Event{Summary: "Patel wedding", AllDay: true, Start: june6.AddDate(0, 0, 7), End: june6.AddDate(0, 0, 8)})
	fake.CancelEvent("primary", consult.ID)
	recs, _, _ = syncAll(t, c, cur)
	got = byID(recs)
	require.Len(t, got, 2)
	require.Equal(t, "wedding", got[google.ExternalID("primary", added.ID)].Kind)
	cancelled := got[google.ExternalID("primary", consult.ID)]
	require.Equal(t, "cancelled", cancelled.Status)
	require.True(t, cancelled.StartsAt.IsZero(), "Google sends a deleted event as id and status only")
	last := fake.ListRequests()[len(fake.ListRequests())-1]
	require.NotEmpty(t, last.Get("syncToken"), "the second sync is incremental")
}

func TestExpiredSyncTokenRestartsWithFullSync(t *testing.T) {
	t.Parallel()
	c, fake, _ := setup(t, "", nil)
	a := fake.AddEvent("primary", googletest.Event{Summary: "Wedding A", AllDay: true, Start: june6, End: june6.AddDate(0, 0, 1)})
	_, cur, _ := syncAll(t, c, nil)
	fake.ExpireSyncTokens()
	b := fake.AddEvent("primary", googletest.Event{Summary: "Wedding B", AllDay: true, Start: june6, End: june6.AddDate(0, 0, 1)})
	recs, cur2, _ := syncAll(t, c, cur)
	got := byID(recs)
	require.Contains(t, got, google.ExternalID("primary", a.ID), "a full sync lists every event again")
	require.Contains(t, got, google.ExternalID("primary", b.ID))
	require.NotEqual(t, string(cur), string(cur2), "a new sync token")
	// And the new token works incrementally.
	recs, _, _ = syncAll(t, c, cur2)
	require.Empty(t, recs)
}

func TestThrottlingAndRefusedTokensAreClassified(t *testing.T) {
	t.Parallel()
	c, fake, _ := setup(t, "", nil)
	fake.Fail(googletest.Fault{Status: http.StatusForbidden, Reason: "rateLimitExceeded"})
	_, err := c.Fetch(context.Background(), nil)
	require.Equal(t, connector.ClassRateLimited, connector.ClassOf(err), "%v", err)

	fake.Fail(googletest.Fault{Status: http.StatusTooManyRequests, RetryAfter: "7"})
	_, err = c.Fetch(context.Background(), nil)
	var ce *connector.Error
	require.ErrorAs(t, err, &ce)
	require.Equal(t, connector.ClassRateLimited, ce.Class)
	require.Equal(t, 7*time.Second, ce.RetryAfter)

	fake.Fail(googletest.Fault{Status: http.StatusForbidden, Reason: "insufficientPermissions"})
	require.Equal(t, connector.ClassPermission, connector.ClassOf(c.Test(context.Background())))
	require.NoError(t, c.Test(context.Background()))

	u, stop := fake.Start()
	defer stop()
	bad, err := google.New(connector.Params{BaseURL: u, HTTPClient: oauth2.NewClient(context.Background(),
		oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "ya29.revoked"}))})
	require.NoError(t, err)
	_, err = bad.Fetch(context.Background(), nil)
	require.Equal(t, connector.ClassCredentials, connector.ClassOf(err), "%v", err)
}

// receiver records push notifications.
type receiver struct {
	mu  sync.Mutex
	got []http.Header
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.got = append(r.got, req.Header.Clone())
	r.mu.Unlock()
}

func TestChannelsOpenOnceAndNotificationsVerify(t *testing.T) {
	t.Parallel()
	rec := &receiver{}
	hook := httptest.NewServer(rec)
	defer hook.Close()
	c, fake, _ := setup(t, hook.URL+"/webhooks/google/int_x", nil)
	updates, err := c.EnsureChannels(context.Background())
	require.NoError(t, err)
	require.NotEmpty(t, updates[google.SecretChannelToken])
	chs := fake.Channels()
	require.Len(t, chs, 1)
	require.Equal(t, hook.URL+"/webhooks/google/int_x", chs[0].Address)
	require.Equal(t, updates[google.SecretChannelToken], chs[0].Token)

	// With the stored credentials, a channel that is still open is kept.
	c2, _, _ := setup(t, hook.URL+"/webhooks/google/int_x", updates)
	again, err := c2.EnsureChannels(context.Background())
	require.NoError(t, err)
	require.Nil(t, again, "nothing to renew")

	fake.AddEvent("primary", googletest.Event{Summary: "New wedding", AllDay: true, Start: june6, End: june6.AddDate(0, 0, 1)})
	rec.mu.Lock()
	require.Len(t, rec.got, 1)
	h := rec.got[0]
	rec.mu.Unlock()
	require.Equal(t, chs[0].ID, h.Get("X-Goog-Channel-ID"))
	require.Equal(t, "exists", h.Get("X-Goog-Resource-State"))
	require.Equal(t, "1", h.Get("X-Goog-Message-Number"))
	require.Equal(t, chs[0].ResourceID, h.Get("X-Goog-Resource-ID"))

	p := connector.Params{Credentials: updates}
	ev, err := google.Verify(context.Background(), p, connector.WebhookRequest{Header: h})
	require.NoError(t, err)
	require.Equal(t, chs[0].ID+":1", ev.ID)
	require.False(t, ev.Handshake)

	h.Set("X-Goog-Resource-State", "sync")
	ev, err = google.Verify(context.Background(), p, connector.WebhookRequest{Header: h})
	require.NoError(t, err)
	require.True(t, ev.Handshake)

	h.Set("X-Goog-Channel-Token", updates[google.SecretChannelToken]+"x")
	_, err = google.Verify(context.Background(), p, connector.WebhookRequest{Header: h})
	require.True(t, errors.Is(err, connector.ErrBadSignature))
	h.Del("X-Goog-Channel-Token")
	_, err = google.Verify(context.Background(), p, connector.WebhookRequest{Header: h})
	require.True(t, errors.Is(err, connector.ErrBadSignature))
}
