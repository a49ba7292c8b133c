// Package square is the Square payments connector: it lists payments (cursor paging, filtered by
// created_at) and refunds, maps them to store.PaymentRow records, and verifies and parses Square
// webhook notifications. squaretest holds an HTTP fake of the same API.
package square

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wedsync/wedsync/jobs/connector"
)

// Defaults for Config.
const (
	// DefaultBaseURL is Square production; the sandbox is https://connect.squareupsandbox.com.
	DefaultBaseURL = "https://connect.squareup.com"
	// DefaultVersion is the Square-Version header sent with every request.
	DefaultVersion = "2025-01-23"
	// DefaultLookback is how far back a first sync reaches when Config.Since is zero (Square
	// itself defaults to one year when begin_time is absent).
	DefaultLookback = 2 * 365 * 24 * time.Hour
	// DefaultOverlap is how far before the newest payment seen an incremental sync starts again.
	DefaultOverlap = 15 * time.Minute
	// PendingLookback bounds how long an unsettled (APPROVED or PENDING) payment keeps the next
	// sync's begin_time from advancing past it, so its completion is picked up without a webhook.
	PendingLookback = 7 * 24 * time.Hour
	// MaxPageSize is Square's limit for list endpoints.
	MaxPageSize = 100
)

const maxBody = 32 << 20

// Config configures a Client. Only AccessToken is required.
type Config struct {
	// BaseURL of the Square API (DefaultBaseURL when empty; a squaretest server in tests).
	BaseURL string
	// HTTPClient makes the requests (http.DefaultClient when nil); set its Timeout.
	HTTPClient *http.Client
	// AccessToken is the seller's access token (personal or OAuth), sent as a bearer token.
	AccessToken string
	// Version is the Square-Version header (DefaultVersion when empty).
	Version string
	// Since is where a first sync (nil cursor) starts; zero means Now minus DefaultLookback.
	Since time.Time
	// Overlap is how much an incremental sync re-reads (DefaultOverlap when zero).
	Overlap time.Duration
	// PageSize is the list limit, 1 to MaxPageSize (MaxPageSize when zero).
	PageSize int
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// OnBadRecord, when set, is told about each record that could not be mapped and was skipped
	// (a *connector.Error of class bad_data). The connector contract has no place for these in a
	// Page, so this is how the framework can report them.
	OnBadRecord func(err error)
}

// Client is a Square connector for one seller; it implements connector.Connector.
type Client struct {
	cfg  Config
	base string
	http *http.Client
	now  func() time.Time
}

var _ connector.Connector = (*Client)(nil)

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if strings.TrimSpace(cfg.AccessToken) == "" {
		return nil, errors.New("square: an access token is required")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if _, err := url.Parse(cfg.BaseURL); err != nil {
		return nil, fmt.Errorf("square: base URL: %w", err)
	}
	if cfg.Version == "" {
		cfg.Version = DefaultVersion
	}
	if cfg.Overlap <= 0 {
		cfg.Overlap = DefaultOverlap
	}
	if cfg.PageSize <= 0 || cfg.PageSize > MaxPageSize {
		cfg.PageSize = MaxPageSize
	}
	c := &Client{cfg: cfg, base: strings.TrimRight(cfg.BaseURL, "/"), http: cfg.HTTPClient, now: cfg.Now}
	if c.http == nil {
		c.http = http.DefaultClient
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// Test lists one payment: it proves the token works and has PAYMENTS_READ.
func (c *Client) Test(ctx context.Context) error {
	var out listPaymentsResponse
	return c.get(ctx, "/v2/payments", url.Values{"limit": {"1"}}, &out)
}

type squareError struct {
	Category string `json:"category"`
	Code     string `json:"code"`
	Detail   string `json:"detail"`
	Field    string `json:"field"`
}

type listPaymentsResponse struct {
	Payments []payment     `json:"payments"`
	Cursor   string        `json:"cursor"`
	Errors   []squareError `json:"errors"`
}

type listRefundsResponse struct {
	Refunds []refund      `json:"refunds"`
	Cursor  string        `json:"cursor"`
	Errors  []squareError `json:"errors"`
}

type getPaymentResponse struct {
	Payment *payment      `json:"payment"`
	Errors  []squareError `json:"errors"`
}

// get calls GET base+path?q and decodes a 200 answer into out; any other answer becomes a
// classified *connector.Error.
func (c *Client) get(ctx context.Context, path string, q url.Values, out any) error {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return &connector.Error{Class: connector.ClassBug, Err: fmt.Errorf("square: %w", err)}
	}
	req.Header.Set("Authorization", "Bearer "+c.cfg.AccessToken)
	req.Header.Set("Square-Version", c.cfg.Version)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &connector.Error{Class: connector.ClassProviderDown, Err: fmt.Errorf("square GET %s: %w", path, err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return &connector.Error{Class: connector.ClassProviderDown, Status: resp.StatusCode,
			Err: fmt.Errorf("square GET %s: reading the answer: %w", path, err)}
	}
	if resp.StatusCode != http.StatusOK {
		return c.statusError(resp, path, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return &connector.Error{Class: connector.ClassProviderDown, Status: resp.StatusCode,
			Err: fmt.Errorf("square GET %s: undecodable answer: %w", path, err)}
	}
	return nil
}

// statusError classifies a non-200 answer: 401 credentials, 403 permission, 429 (RATE_LIMITED)
// rate_limited with Retry-After, 5xx provider_down, else bug.
func (c *Client) statusError(resp *http.Response, path string, body []byte) error {
	var e struct {
		Errors []squareError `json:"errors"`
	}
	_ = json.Unmarshal(body, &e)
	var parts []string
	rateLimited := false
	for _, se := range e.Errors {
		parts = append(parts, strings.TrimSpace(se.Code+" "+se.Detail))
		rateLimited = rateLimited || se.Code == "RATE_LIMITED"
	}
	msg := strings.Join(parts, "; ")
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	retry := connector.ParseRetryAfter(resp.Header.Get("Retry-After"), c.now())
	ce := connector.FromStatus(resp.StatusCode, retry, fmt.Errorf("square GET %s: %s", path, msg))
	if rateLimited {
		ce.Class = connector.ClassRateLimited
	}
	return ce
}

// Cursor is the sync position. A run lists payments created at or after BeginTime (oldest first,
// following Square's cursor), then, on incremental runs, refunds created at or after
// RefundsBeginTime, re-reading each refunded payment. When a run finishes, the next starts at the
// newest created_at seen less the overlap (or at the oldest still-unsettled payment, if younger
// than PendingLookback), and reads refunds made since this run began less the overlap.
type Cursor struct {
	// Phase is "" between runs, "payments" or "refunds" during one.
	Phase string `json:"phase,omitempty"`
	// Cursor is Square's cursor within the phase's listing ("" for its first page).
	Cursor string `json:"cursor,omitempty"`
	// BeginTime bounds the payments listing (created_at, inclusive).
	BeginTime time.Time `json:"begin_time"`
	// RefundsBeginTime bounds the refunds listing; zero (a first sync) skips that phase.
	RefundsBeginTime time.Time `json:"refunds_begin_time,omitzero"`
	// Started is when this run began; Newest and Pending are what it has seen so far.
	Started time.Time `json:"started,omitzero"`
	Newest  time.Time `json:"newest,omitzero"`
	Pending time.Time `json:"pending,omitzero"`
}

// Fetch returns the page after cursor (nil: a first sync from Config.Since). Each call makes one
// list request; in the refunds phase also one GET per refunded payment.
func (c *Client) Fetch(ctx context.Context, raw json.RawMessage) (connector.Page, error) {
	var cur Cursor
	if len(raw) == 0 || string(raw) == "null" {
		cur.BeginTime = c.cfg.Since
		if cur.BeginTime.IsZero() {
			cur.BeginTime = c.now().Add(-DefaultLookback)
		}
	} else if err := json.Unmarshal(raw, &cur); err != nil {
		return connector.Page{}, &connector.Error{Class: connector.ClassBug, Err: fmt.Errorf("square: bad cursor %s: %w", raw, err)}
	}
	if cur.Phase == "" {
		cur.Phase, cur.Cursor, cur.Started, cur.Newest, cur.Pending = "payments", "", c.now().UTC(), time.Time{}, time.Time{}
	}
	var recs []connector.Record
	var next string
	var err error
	switch cur.Phase {
	case "payments":
		recs, next, err = c.fetchPayments(ctx, &cur)
	case "refunds":
		recs, next, err = c.fetchRefunds(ctx, &cur)
	default:
		err = &connector.Error{Class: connector.ClassBug, Err: fmt.Errorf("square: bad cursor phase %q", cur.Phase)}
	}
	if err != nil {
		return connector.Page{}, err
	}
	page := connector.Page{Records: recs}
	switch {
	case next != "":
		cur.Cursor = next
	case cur.Phase == "payments" && !cur.RefundsBeginTime.IsZero():
		cur.Phase, cur.Cursor = "refunds", ""
	default:
		cur = c.finish(cur)
		page.Done = true
	}
	page.Cursor, err = json.Marshal(cur)
	return page, err
}

// finish computes the starting point of the next run.
func (c *Client) finish(cur Cursor) Cursor {
	begin := cur.BeginTime
	if n := cur.Newest.Add(-c.cfg.Overlap); !cur.Newest.IsZero() && n.After(begin) {
		begin = n
	}
	if !cur.Pending.IsZero() && cur.Pending.Before(begin) && cur.Pending.After(cur.Started.Add(-PendingLookback)) {
		begin = cur.Pending
	}
	return Cursor{BeginTime: begin, RefundsBeginTime: cur.Started.Add(-c.cfg.Overlap)}
}

func (c *Client) fetchPayments(ctx context.Context, cur *Cursor) ([]connector.Record, string, error) {
	q := url.Values{"begin_time": {cur.BeginTime.UTC().Format(time.RFC3339Nano)}, "sort_order": {"ASC"},
		"limit": {strconv.Itoa(c.cfg.PageSize)}}
	if cur.Cursor != "" {
		q.Set("cursor", cur.Cursor)
	}
	var out listPaymentsResponse
	if err := c.get(ctx, "/v2/payments", q, &out); err != nil {
		return nil, "", err
	}
	for _, p := range out.Payments {
		at, err := p.createdAt()
		if err != nil {
			continue // mapPayment reports it
		}
		at = at.UTC()
		if at.After(cur.Newest) {
			cur.Newest = at
		}
		if p.unsettled() && (cur.Pending.IsZero() || at.Before(cur.Pending)) {
			cur.Pending = at
		}
	}
	return c.mapAll(out.Payments), out.Cursor, nil
}

// fetchRefunds lists one page of refunds and re-reads the payments they belong to, whose
// refunded_money then reflects every refund so far.
func (c *Client) fetchRefunds(ctx context.Context, cur *Cursor) ([]connector.Record, string, error) {
	q := url.Values{"begin_time": {cur.RefundsBeginTime.UTC().Format(time.RFC3339Nano)}, "sort_order": {"ASC"},
		"limit": {strconv.Itoa(c.cfg.PageSize)}}
	if cur.Cursor != "" {
		q.Set("cursor", cur.Cursor)
	}
	var out listRefundsResponse
	if err := c.get(ctx, "/v2/refunds", q, &out); err != nil {
		return nil, "", err
	}
	seen := map[string]bool{}
	var payments []payment
	for _, r := range out.Refunds {
		if r.PaymentID == "" || seen[r.PaymentID] {
			continue
		}
		seen[r.PaymentID] = true
		var got getPaymentResponse
		err := c.get(ctx, "/v2/payments/"+url.PathEscape(r.PaymentID), nil, &got)
		var ce *connector.Error
		if errors.As(err, &ce) && ce.Status == http.StatusNotFound {
			c.bad(&connector.Error{Class: connector.ClassBadData, Status: ce.Status,
				Err: fmt.Errorf("square refund %q: payment %q not found", r.ID, r.PaymentID)})
			continue
		}
		if err != nil {
			return nil, "", err
		}
		if got.Payment != nil {
			payments = append(payments, *got.Payment)
		}
	}
	return c.mapAll(payments), out.Cursor, nil
}

// mapAll maps payments, one record per id (the last wins), skipping and reporting bad ones.
func (c *Client) mapAll(ps []payment) []connector.Record {
	recs := make([]connector.Record, 0, len(ps))
	index := map[string]int{}
	for _, p := range ps {
		r, err := mapPayment(p)
		if err != nil {
			c.bad(err)
			continue
		}
		if i, ok := index[r.ExternalID]; ok {
			recs[i] = r
			continue
		}
		index[r.ExternalID] = len(recs)
		recs = append(recs, r)
	}
	return recs
}

func (c *Client) bad(err error) {
	if c.cfg.OnBadRecord != nil {
		c.cfg.OnBadRecord(err)
	}
}
