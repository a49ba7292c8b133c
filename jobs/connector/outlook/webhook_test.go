package outlook_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/outlook"
	"github.com/wedsync/wedsync/jobs/connector/outlook/outlooktest"
)

// receiver is a webhook endpoint that answers like handlers/integrations_webhook.go: it runs
// outlook.Verify, echoes a handshake's Reply as text/plain, refuses a bad proof with 400, and
// keeps the verified events.
type receiver struct {
	mu     sync.Mutex
	params connector.Params
	events []connector.WebhookEvent
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ev, err := outlook.Verify(r.Context(), rc.params, connector.WebhookRequest{Header: r.Header, Body: body, Query: r.URL.Query(), Now: time.Now()})
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	switch {
	case errors.Is(err, connector.ErrBadSignature):
		w.WriteHeader(http.StatusBadRequest)
		return
	case err != nil:
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	case ev.Handshake:
		_, _ = io.WriteString(w, ev.Reply)
		return
	}
	rc.mu.Lock()
	rc.events = append(rc.events, ev)
	rc.mu.Unlock()
	_, _ = io.WriteString(w, "ok\n")
}

func TestSubscriptionIsCreatedAfterASyncValidatedAndRenewed(t *testing.T) {
	t.Parallel()
	secret := outlook.NewClientState()
	creds := map[string]string{outlook.ClientStateKey: secret}
	rc := &receiver{params: connector.Params{Credentials: creds}}
	hook := httptest.NewServer(rc)
	t.Cleanup(hook.Close)
	clk := &clock{t: time.Now()}
	fake, c, _ := setup(t, connector.Params{Credentials: creds, WebhookURL: hook.URL + "/webhooks/outlook/int_abc", Now: clk.now})
	fake.SetClock(clk.now)
	fake.ValidateSubscriptions(http.DefaultClient) // Graph's handshake against our endpoint
	fake.AddEvent(outlooktest.Event{Subject: "Wedding", Start: clk.now().Add(time.Hour), End: clk.now().Add(2 * time.Hour)})

	_, cur, _ := drain(t, c, nil)
	subs := fake.Subscriptions()
	require.Len(t, subs, 1, "the first finished sync subscribes")
	sub := subs[0]
	require.Equal(t, hook.URL+"/webhooks/outlook/int_abc", sub.NotificationURL)
	require.Equal(t, secret, sub.ClientState)
	require.Equal(t, "me/events", sub.Resource)
	require.Equal(t, "created,updated,deleted", sub.ChangeType)
	require.WithinDuration(t, clk.now().Add(outlook.SubscriptionLife), sub.ExpiresAt, time.Second)

	// A notification from Graph is verified and becomes an event that asks for a sync.
	body, err := fake.Notification(sub.ID, "updated", "AAMk1", "")
	require.NoError(t, err)
	status, err := fake.Deliver(context.Background(), http.DefaultClient, sub.ID, body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, status)
	rc.mu.Lock()
	require.Len(t, rc.events, 1)
	require.Equal(t, "updated", rc.events[0].Type)
	rc.mu.Unlock()

	// Syncs in the next days leave it alone until it nears expiry, then renew it.
	_, cur, _ = drain(t, c, cur)
	require.Zero(t, fake.Subscriptions()[0].Renewals)
	clk.add(outlook.SubscriptionLife - outlook.RenewBefore + time.Minute)
	_, cur, _ = drain(t, c, cur)
	subs = fake.Subscriptions()
	require.Len(t, subs, 1)
	require.Equal(t, sub.ID, subs[0].ID)
	require.Equal(t, 1, subs[0].Renewals)
	require.WithinDuration(t, clk.now().Add(outlook.SubscriptionLife), subs[0].ExpiresAt, time.Second)

	// When Graph has dropped it, the renewal finds nothing and a new subscription is made.
	fake.DropSubscriptions()
	clk.add(outlook.SubscriptionLife)
	_, _, _ = drain(t, c, cur)
	subs = fake.Subscriptions()
	require.Len(t, subs, 1)
	require.NotEqual(t, sub.ID, subs[0].ID)
}

func TestNoSubscriptionWithoutWebhookURLOrClientState(t *testing.T) {
	t.Parallel()
	fake, c, _ := setup(t, connector.Params{Credentials: map[string]string{outlook.ClientStateKey: "s3cret"}})
	_, _, _ = drain(t, c, nil)
	require.Empty(t, fake.Subscriptions(), "no webhook URL: scheduled syncs only")

	fake, c, _ = setup(t, connector.Params{WebhookURL: "https://wedsync.example/webhooks/outlook/int_x"})
	_, cur, _ := drain(t, c, nil)
	require.Empty(t, fake.Subscriptions(), "never subscribe with an empty clientState")
	require.Contains(t, string(cur), "no clientState secret stored")

	// A subscription Graph refuses (an unreachable endpoint) does not fail the sync.
	fake, c, _ = setup(t, connector.Params{WebhookURL: "http://127.0.0.1:1/webhooks/outlook/int_y",
		Credentials: map[string]string{outlook.ClientStateKey: "s3cret"}})
	fake.ValidateSubscriptions(http.DefaultClient)
	fake.AddEvent(outlooktest.Event{Subject: "Shoot", Start: time.Now(), End: time.Now().Add(time.Hour)})
	seen, cur, _ := drain(t, c, nil)
	require.Len(t, seen, 1)
	require.Empty(t, fake.Subscriptions())
	require.Contains(t, string(cur), "ValidationError", "the refusal is kept for support and retried next sync")
}

func TestVerifyHandshakeAndClientState(t *testing.T) {
	t.Parallel()
	secret := outlook.NewClientState()
	p := connector.Params{Credentials: map[string]string{outlook.ClientStateKey: secret}}
	ctx := context.Background()

	// The validation handshake echoes the (decoded) token and stores nothing.
	tok := "Validation: Testing client application reachability for subscription Request-Id: 1b2c"
	ev, err := outlook.Verify(ctx, p, connector.WebhookRequest{Query: url.Values{"validationToken": {tok}}})
	require.NoError(t, err)
	require.True(t, ev.Handshake)
	require.Equal(t, tok, ev.Reply)
	require.Empty(t, ev.ID)

	notification := func(state string) []byte {
		b, err := json.Marshal(map[string]any{"value": []any{map[string]any{"subscriptionId": "8a1f", "clientState": state,
			"changeType": "created", "resource": "Users/u/Events/AAMk1", "tenantId": "t"}}})
		require.NoError(t, err)
		return b
	}
	good := notification(secret)
	ev, err = outlook.Verify(ctx, p, connector.WebhookRequest{Body: good})
	require.NoError(t, err)
	require.Equal(t, "created", ev.Type)
	require.NotEmpty(t, ev.ID)
	again, err := outlook.Verify(ctx, p, connector.WebhookRequest{Body: good})
	require.NoError(t, err)
	require.Equal(t, ev.ID, again.ID, "a redelivery has the same id, so it is stored once")

	for name, req := range map[string]connector.WebhookRequest{
		"wrong clientState": {Body: notification(secret + "x")},
		"no clientState":    {Body: notification("")},
		"not JSON":          {Body: []byte("hello")},
		"no notifications":  {Body: []byte(`{"value":[]}`)},
		"empty token":       {Query: url.Values{"validationToken": {""}}},
	} {
		_, err := outlook.Verify(ctx, p, req)
		require.ErrorIs(t, err, connector.ErrBadSignature, name)
	}
	_, err = outlook.Verify(ctx, connector.Params{}, connector.WebhookRequest{Body: notification("")})
	require.ErrorIs(t, err, connector.ErrBadSignature, "no stored clientState verifies nothing")

	c, err := outlook.New(connector.Params{})
	require.NoError(t, err)
	res, err := c.MapEvent(ctx, connector.StoredEvent{ID: ev.ID, Type: ev.Type, Payload: good})
	require.NoError(t, err)
	require.True(t, res.Sync, "a notification runs an incremental sync")
	require.Empty(t, res.Records)
}
