package calendly_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/calendly"
	"github.com/wedsync/wedsync/jobs/connector/calendly/calendlytest"
	"github.com/wedsync/wedsync/store"
	"golang.org/x/oauth2"
)

const (
	oauthToken    = "eyJraWQiOiIxY2UxZTEzNjE3ZGNmNzY2YjNjZWJjY2Y4ZGM1YmFmYThhNjVlNjg0ZmFrZQ"
	personalToken = "eyJhbGciOiJIUzI1NiJ9.personal.fake"
	signingKey    = "k3y_8PqWn2Xr6Zt"
)

func bearer(tok string) *http.Client {
	return oauth2.NewClient(context.Background(), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok, TokenType: "Bearer"}))
}

func setup(t *testing.T, p connector.Params) (*calendlytest.Server, *calendly.Client, string) {
	t.Helper()
	fake := calendlytest.New(oauthToken, personalToken)
	url, stop := fake.Start()
	t.Cleanup(stop)
	if p.HTTPClient == nil {
		p.HTTPClient = bearer(oauthToken)
	}
	p.BaseURL = url
	c, err := calendly.New(p)
	require.NoError(t, err)
	return fake, c, url
}

func drain(t *testing.T, c *calendly.Client, cur json.RawMessage) (map[string]connector.Record, json.RawMessage, int) {
	t.Helper()
	seen := map[string]connector.Record{}
	for pages := 1; pages < 1000; pages++ {
		p, err := c.Fetch(context.Background(), cur)
		require.NoError(t, err)
		for _, r := range p.Records {
			seen[r.ExternalID] = r
		}
		cur = p.Cursor
		if p.Done {
			return seen, cur, pages
		}
	}
	t.Fatal("never done")
	return nil, nil, 0
}

func row(t *testing.T, r connector.Record) store.CalendarEventRow {
	t.Helper()
	require.Empty(t, r.Problem)
	return r.Row.(store.CalendarEventRow)
}

func TestFetchPagesThroughEmptyPagesAndDuplicates(t *testing.T) {
	t.Parallel()
	fake, c, _ := setup(t, connector.Params{Config: map[string]string{"consultation_match": "/^discovery/"}})
	base := time.Now().UTC().Add(24 * time.Hour).Truncate(time.Hour)
	var ids []string
	for i := range 230 {
		name := "Engagement shoot"
		if i%3 == 0 {
			name = "Discovery call"
		}
		start := base.Add(time.Duration(i)*time.Hour + 123456*time.Microsecond)
		ids = append(ids, fake.AddEvent(calendlytest.Event{Name: name, Start: start, End: start.Add(30 * time.Minute)}).ID)
	}
	old := fake.AddEvent(calendlytest.Event{Name: "Long ago", Start: time.Now().AddDate(-2, 0, 0), End: time.Now().AddDate(-2, 0, 0).Add(time.Hour)})
	require.NoError(t, fake.Cancel(ids[7]))
	fake.SetDuplicates(true)
	fake.SetEmptyPageEvery(2)
	seen, cur, pages := drain(t, c, nil)
	require.Len(t, seen, 230)
	require.NotContains(t, seen, old.ID, "min_start_time keeps the window")
	require.Greater(t, pages, 3, "100 a page, plus empty pages with a next token")
	first := row(t, seen[ids[0]])
	require.Equal(t, "consultation", first.Kind)
	require.Equal(t, base.Add(123456*time.Microsecond), first.StartsAt, "UTC with microseconds")
	require.Equal(t, "confirmed", first.Status)
	require.Equal(t, "other", row(t, seen[ids[1]]).Kind)
	require.Equal(t, "cancelled", row(t, seen[ids[7]]).Status)
	for _, q := range fake.ListQueries() {
		require.Contains(t, q, "count=100")
		require.Contains(t, q, "min_start_time=")
		require.Contains(t, q, "user=")
	}

	// The next pass looks back a month, not a year, and starts over from the first page.
	n := len(fake.ListQueries())
	fake.SetDuplicates(false)
	fake.SetEmptyPageEvery(0)
	_, _, _ = drain(t, c, cur)
	q := fake.ListQueries()[n]
	require.NotContains(t, q, "page_token=")
	require.Contains(t, q, "min_start_time="+time.Now().UTC().Add(-calendly.IncrementalLookback).Truncate(time.Hour).Format("2006-01-02T15"))
}

func TestPersonalTokenWinsOverTheOAuthClient(t *testing.T) {
	t.Parallel()
	// An OAuth client whose token the fake refuses: the personal token must be the one sent.
	_, c, url := setup(t, connector.Params{HTTPClient: bearer("revoked-oauth-token"),
		Credentials: map[string]string{calendly.PersonalTokenKey: personalToken}})
	require.NoError(t, c.Test(context.Background()))
	without, err := calendly.New(connector.Params{BaseURL: url, HTTPClient: bearer("revoked-oauth-token")})
	require.NoError(t, err)
	require.Equal(t, connector.ClassCredentials, connector.ClassOf(without.Test(context.Background())))
}

func TestErrorsAreClassified(t *testing.T) {
	t.Parallel()
	fake, c, _ := setup(t, connector.Params{})
	cases := []struct {
		fault calendlytest.Fault
		class connector.Class
		wait  time.Duration
	}{
		{calendlytest.Fault{Status: http.StatusTooManyRequests, Reset: 42}, connector.ClassRateLimited, 42 * time.Second},
		{calendlytest.Fault{Status: http.StatusUnauthorized}, connector.ClassCredentials, 0},
		{calendlytest.Fault{Status: http.StatusForbidden}, connector.ClassPermission, 0},
		{calendlytest.Fault{Status: http.StatusBadGateway}, connector.ClassProviderDown, 0},
	}
	for _, tc := range cases {
		fake.FailNext(tc.fault)
		_, err := c.Fetch(context.Background(), nil)
		require.Error(t, err)
		require.Equal(t, tc.class, connector.ClassOf(err), err.Error())
		var ce *connector.Error
		require.ErrorAs(t, err, &ce)
		require.Equal(t, tc.wait, ce.RetryAfter)
	}
	_, err := c.Fetch(context.Background(), nil)
	require.NoError(t, err)
}

func TestVerifySignatures(t *testing.T) {
	t.Parallel()
	fake, _, _ := setup(t, connector.Params{})
	e := fake.AddEvent(calendlytest.Event{Name: "Wedding consult", Start: time.Now().Add(time.Hour), End: time.Now().Add(2 * time.Hour)})
	body, err := fake.InviteeCreated(e.ID)
	require.NoError(t, err)
	p := connector.Params{Credentials: map[string]string{calendly.SigningKeyKey: signingKey}}
	now := time.Now()
	req := func(sig string) connector.WebhookRequest {
		return connector.WebhookRequest{Header: http.Header{"Calendly-Webhook-Signature": {sig}}, Body: body, Now: now}
	}
	ev, err := calendly.Verify(context.Background(), p, req(calendlytest.Sign(body, signingKey, now.Add(-time.Minute))))
	require.NoError(t, err)
	require.Equal(t, "invitee.created", ev.Type)
	require.True(t, strings.HasPrefix(ev.ID, "invitee.created:"), ev.ID)

	bad := map[string]string{
		"other key":      calendlytest.Sign(body, "another-key", now),
		"missing":        "",
		"no v1":          "t=" + calendlytest.Sign(body, signingKey, now)[2:12],
		"garbage":        "hello",
		"tampered":       strings.Replace(calendlytest.Sign(body, signingKey, now), "v1=", "v1=0", 1),
		"timestamp swap": "t=1," + strings.Split(calendlytest.Sign(body, signingKey, now), ",")[1],
	}
	for name, sig := range bad {
		_, err := calendly.Verify(context.Background(), p, req(sig))
		require.ErrorIs(t, err, connector.ErrBadSignature, name)
	}
	_, err = calendly.Verify(context.Background(), p, req(calendlytest.Sign(body, signingKey, now.Add(-4*time.Minute))))
	require.ErrorIs(t, err, connector.ErrStaleWebhook, "older than three minutes")
	_, err = calendly.Verify(context.Background(), p, req(calendlytest.Sign(body, signingKey, now.Add(4*time.Minute))))
	require.ErrorIs(t, err, connector.ErrStaleWebhook, "from the future")
	_, err = calendly.Verify(context.Background(), connector.Params{}, req(calendlytest.Sign(body, signingKey, now)))
	require.ErrorIs(t, err, connector.ErrBadSignature, "no signing key stored")
}

func TestRescheduleEndsAsCancelPlusCreate(t *testing.T) {
	t.Parallel()
	fake, c, url := setup(t, connector.Params{})
	start := time.Date(time.Now().Year()+1, 5, 2, 15, 0, 0, 0, time.UTC)
	e := fake.AddEvent(calendlytest.Event{Name: "Wedding planning consultation", Start: start, End: start.Add(45 * time.Minute)})
	created, err := fake.InviteeCreated(e.ID)
	require.NoError(t, err)
	canceled, moved, n, err := fake.Reschedule(e.ID, start.Add(48*time.Hour))
	require.NoError(t, err)

	apply := func(typ string, body []byte) connector.Record {
		res, err := c.MapEvent(context.Background(), connector.StoredEvent{ID: typ, Type: typ, Payload: body})
		require.NoError(t, err)
		require.False(t, res.Sync)
		require.Len(t, res.Records, 1)
		return res.Records[0]
	}
	first := row(t, apply("invitee.created", created))
	require.Equal(t, e.ID, first.ExternalID)
	require.Equal(t, "confirmed", first.Status)
	require.Equal(t, "wedding", first.Kind, "the wedding rule wins over consultation")
	old := row(t, apply("invitee.canceled", canceled))
	require.Equal(t, e.ID, old.ExternalID)
	require.Equal(t, "cancelled", old.Status)
	nw := row(t, apply("invitee.created", moved))
	require.Equal(t, n.ID, nw.ExternalID)
	require.Equal(t, "confirmed", nw.Status)
	require.Equal(t, start.Add(48*time.Hour), nw.StartsAt)
	require.Equal(t, start.Add(48*time.Hour+45*time.Minute), nw.EndsAt)

	// A delivery without the embedded scheduled_event reads it through the API.
	require.NoError(t, fake.Cancel(n.ID))
	bare, err := json.Marshal(map[string]any{"event": "invitee.canceled", "payload": map[string]any{
		"uri": url + "/scheduled_events/" + n.ID + "/invitees/X", "event": url + "/scheduled_events/" + n.ID}})
	require.NoError(t, err)
	require.Equal(t, "cancelled", row(t, apply("invitee.canceled", bare)).Status)

	// Events other than invitee ones are acknowledged and ignored.
	res, err := c.MapEvent(context.Background(), connector.StoredEvent{ID: "x", Type: "routing_form_submission.created", Payload: []byte(`{}`)})
	require.NoError(t, err)
	require.Empty(t, res.Records)
}
