package google

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/calmap"
	"google.golang.org/api/calendar/v3"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
)

// PageSize is the number of events asked for per request (Google may send fewer).
const PageSize = 250

// PrimaryCalendar is read when the integration names no calendars.
const PrimaryCalendar = "primary"

// Client syncs the calendars of one Google account.
type Client struct {
	svc        *calendar.Service
	rules      calmap.Rules
	calendars  []string
	creds      map[string]string
	webhookURL string
	now        func() time.Time
}

// New builds a client. p.HTTPClient must authenticate (the framework's OAuth client); p.BaseURL
// is the API origin of a fake (its calendar API lives under /calendar/v3/).
func New(p connector.Params) (*Client, error) {
	if p.HTTPClient == nil {
		return nil, &connector.Error{Class: connector.ClassBug, Err: errors.New("google: no authenticated HTTP client")}
	}
	opts := []option.ClientOption{option.WithHTTPClient(p.HTTPClient)}
	if base := strings.TrimSuffix(strings.TrimSpace(p.BaseURL), "/"); base != "" {
		opts = append(opts, option.WithEndpoint(base+"/calendar/v3/"))
	}
	svc, err := calendar.NewService(context.Background(), opts...)
	if err != nil {
		return nil, fmt.Errorf("google: calendar service: %w", err)
	}
	rules := calmap.FromConfig(p.Config)
	cals := rules.Calendars
	if len(cals) == 0 {
		cals = []string{PrimaryCalendar}
	}
	return &Client{svc: svc, rules: rules, calendars: cals, creds: p.Credentials, webhookURL: p.WebhookURL, now: p.Clock}, nil
}

// Test reads the first calendar's metadata: one cheap call that needs the granted scope.
func (c *Client) Test(ctx context.Context) error {
	if _, err := c.svc.Calendars.Get(c.calendars[0]).Context(ctx).Do(); err != nil {
		return c.classify(err)
	}
	return nil
}

// cursor is where a sync stands: the calendar being read (by index), the page inside it, and
// the sync token of every calendar (the starting point of its next incremental read). A
// calendar without a token is read in full.
type cursor struct {
	Calendar   int               `json:"calendar,omitempty"`
	PageToken  string            `json:"page_token,omitempty"`
	SyncTokens map[string]string `json:"sync_tokens,omitempty"`
}

// Fetch reads one page of the current calendar. The last page of a calendar carries its
// nextSyncToken; the sync is done after the last calendar. An expired sync token (410
// fullSyncRequired) restarts that calendar with a full read.
func (c *Client) Fetch(ctx context.Context, raw json.RawMessage) (connector.Page, error) {
	cur := cursor{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &cur); err != nil {
			return connector.Page{}, &connector.Error{Class: connector.ClassBug, Err: fmt.Errorf("google: cursor: %w", err)}
		}
	}
	if cur.SyncTokens == nil {
		cur.SyncTokens = map[string]string{}
	}
	if cur.Calendar >= len(c.calendars) { // the calendar list got shorter since
		cur.Calendar, cur.PageToken = 0, ""
	}
	cal := c.calendars[cur.Calendar]
	events, err := c.list(ctx, cal, cur.SyncTokens[cal], cur.PageToken)
	if isFullSyncRequired(err) {
		delete(cur.SyncTokens, cal)
		events, err = c.list(ctx, cal, "", "")
	}
	if err != nil {
		return connector.Page{}, c.classify(err)
	}
	page := connector.Page{Records: c.records(cal, events)}
	if events.NextPageToken != "" {
		cur.PageToken = events.NextPageToken
	} else {
		if events.NextSyncToken == "" {
			return connector.Page{}, &connector.Error{Class: connector.ClassProviderDown,
				Err: fmt.Errorf("google: last page of calendar %s without nextSyncToken", cal)}
		}
		cur.SyncTokens[cal] = events.NextSyncToken
		cur.PageToken = ""
		cur.Calendar++
		if cur.Calendar == len(c.calendars) {
			cur.Calendar = 0
			page.Done = true
		}
	}
	page.Cursor, err = json.Marshal(cur)
	return page, err
}

// list asks for one page: expanded single events, incremental when syncToken is set (then no
// time filters: Google refuses them with a sync token).
func (c *Client) list(ctx context.Context, cal, syncToken, pageToken string) (*calendar.Events, error) {
	call := c.svc.Events.List(cal).SingleEvents(true).MaxResults(PageSize).Context(ctx)
	if syncToken != "" {
		call = call.SyncToken(syncToken)
	}
	if pageToken != "" {
		call = call.PageToken(pageToken)
	}
	return call.Do()
}

// records maps a page, keeping the last copy of an event listed twice.
func (c *Client) records(cal string, events *calendar.Events) []connector.Record {
	out := make([]connector.Record, 0, len(events.Items))
	at := map[string]int{}
	for _, ev := range events.Items {
		rec := mapEvent(cal, events.TimeZone, c.rules, ev)
		if i, dup := at[rec.ExternalID]; dup {
			out[i] = rec
			continue
		}
		at[rec.ExternalID] = len(out)
		out = append(out, rec)
	}
	return out
}

func isFullSyncRequired(err error) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == http.StatusGone
}

// classify turns a failed call into a connector.Error: Google's 403 rateLimitExceeded (and
// userRateLimitExceeded) is throttling like a 429, other 403s are missing permissions.
func (c *Client) classify(err error) error {
	var ce *connector.Error
	if errors.As(err, &ce) { // the token source's verdict (a refused refresh)
		return ce
	}
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		return err
	}
	wait := connector.ParseRetryAfter(ge.Header.Get("Retry-After"), c.now())
	if ge.Code == http.StatusForbidden {
		for _, e := range ge.Errors {
			if e.Reason == "rateLimitExceeded" || e.Reason == "userRateLimitExceeded" {
				return &connector.Error{Class: connector.ClassRateLimited, Status: ge.Code, RetryAfter: wait, Err: err}
			}
		}
	}
	return connector.FromStatus(ge.Code, wait, err)
}
