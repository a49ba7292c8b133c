package webhook_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs/channel"
	"github.com/wedsync/wedsync/jobs/channel/webhook"
	"github.com/wedsync/wedsync/jobs/channel/webhook/webhooktest"
	"github.com/wedsync/wedsync/jobs/netguard"
)

func TestSendIsVerifiedByTheReceiver(t *testing.T) {
	t.Parallel()
	recv := webhooktest.New("whsec_unit_0123456789")
	defer recv.Close()
	c := webhook.New(&http.Client{Timeout: 2 * time.Second})
	body := []byte(`{"id":"dlv_1","type":"alert.raised"}`)
	require.NoError(t, c.Send(context.Background(), webhook.Request{URL: recv.URL, Secret: "whsec_unit_0123456789",
		DeliveryID: "dlv_1", Event: "alert.raised", At: time.Now(), Body: body}))
	require.Equal(t, 1, recv.Count())
	d := recv.Accepted()[0]
	require.Equal(t, "dlv_1", d.ID)
	require.Equal(t, body, d.Body)
	require.Equal(t, "application/json", d.Header.Get("Content-Type"))

	// Signed with another secret, the receiver refuses it: a 401 is permanent.
	err := c.Send(context.Background(), webhook.Request{URL: recv.URL, Secret: "wrong", DeliveryID: "dlv_2", At: time.Now(), Body: body})
	require.True(t, channel.IsPermanent(err), "%v", err)
	require.Equal(t, 1, recv.BadSignatures())
}

func TestSignatureScheme(t *testing.T) {
	t.Parallel()
	// The README's openssl example gives this value for the same input.
	require.Equal(t, "v1=84622b72de829826af47fad04168d8f197de43e1043838508eb9a50bd33b8499",
		webhook.Sign("whsec_x", 1780000000, []byte(`{"id":"dlv_1"}`)))
	h := http.Header{}
	h.Set(webhook.HeaderTimestamp, "1780000000")
	h.Set(webhook.HeaderSignature, "v1=00, "+webhook.Sign("whsec_x", 1780000000, []byte(`{"id":"dlv_1"}`)))
	now := time.Unix(1780000000, 0)
	require.NoError(t, webhook.Verify("whsec_x", h, []byte(`{"id":"dlv_1"}`), now, time.Minute))
	require.ErrorIs(t, webhook.Verify("whsec_x", h, []byte(`{"id":"dlv_2"}`), now, time.Minute), webhook.ErrBadSignature)
	require.ErrorIs(t, webhook.Verify("whsec_x", h, []byte(`{"id":"dlv_1"}`), now.Add(10*time.Minute), 5*time.Minute), webhook.ErrStale)
	require.ErrorIs(t, webhook.Verify("whsec_x", http.Header{}, nil, now, time.Minute), webhook.ErrNoSignature)
}

func TestSendClassifiesFailures(t *testing.T) {
	t.Parallel()
	status := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status == http.StatusFound {
			http.Redirect(w, r, "/elsewhere", status)
			return
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	c := webhook.New(&http.Client{Timeout: time.Second})
	send := func() error {
		return c.Send(context.Background(), webhook.Request{URL: srv.URL, Secret: "s", DeliveryID: "d", At: time.Now(), Body: []byte("{}")})
	}
	for _, tc := range []struct {
		status   int
		ok, perm bool
	}{
		{200, true, false}, {204, true, false}, {400, false, true}, {404, false, true}, {410, false, true}, {302, false, true},
		{408, false, false}, {429, false, false}, {500, false, false}, {503, false, false},
	} {
		status = tc.status
		err := send()
		require.Equal(t, tc.ok, err == nil, "status %d: %v", tc.status, err)
		require.Equal(t, tc.perm, channel.IsPermanent(err), "status %d: %v", tc.status, err)
	}
	// Nobody listening: transient.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	err = c.Send(context.Background(), webhook.Request{URL: "http://" + addr, Secret: "s", DeliveryID: "d", At: time.Now(), Body: []byte("{}")})
	require.Error(t, err)
	require.False(t, channel.IsPermanent(err))
}

func TestPublicTransportRefusesInternalAddresses(t *testing.T) {
	t.Parallel()
	recv := webhooktest.New("whsec_unit_0123456789")
	defer recv.Close()
	// An admin types a URL that points at our own network: the delivery fails permanently and
	// the receiver never sees a request.
	c := webhook.New(&http.Client{Timeout: 2 * time.Second, Transport: netguard.PublicTransport(time.Second)})
	err := c.Send(context.Background(), webhook.Request{URL: recv.URL, Secret: "whsec_unit_0123456789",
		DeliveryID: "dlv_1", Event: "alert.raised", At: time.Now(), Body: []byte(`{}`)})
	require.ErrorIs(t, err, netguard.ErrPrivateAddress)
	require.True(t, channel.IsPermanent(err), "%v", err)
	require.Zero(t, recv.Count())

	for addr, public := range map[string]bool{
		"127.0.0.1": false, "10.1.2.3": false, "192.168.0.10": false, "172.16.5.5": false, "169.254.169.254": false,
		"100.64.0.1": false, "0.0.0.0": false, "::1": false, "fe80::1": false, "fd00::1": false, "::ffff:127.0.0.1": false,
		"8.8.8.8": true, "2606:4700:4700::1111": true,
	} {
		require.Equal(t, public, netguard.IsPublic(netip.MustParseAddr(addr)), addr)
	}
}
