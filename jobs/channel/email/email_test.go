package email_test

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs/channel"
	"github.com/wedsync/wedsync/jobs/channel/email"
	"github.com/wedsync/wedsync/jobs/channel/email/smtptest"
)

func TestSendBothBodiesAndClassifyReplies(t *testing.T) {
	t.Parallel()
	srv, err := smtptest.New("user", "pass")
	require.NoError(t, err)
	defer srv.Close()
	cfg := email.Config{Host: srv.Host, Port: srv.Port, Username: "user", Password: "pass", From: "WedSync <alerts@wedsync.test>", TLS: "none"}
	c := email.New(cfg)
	n := email.Notice{OrgName: "Ada & Bo", Kind: email.KindDigest, Severity: "HIGH", Link: "https://x.test/alerts?a=1&b=2", Held: 3,
		Items: []email.Item{{Severity: "LOW", Title: "Fish < chips", When: "Mon 1 Jun 10:00"}}}
	html, text, err := n.Render(context.Background())
	require.NoError(t, err)
	msg := email.Message{To: []string{"studio@example.test"}, Subject: n.Subject(), Text: text, HTML: html, MessageID: "dlv_abc@x.test"}
	require.NoError(t, c.Send(context.Background(), msg))
	m := srv.Messages()[0]
	require.Equal(t, "[HIGH] Digest: 3 alert notification(s) held back", m.Subject)
	require.Equal(t, "<dlv_abc@x.test>", m.Header.Get("Message-Id"))
	require.Contains(t, m.Text, "- [LOW] Fish < chips (Mon 1 Jun 10:00)")
	require.Contains(t, m.Text, "...and 2 more.")
	require.Contains(t, m.Text, "Open the alerts: https://x.test/alerts?a=1&b=2")
	require.Contains(t, m.HTML, "Fish &lt; chips")
	require.Contains(t, m.HTML, `href="https://x.test/alerts?a=1&amp;b=2"`)

	srv.FailNext(550)
	err = c.Send(context.Background(), msg)
	require.True(t, channel.IsPermanent(err), "550 is permanent: %v", err)
	srv.FailNext(451)
	err = c.Send(context.Background(), msg)
	require.Error(t, err)
	require.False(t, channel.IsPermanent(err), "451 is transient: %v", err)
	bad := cfg
	bad.Password = "wrong"
	err = email.New(bad).Send(context.Background(), msg)
	require.True(t, channel.IsPermanent(err), "535 bad credentials is permanent: %v", err)

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port, _ := strconv.Atoi(l.Addr().(*net.TCPAddr).String()[len("127.0.0.1:"):])
	require.NoError(t, l.Close())
	down := cfg
	down.Port, down.Timeout = port, time.Second
	err = email.New(down).Send(context.Background(), msg)
	require.Error(t, err)
	require.False(t, channel.IsPermanent(err), "a server that is down is transient: %v", err)
	require.Len(t, srv.Messages(), 1)
}
