// Package sms sends text messages through the Twilio Messages API: a form POST of To, From and
// Body to {base}/2010-04-01/Accounts/{AccountSid}/Messages.json with HTTP Basic authentication
// (AccountSid:AuthToken), answered by 201 and the message's sid.
package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/wedsync/wedsync/jobs/channel"
)

// DefaultBaseURL is Twilio's API origin.
const DefaultBaseURL = "https://api.twilio.com"

// MaxBody is the longest text sent (Twilio accepts 1,600 characters).
const MaxBody = 1600

// Config is a Twilio account.
type Config struct {
	// BaseURL is the API origin (DefaultBaseURL when empty); tests point it at twiliotest.
	BaseURL    string
	AccountSID string
	AuthToken  string
	// From is the sending number (E.164).
	From string
}

// Configured reports whether the account can send.
func (c Config) Configured() bool { return c.AccountSID != "" && c.AuthToken != "" && c.From != "" }

// Client sends messages.
type Client struct {
	cfg  Config
	http *http.Client
}

// New makes a client; httpClient carries the timeout.
func New(cfg Config, httpClient *http.Client) *Client {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	return &Client{cfg: cfg, http: httpClient}
}

// apiError is Twilio's error body.
type apiError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

// Send sends body to the number to and returns the message sid. A 4xx answer (other than 429) is
// permanent; 429, 5xx and network errors are transient.
func (c *Client) Send(ctx context.Context, to, body string) (string, error) {
	if !c.cfg.Configured() {
		return "", channel.Permanent(errors.New("sms: no Twilio account configured (WEDSYNC_TWILIO_SID, WEDSYNC_TWILIO_TOKEN, WEDSYNC_TWILIO_FROM)"))
	}
	if r := []rune(body); len(r) > MaxBody {
		body = string(r[:MaxBody-1]) + "…"
	}
	form := url.Values{"To": {to}, "From": {c.cfg.From}, "Body": {body}}
	endpoint := strings.TrimRight(c.cfg.BaseURL, "/") + "/2010-04-01/Accounts/" + url.PathEscape(c.cfg.AccountSID) + "/Messages.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", channel.Permanent(fmt.Errorf("sms: %w", err))
	}
	req.SetBasicAuth(c.cfg.AccountSID, c.cfg.AuthToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("sms: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK {
		var m struct {
			SID    string `json:"sid"`
			Status string `json:"status"`
		}
		if err := json.Unmarshal(raw, &m); err != nil || m.SID == "" {
			return "", channel.Permanent(fmt.Errorf("sms: Twilio answered %s without a message sid", resp.Status))
		}
		return m.SID, nil
	}
	var e apiError
	_ = json.Unmarshal(raw, &e)
	err = fmt.Errorf("sms: Twilio answered %s (code %d): %s", resp.Status, e.Code, e.Message)
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return "", err
	}
	return "", channel.Permanent(err)
}
