// Package webhook delivers alerts as signed JSON POSTs.
//
// Every request carries the delivery's idempotency key (WedSync-Delivery, also Idempotency-Key),
// a Unix timestamp (WedSync-Timestamp) and WedSync-Signature: v1=<hex HMAC-SHA256 of
// "<timestamp>.<raw body>" keyed with the channel's signing secret>. Receivers verify the
// signature, reject stale timestamps and use the delivery id to ignore a repeat.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wedsync/wedsync/jobs/channel"
	"github.com/wedsync/wedsync/jobs/netguard"
)

// The request headers.
const (
	HeaderDelivery    = "WedSync-Delivery"
	HeaderTimestamp   = "WedSync-Timestamp"
	HeaderSignature   = "WedSync-Signature"
	HeaderEvent       = "WedSync-Event"
	HeaderIdempotency = "Idempotency-Key"
)

// DefaultTolerance is how old a timestamp Verify accepts.
const DefaultTolerance = 5 * time.Minute

// Sign returns the signature header value for a timestamp and raw body.
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Verification errors.
var (
	ErrNoSignature  = errors.New("webhook: missing signature or timestamp")
	ErrBadSignature = errors.New("webhook: signature does not match")
	ErrStale        = errors.New("webhook: timestamp outside the tolerance")
)

// Verify checks a received request's headers against its raw body: the timestamp must be within
// tolerance of now and one v1 signature must match (several are allowed, comma-separated, for
// secret rotation).
func Verify(secret string, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	tsText, sigs := h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if tsText == "" || sigs == "" {
		return ErrNoSignature
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return ErrNoSignature
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	want := Sign(secret, ts, body)
	for _, s := range strings.Split(sigs, ",") {
		if hmac.Equal([]byte(strings.TrimSpace(s)), []byte(want)) {
			return nil
		}
	}
	return ErrBadSignature
}

// Client posts webhooks.
type Client struct {
	http      *http.Client
	userAgent string
}

// New makes a client; httpClient carries the timeout (redirects are never followed).
func New(httpClient *http.Client) *Client {
	c := *httpClient
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{http: &c, userAgent: "WedSync-Webhooks/1"}
}

// Request is one webhook to send.
type Request struct {
	URL, Secret string
	// DeliveryID is the idempotency key: the same for every retry of one delivery.
	DeliveryID string
	// Event is the event type ("alert.raised", "alert.escalated", "alert.digest").
	Event string
	// At is the signing time.
	At   time.Time
	Body []byte
}

// Send posts the request. A 2xx is success; 408, 429 and 5xx, timeouts and connection errors are
// transient; any other status (redirects included) is permanent.
func (c *Client) Send(ctx context.Context, r Request) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return channel.Permanent(fmt.Errorf("webhook: %w", err))
	}
	ts := r.At.Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set(HeaderDelivery, r.DeliveryID)
	req.Header.Set(HeaderIdempotency, r.DeliveryID)
	req.Header.Set(HeaderEvent, r.Event)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(r.Secret, ts, r.Body))
	resp, err := c.http.Do(req)
	if errors.Is(err, netguard.ErrPrivateAddress) {
		return channel.Permanent(err)
	}
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	err = fmt.Errorf("webhook: receiver answered %s: %s", resp.Status, strings.TrimSpace(string(snippet)))
	switch {
	case resp.StatusCode == http.StatusRequestTimeout, resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode >= 500:
		return err
	}
	return channel.Permanent(err)
}
