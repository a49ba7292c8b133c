// Package tave is the Tave (VSCO Workspace) CRM connector: it pages through a studio's contacts,
// jobs, orders and payments with its API key and maps them to clients, inquiries, bookings,
// invoices and payments. Tave's wire format is unverified; all of it sits in mapping.go, and
// tavetest holds an HTTP fake speaking the same format.
package tave

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wedsync/wedsync/jobs/connector"
)

// Name is the provider key (integrations.provider) and payments.provider.
const Name = "tave"

const maxBody = 16 << 20

// Provider describes Tave for the registry.
func Provider() connector.Provider {
	return connector.Provider{
		Name: Name, Label: "Tave (VSCO Workspace)", Category: "CRM",
		Fields: []connector.Field{
			{Name: "api_key", Label: "API key", Secret: true,
				Hint: "In Tave (VSCO Workspace): Settings → Integrations → API → your studio's secret API key."},
		},
		New: func(p connector.Params) (connector.Connector, error) { return New(p) },
	}
}

// Client syncs one studio.
type Client struct {
	base string
	key  string
	http *http.Client
	now  func() time.Time
}

// New builds a client from the integration's decrypted api_key; Params.BaseURL points it at a
// fake.
func New(p connector.Params) (*Client, error) {
	key := strings.TrimSpace(p.Credentials["api_key"])
	if key == "" {
		return nil, &connector.Error{Class: connector.ClassCredentials, Err: errors.New("tave: no API key stored")}
	}
	base := strings.TrimRight(p.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	if _, err := url.Parse(base); err != nil {
		return nil, fmt.Errorf("tave: base URL: %w", err)
	}
	c := &Client{base: base, key: key, http: p.HTTPClient, now: p.Clock}
	if c.http == nil {
		c.http = &http.Client{Timeout: 30 * time.Second}
	}
	return c, nil
}

// cursor is where a pass over the resources resumes: the resource and the page after the last
// one stored. Each resource restarts at page 1, so a crash loses at most the page in flight;
// duplicates a shifted page brings again are upserts.
type cursor struct {
	Resource string `json:"resource"`
	Page     int    `json:"page"`
}

// Test reads one contact: it proves the key works.
func (c *Client) Test(ctx context.Context) error {
	_, err := c.list(ctx, resources[0], 1, 1)
	return err
}

// Fetch returns the next page of the pass at raw. There is no incremental listing (none is
// known), so every sync is a full pass: after the last page of payments the cursor starts over.
func (c *Client) Fetch(ctx context.Context, raw json.RawMessage) (connector.Page, error) {
	cur := cursor{Resource: resources[0], Page: 1}
	if len(raw) > 0 && string(raw) != "null" && string(raw) != "{}" {
		if err := json.Unmarshal(raw, &cur); err != nil || !slices.Contains(resources, cur.Resource) || cur.Page < 1 {
			cur = cursor{Resource: resources[0], Page: 1} // an unreadable cursor restarts the pass
		}
	}
	body, err := c.list(ctx, cur.Resource, cur.Page, PageSize)
	if err != nil {
		return connector.Page{}, err
	}
	recs, last, err := mapPage(cur.Resource, body, cur.Page)
	if err != nil {
		return connector.Page{}, &connector.Error{Class: connector.ClassBadData, Err: err}
	}
	page := connector.Page{Records: recs}
	next := cursor{Resource: cur.Resource, Page: cur.Page + 1}
	if last {
		i := slices.Index(resources, cur.Resource)
		if i == len(resources)-1 {
			page.Done = true
			next = cursor{Resource: resources[0], Page: 1}
		} else {
			next = cursor{Resource: resources[i+1], Page: 1}
		}
	}
	page.Cursor, err = json.Marshal(next)
	return page, err
}

// list GETs one page of a resource and returns the raw body of a 200 answer; other answers
// become classified errors (429 with its Retry-After).
func (c *Client) list(ctx context.Context, resource string, page, size int) ([]byte, error) {
	q := url.Values{pageParam: {strconv.Itoa(page)}, pageSizeParam: {strconv.Itoa(size)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+resourcePath(resource)+"?"+q.Encode(), nil)
	if err != nil {
		return nil, &connector.Error{Class: connector.ClassBug, Err: fmt.Errorf("tave: %w", err)}
	}
	req.Header.Set(KeyHeader, c.key)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &connector.Error{Class: connector.ClassProviderDown, Err: fmt.Errorf("tave: %w", err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, &connector.Error{Class: connector.ClassProviderDown, Err: fmt.Errorf("tave: read %s: %w", resource, err)}
	}
	if resp.StatusCode != http.StatusOK {
		msg := strings.TrimSpace(string(body))
		if len(msg) > 200 {
			msg = msg[:200]
		}
		ce := connector.FromStatus(resp.StatusCode, connector.ParseRetryAfter(resp.Header.Get("Retry-After"), c.now()),
			fmt.Errorf("tave: %s page %d: %s", resource, page, msg))
		return nil, ce
	}
	return body, nil
}

// decodeMap decodes a list envelope of T and maps every item.
func decodeMap[T any](body []byte, asked int, mapOne func(T) []connector.Record) ([]connector.Record, bool, error) {
	var env listEnvelope[T]
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, false, fmt.Errorf("tave: list answer: %w", err)
	}
	var out []connector.Record
	for _, item := range env.Data {
		out = append(out, mapOne(item)...)
	}
	return out, env.lastPage(asked), nil
}

var _ connector.Connector = (*Client)(nil)
