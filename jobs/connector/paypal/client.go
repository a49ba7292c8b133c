// Package paypal is the PayPal connector: it reads the Transaction Search API
// (/v1/reporting/transactions) in windows of at most 31 days with a cached client-credentials
// token, maps payments and their refunds to store.PaymentRow records, verifies webhooks through
// /v1/notifications/verify-webhook-signature and parses capture events. paypaltest holds an HTTP
// fake of the same API.
package paypal

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/wedsync/wedsync/jobs/connector"
)

// Defaults and limits.
const (
	// DefaultBaseURL is PayPal live; the sandbox is https://api-m.sandbox.paypal.com.
	DefaultBaseURL = "https://api-m.paypal.com"
	// MaxWindow is the longest start_date..end_date range transaction search accepts.
	MaxWindow = 31 * 24 * time.Hour
	// LateData is how late transactions may land in search; consecutive windows overlap by it.
	LateData = 3 * time.Hour
	// MaxHistory is how far back transaction search reaches.
	MaxHistory = 3 * 365 * 24 * time.Hour
	// DefaultLookback is where a first sync starts when Config.Since is zero.
	DefaultLookback = 2 * 365 * 24 * time.Hour
	// DefaultRefundHorizon is how far before a refund its payment is looked for (PayPal allows
	// refunds up to 180 days after a payment).
	DefaultRefundHorizon = 186 * 24 * time.Hour
	// MaxPageSize is transaction search's page_size limit.
	MaxPageSize = 500
)

const maxBody = 32 << 20

// Config configures a Client. ClientID and Secret (a REST app's credentials, with Transaction
// Search enabled) are required.
type Config struct {
	// BaseURL of the PayPal API (DefaultBaseURL when empty; a paypaltest server in tests). Token,
	// search and webhook verification all use it.
	BaseURL string
	// HTTPClient makes the requests (http.DefaultClient when nil); set its Timeout.
	HTTPClient *http.Client
	// ClientID and Secret are the REST app's client credentials.
	ClientID, Secret string
	// Since is where a first sync (nil cursor) starts; zero means Now minus DefaultLookback. It is
	// clamped to MaxHistory.
	Since time.Time
	// PageSize is the search page_size, 1 to MaxPageSize (MaxPageSize when zero).
	PageSize int
	// RefundHorizon bounds the look-up of a refund's payment (DefaultRefundHorizon when zero).
	RefundHorizon time.Duration
	// Tokens shares access tokens between Clients (one per process is right: a token lasts
	// hours). Nil gives the Client a cache of its own.
	Tokens *TokenCache
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// OnBadRecord, when set, is told about each record that could not be mapped and was skipped
	// (a *connector.Error of class bad_data); the connector contract has no place for them.
	OnBadRecord func(err error)
}

// Client is a PayPal connector for one account; it implements connector.Connector.
type Client struct {
	cfg      Config
	base     string
	http     *http.Client
	now      func() time.Time
	tokens   *TokenCache
	tokenKey string
}

var _ connector.Connector = (*Client)(nil)

// New checks cfg and returns a Client. It makes no request.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.ClientID) == "" || strings.TrimSpace(cfg.Secret) == "" {
		return nil, errors.New("paypal: a client id and secret are required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if _, err := url.Parse(cfg.BaseURL); err != nil {
		return nil, fmt.Errorf("paypal: base URL: %w", err)
	}
	if cfg.PageSize <= 0 || cfg.PageSize > MaxPageSize {
		cfg.PageSize = MaxPageSize
	}
	if cfg.RefundHorizon <= 0 {
		cfg.RefundHorizon = DefaultRefundHorizon
	}
	c := &Client{cfg: cfg, base: strings.TrimRight(cfg.BaseURL, "/"), http: cfg.HTTPClient, now: cfg.Now, tokens: cfg.Tokens}
	if c.http == nil {
		c.http = http.DefaultClient
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.tokens == nil {
		c.tokens = NewTokenCache()
	}
	sum := sha256.Sum256([]byte(cfg.ClientID + "\x00" + cfg.Secret))
	c.tokenKey = c.base + "\x00" + hex.EncodeToString(sum[:])
	return c, nil
}

// Test fetches a token and searches the last day for one transaction: it proves the credentials
// and that Transaction Search is enabled for the app (403 NOT_AUTHORIZED otherwise).
func (c *Client) Test(ctx context.Context) error {
	end := c.now().UTC().Truncate(time.Second)
	_, err := c.search(ctx, end.Add(-24*time.Hour), end, 1, 1, nil)
	return err
}

// TokenCache holds client-credentials access tokens until shortly before they expire. It is safe
// for concurrent use; a fetch for one set of credentials does not wait for another's.
type TokenCache struct {
	mu      sync.Mutex
	entries map[string]*tokenEntry
}

type tokenEntry struct {
	mu      sync.Mutex
	value   string
	expires time.Time
}

// NewTokenCache returns an empty cache.
func NewTokenCache() *TokenCache { return &TokenCache{entries: map[string]*tokenEntry{}} }

func (tc *TokenCache) entry(key string) *tokenEntry {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	e := tc.entries[key]
	if e == nil {
		e = &tokenEntry{}
		tc.entries[key] = e
	}
	return e
}

// token returns a cached token, or fetches one. stale is a token PayPal just refused: it is
// dropped unless another caller has already replaced it.
func (c *Client) token(ctx context.Context, stale string) (string, error) {
	e := c.tokens.entry(c.tokenKey)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.value != "" && e.value != stale && c.now().Before(e.expires) {
		return e.value, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/v1/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", &connector.Error{Class: connector.ClassBug, Err: fmt.Errorf("paypal: %w", err)}
	}
	req.SetBasicAuth(c.cfg.ClientID, c.cfg.Secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	var out struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := c.send(req, "/v1/oauth2/token", &out); err != nil {
		return "", err
	}
	if out.AccessToken == "" {
		return "", &connector.Error{Class: connector.ClassProviderDown, Err: errors.New("paypal: token answer without access_token")}
	}
	life := time.Duration(out.ExpiresIn) * time.Second
	e.value, e.expires = out.AccessToken, c.now().Add(life-min(5*time.Minute, life/5))
	return e.value, nil
}

// call makes an authorized request (body is JSON, or nil) and decodes a 200 answer into out. A 401
// drops the token and retries once with a fresh one.
func (c *Client) call(ctx context.Context, method, path string, q url.Values, body []byte, out any) error {
	stale := ""
	for attempt := 0; ; attempt++ {
		tok, err := c.token(ctx, stale)
		if err != nil {
			return err
		}
		u := c.base + path
		if len(q) > 0 {
			u += "?" + q.Encode()
		}
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, u, rd)
		if err != nil {
			return &connector.Error{Class: connector.ClassBug, Err: fmt.Errorf("paypal: %w", err)}
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		err = c.send(req, path, out)
		var ce *connector.Error
		if attempt == 0 && errors.As(err, &ce) && ce.Status == http.StatusUnauthorized {
			stale = tok
			continue
		}
		return err
	}
}

// send does req and decodes a 200 answer into out; anything else becomes a classified error.
func (c *Client) send(req *http.Request, path string, out any) error {
	resp, err := c.http.Do(req)
	if err != nil {
		if req.Context().Err() != nil {
			return req.Context().Err()
		}
		return &connector.Error{Class: connector.ClassProviderDown, Err: fmt.Errorf("paypal %s %s: %w", req.Method, path, err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return &connector.Error{Class: connector.ClassProviderDown, Status: resp.StatusCode,
			Err: fmt.Errorf("paypal %s %s: reading the answer: %w", req.Method, path, err)}
	}
	if resp.StatusCode != http.StatusOK {
		return c.statusError(resp, req.Method+" "+path, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return &connector.Error{Class: connector.ClassProviderDown, Status: resp.StatusCode,
			Err: fmt.Errorf("paypal %s %s: undecodable answer: %w", req.Method, path, err)}
	}
	return nil
}

// statusError classifies an error answer, REST ({name, message, details}) or OAuth ({error,
// error_description}): 401 credentials, 403 permission, 429 / RATE_LIMIT_REACHED rate_limited with
// Retry-After, 5xx provider_down, anything else bug.
func (c *Client) statusError(resp *http.Response, what string, body []byte) error {
	var e struct {
		Name        string `json:"name"`
		Message     string `json:"message"`
		DebugID     string `json:"debug_id"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
		Details     []struct {
			Field string `json:"field"`
			Issue string `json:"issue"`
		} `json:"details"`
	}
	_ = json.Unmarshal(body, &e)
	msg := strings.TrimSpace(strings.Join([]string{e.Name, e.Message, e.Error, e.Description}, " "))
	for _, d := range e.Details {
		msg += fmt.Sprintf(" [%s: %s]", d.Field, d.Issue)
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	if e.DebugID != "" {
		msg += " (debug_id " + e.DebugID + ")"
	}
	retry := connector.ParseRetryAfter(resp.Header.Get("Retry-After"), c.now())
	ce := connector.FromStatus(resp.StatusCode, retry, fmt.Errorf("paypal %s: %s", what, msg))
	if e.Name == "RATE_LIMIT_REACHED" {
		ce.Class = connector.ClassRateLimited
	}
	return ce
}

func (c *Client) bad(err error) {
	if c.cfg.OnBadRecord != nil {
		c.cfg.OnBadRecord(err)
	}
}
