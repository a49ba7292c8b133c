// Package email sends alert emails over SMTP (github.com/wneessen/go-mail) with an HTML body and a
// plain-text alternative, both rendered from the templ components of this package.
package email

import (
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"time"

	"github.com/wedsync/wedsync/jobs/channel"
	mail "github.com/wneessen/go-mail"
)

// Config is the SMTP relay.
type Config struct {
	Host string
	// Port defaults to 587.
	Port int
	// Username and Password enable SMTP AUTH: the best mechanism the server offers over TLS, or
	// PLAIN without encryption when TLS is "none".
	Username, Password string
	// From is the sender address ("WedSync <alerts@example.com>").
	From string
	// TLS is "opportunistic" (default: STARTTLS when offered), "mandatory", "ssl" (implicit TLS)
	// or "none".
	TLS string
	// Timeout bounds connecting and each command (default 15 s).
	Timeout time.Duration
}

// Configured reports whether mail can be sent.
func (c Config) Configured() bool { return c.Host != "" && c.From != "" }

// Message is one email.
type Message struct {
	To      []string
	Subject string
	Text    string
	HTML    string
	// MessageID is the delivery's idempotency key: the same for every retry, so receiving systems
	// can discard a repeat.
	MessageID string
	// Headers are extra headers (X-WedSync-Delivery, ...).
	Headers map[string]string
}

// Client sends messages.
type Client struct {
	cfg Config
}

// New makes a client.
func New(cfg Config) *Client {
	if cfg.Port == 0 {
		cfg.Port = 587
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 15 * time.Second
	}
	return &Client{cfg: cfg}
}

// Send delivers m. SMTP 5yz replies (and messages that cannot be built) are permanent errors;
// 4yz replies, timeouts and connection failures are transient.
func (c *Client) Send(ctx context.Context, m Message) error {
	if !c.cfg.Configured() {
		return channel.Permanent(errors.New("email: no SMTP server configured (WEDSYNC_SMTP_HOST, WEDSYNC_SMTP_FROM)"))
	}
	msg := mail.NewMsg()
	if err := msg.From(c.cfg.From); err != nil {
		return channel.Permanent(fmt.Errorf("email: from: %w", err))
	}
	if err := msg.To(m.To...); err != nil {
		return channel.Permanent(fmt.Errorf("email: to: %w", err))
	}
	msg.Subject(m.Subject)
	if m.MessageID != "" {
		msg.SetMessageIDWithValue(m.MessageID)
	} else {
		msg.SetMessageID()
	}
	msg.SetDate()
	for k, v := range m.Headers {
		msg.SetGenHeader(mail.Header(k), v)
	}
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)

	opts := []mail.Option{mail.WithPort(c.cfg.Port), mail.WithTimeout(c.cfg.Timeout)}
	switch c.cfg.TLS {
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	case "mandatory":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case "ssl":
		opts = append(opts, mail.WithSSL())
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	}
	if c.cfg.Username != "" {
		auth := mail.SMTPAuthAutoDiscover
		if c.cfg.TLS == "none" {
			// Chosen explicitly: PLAIN without encryption (a relay on the same host or network).
			auth = mail.SMTPAuthPlainNoEnc
		}
		opts = append(opts, mail.WithSMTPAuth(auth),
			mail.WithUsername(c.cfg.Username), mail.WithPassword(c.cfg.Password))
	}
	client, err := mail.NewClient(c.cfg.Host, opts...)
	if err != nil {
		return channel.Permanent(fmt.Errorf("email: client: %w", err))
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return classify(err)
	}
	return nil
}

// classify maps an SMTP failure to permanent (5yz) or transient (4yz, network).
func classify(err error) error {
	err = fmt.Errorf("email: %w", err)
	var se *mail.SendError
	if errors.As(err, &se) {
		if code := se.ErrorCode(); code >= 500 && code < 600 {
			return channel.Permanent(err)
		}
		if se.IsTemp() || se.ErrorCode() >= 400 {
			return err
		}
	}
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 && te.Code < 600 {
		return channel.Permanent(err)
	}
	return err
}
