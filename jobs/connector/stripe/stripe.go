// Package stripe is WedSync's Stripe connector: it lists charges (with their refunds and fees)
// through stripe-go and maps them to payments, linked to a booking through metadata.booking_id,
// and it verifies and maps Stripe webhook events.
package stripe

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	stripeapi "github.com/stripe/stripe-go/v82"
	"github.com/stripe/stripe-go/v82/form"
	"github.com/wedsync/wedsync/jobs/connector"
)

// Name is the provider key (integrations.provider, /webhooks/stripe/...).
const Name = "stripe"

// PageSize is the number of charges asked for per request (Stripe's maximum).
const PageSize = 100

// RefundLookback is how far before the newest charge already seen an incremental sync starts
// again, so refunds of recent charges (which do not change `created`) are picked up even when a
// charge.refunded webhook was missed.
const RefundLookback = 7 * 24 * time.Hour

// Provider describes Stripe for the registry.
func Provider() connector.Provider {
	return connector.Provider{
		Name: Name, Label: "Stripe", Category: "Payments",
		Fields: []connector.Field{
			{Name: "secret_key", Label: "Secret key", Secret: true,
				Hint: "Developers → API keys: a secret key (sk_live_…) or a restricted key (rk_live_…) with read access to Charges."},
			{Name: "webhook_secret", Label: "Webhook signing secret", Secret: true, Optional: true,
				Hint: "Developers → Webhooks → your endpoint → Signing secret (whsec_…). Without it, payments arrive only with the scheduled sync."},
		},
		Validate: validate,
		New:      func(p connector.Params) (connector.Connector, error) { return New(p) },
		Webhook:  connector.WebhookVerifierFunc(Verify),
		WebhookHelp: "In Stripe, add an endpoint with this URL for the events charge.succeeded, charge.updated, " +
			"charge.refunded and charge.failed, then paste its signing secret here.",
	}
}

func validate(v map[string]string) map[string]string {
	msgs := map[string]string{}
	if k := strings.TrimSpace(v["secret_key"]); k != "" && !strings.HasPrefix(k, "sk_") && !strings.HasPrefix(k, "rk_") {
		msgs["secret_key"] = "A Stripe secret key starts with sk_ or rk_ (the publishable pk_ key cannot read payments)."
	}
	if k := strings.TrimSpace(v["webhook_secret"]); k != "" && !strings.HasPrefix(k, "whsec_") {
		msgs["webhook_secret"] = "A webhook signing secret starts with whsec_."
	}
	return msgs
}

// Client syncs one Stripe account.
type Client struct {
	backend stripeapi.Backend
	// raw is the same backend's RawRequest, which lists: it hands back the response body for
	// one decode (see chargePage).
	raw stripeapi.RawRequestBackend
	key string
	now func() time.Time
}

// New builds a client from decrypted credentials; stripe-go's own retries are off (the sync
// framework retries, honouring Retry-After).
func New(p connector.Params) (*Client, error) {
	key := strings.TrimSpace(p.Credentials["secret_key"])
	if key == "" {
		return nil, &connector.Error{Class: connector.ClassCredentials, Err: fmt.Errorf("stripe: no secret key stored")}
	}
	httpClient := p.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	unreachable := *httpClient
	unreachable.Transport = unreachableAs502{base: httpClient.Transport}
	cfg := &stripeapi.BackendConfig{
		HTTPClient:        &unreachable,
		MaxNetworkRetries: stripeapi.Int64(0),
		LeveledLogger:     &stripeapi.LeveledLogger{Level: stripeapi.LevelNull},
	}
	if p.BaseURL != "" {
		cfg.URL = stripeapi.String(strings.TrimSuffix(p.BaseURL, "/"))
	}
	backend := stripeapi.NewBackendsWithConfig(cfg).API
	raw, ok := backend.(stripeapi.RawRequestBackend)
	if !ok {
		return nil, &connector.Error{Class: connector.ClassBug, Err: fmt.Errorf("stripe: backend %T makes no raw requests", backend)}
	}
	return &Client{backend: backend, raw: raw, key: key, now: p.Clock}, nil
}

// cursor resumes a pass over the charges, newest first. A pass lists charges created at or after
// Since; After is the last charge stored; Max the newest creation time seen.
type cursor struct {
	Since int64  `json:"since"`
	After string `json:"after,omitempty"`
	Max   int64  `json:"max"`
}

// Test lists one charge: it proves the key works and may read charges.
func (c *Client) Test(ctx context.Context) error {
	_, err := c.list(ctx, cursor{}, 1)
	return err
}

// Fetch returns the page of charges after cur. The first sync lists everything; each later one
// lists the charges created since RefundLookback before the newest one seen.
func (c *Client) Fetch(ctx context.Context, raw json.RawMessage) (connector.Page, error) {
	var cur cursor
	if len(raw) > 0 && string(raw) != "null" && string(raw) != "{}" {
		if err := json.Unmarshal(raw, &cur); err != nil {
			return connector.Page{}, &connector.Error{Class: connector.ClassBug, Err: fmt.Errorf("stripe: bad cursor: %w", err)}
		}
	}
	list, err := c.list(ctx, cur, PageSize)
	if err != nil {
		return connector.Page{}, err
	}
	page := connector.Page{Records: make([]connector.Record, 0, len(list.Data))}
	for _, ch := range list.Data {
		if ch == nil {
			continue
		}
		page.Records = append(page.Records, MapCharge(ch.charge()))
		cur.Max = max(cur.Max, ch.Created)
		cur.After = ch.ID
	}
	if !list.HasMore {
		since := max(cur.Max-int64(RefundLookback/time.Second), 0)
		cur = cursor{Since: since, Max: cur.Max}
		page.Done = true
	}
	page.Cursor, err = json.Marshal(cur)
	return page, err
}

func (c *Client) list(ctx context.Context, cur cursor, limit int64) (*chargePage, error) {
	params := &stripeapi.ChargeListParams{}
	params.Context = ctx
	params.Limit = stripeapi.Int64(limit)
	if cur.After != "" {
		params.StartingAfter = stripeapi.String(cur.After)
	}
	if cur.Since > 0 {
		params.CreatedRange = &stripeapi.RangeQueryParams{GreaterThanOrEqual: cur.Since}
	}
	params.AddExpand("data.balance_transaction")
	// The list parameters are form-encoded by hand, as stripe-go's own iterators do (Backend.Call
	// expects single-object parameters).
	body := &form.Values{}
	form.AppendTo(body, params)
	res, err := c.raw.RawRequest(http.MethodGet, "/v1/charges?"+body.Encode(), c.key, "", &stripeapi.RawParams{Params: stripeapi.Params{Context: ctx}})
	if err != nil {
		return nil, classify(ctx, err, c.now())
	}
	list := &chargePage{}
	if err := json.Unmarshal(res.RawJSON, list); err != nil {
		return nil, &connector.Error{Class: connector.ClassProviderDown, Err: fmt.Errorf("stripe: list charges: %w", err)}
	}
	return list, nil
}
