package sms_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs/channel"
	"github.com/wedsync/wedsync/jobs/channel/sms"
	"github.com/wedsync/wedsync/jobs/channel/sms/twiliotest"
)

const sid, token = "AC0123456789abcdef0123456789abcdef", "secret-token"

func TestSendSpeaksTwilio(t *testing.T) {
	t.Parallel()
	fake := twiliotest.New(sid, token)
	defer fake.Close()
	hc := &http.Client{Timeout: 2 * time.Second}
	c := sms.New(sms.Config{BaseURL: fake.URL, AccountSID: sid, AuthToken: token, From: "+15005550006"}, hc)
	msgSID, err := c.Send(context.Background(), "+447700900123", "Wedding today: balance unpaid")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(msgSID, "SM"))
	m := fake.Messages()[0]
	require.Equal(t, "+447700900123", m.To)
	require.Equal(t, "+15005550006", m.From)
	require.Equal(t, "Wedding today: balance unpaid", m.Body)

	_, err = c.Send(context.Background(), "07700", "x")
	require.True(t, channel.IsPermanent(err), "an invalid number (21211) is permanent: %v", err)
	require.Contains(t, err.Error(), "21211")
	bad := sms.New(sms.Config{BaseURL: fake.URL, AccountSID: sid, AuthToken: "wrong", From: "+15005550006"}, hc)
	_, err = bad.Send(context.Background(), "+447700900123", "x")
	require.True(t, channel.IsPermanent(err), "bad credentials (20003) are permanent: %v", err)
	for _, status := range []int{http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusServiceUnavailable} {
		fake.FailNext(status)
		_, err = c.Send(context.Background(), "+447700900123", "x")
		require.Error(t, err)
		require.False(t, channel.IsPermanent(err), "%d is transient", status)
	}
	_, err = sms.New(sms.Config{}, hc).Send(context.Background(), "+447700900123", "x")
	require.True(t, channel.IsPermanent(err), "no account configured")
	require.Len(t, fake.Messages(), 1)
}
