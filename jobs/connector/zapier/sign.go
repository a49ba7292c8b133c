// Package zapier is what HoneyBook and Dubsado share: neither has an API we can read, so their
// integrations take CSV exports (package csvimport) and events forwarded by Zapier, signed with
// a secret WedSync generates for the integration. This package holds that signature scheme (the
// README's "Zapier webhooks (HoneyBook, Dubsado)"), the event mapping and the provider
// description the two provider packages use.
package zapier

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/wedsync/wedsync/jobs/connector"
)

// Headers of a forwarded event.
const (
	// SignatureHeader is "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">"; several
	// v1 values may be given (one must match).
	SignatureHeader = "X-WedSync-Signature"
	// EventIDHeader optionally names the event; otherwise the body's "id" does, otherwise a
	// hash of the body.
	EventIDHeader = "X-WedSync-Event-Id"
)

// Tolerance is how far the signed timestamp may be from our clock, either way.
const Tolerance = 5 * time.Minute

// SecretField is the credential key of the generated signing secret.
const SecretField = "webhook_secret"

// NewSecret generates a signing secret: "zap_" and 64 hex digits (256 random bits).
func NewSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return "zap_" + hex.EncodeToString(b)
}

// Sign returns the signature header value for body signed at unix time ts.
func Sign(secret string, ts int64, body []byte) string {
	return "t=" + strconv.FormatInt(ts, 10) + ",v1=" + mac(secret, ts, body)
}

func mac(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10) + "."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks a forwarded event's signature with the integration's secret and the
// timestamp's freshness, and names the event: the EventIDHeader, else the body's "id", else the
// SHA-256 of the body (so a re-sent body is the same event). The type is the body's "event".
func Verify(_ context.Context, p connector.Params, req connector.WebhookRequest) (connector.WebhookEvent, error) {
	secret := strings.TrimSpace(p.Credentials[SecretField])
	if secret == "" {
		return connector.WebhookEvent{}, fmt.Errorf("zapier: no signing secret stored: %w", connector.ErrBadSignature)
	}
	ts, sigs, err := parseHeader(req.Header.Get(SignatureHeader))
	if err != nil {
		return connector.WebhookEvent{}, fmt.Errorf("zapier: %v: %w", err, connector.ErrBadSignature)
	}
	want := mac(secret, ts, req.Body)
	ok := false
	for _, s := range sigs {
		ok = ok || hmac.Equal([]byte(s), []byte(want))
	}
	if !ok {
		return connector.WebhookEvent{}, fmt.Errorf("zapier: no signature matches: %w", connector.ErrBadSignature)
	}
	now := req.Now
	if now.IsZero() {
		now = p.Clock()
	}
	if d := now.Sub(time.Unix(ts, 0)); d > Tolerance || d < -Tolerance {
		return connector.WebhookEvent{}, fmt.Errorf("zapier: signed %s from now: %w", d.Round(time.Second), connector.ErrStaleWebhook)
	}
	var ev struct {
		ID    string `json:"id"`
		Event string `json:"event"`
	}
	if err := json.Unmarshal(req.Body, &ev); err != nil {
		return connector.WebhookEvent{}, fmt.Errorf("zapier: signed body is not a JSON object: %w", connector.ErrBadSignature)
	}
	id := strings.TrimSpace(req.Header.Get(EventIDHeader))
	if id == "" {
		id = strings.TrimSpace(ev.ID)
	}
	if id == "" {
		sum := sha256.Sum256(req.Body)
		id = "sha256:" + hex.EncodeToString(sum[:])
	}
	if len(id) > 200 {
		return connector.WebhookEvent{}, fmt.Errorf("zapier: event id longer than 200 characters: %w", connector.ErrBadSignature)
	}
	return connector.WebhookEvent{ID: id, Type: strings.TrimSpace(ev.Event)}, nil
}

// parseHeader reads "t=..,v1=..[,v1=..]".
func parseHeader(h string) (ts int64, sigs []string, err error) {
	if h == "" {
		return 0, nil, fmt.Errorf("no %s header", SignatureHeader)
	}
	for _, part := range strings.Split(h, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			if ts, err = strconv.ParseInt(v, 10, 64); err != nil {
				return 0, nil, fmt.Errorf("timestamp %q is not unix seconds", v)
			}
		case "v1":
			sigs = append(sigs, strings.ToLower(v))
		}
	}
	if ts == 0 || len(sigs) == 0 {
		return 0, nil, fmt.Errorf("%s needs t= and v1=", SignatureHeader)
	}
	return ts, sigs, nil
}
