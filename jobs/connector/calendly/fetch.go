package calendly

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/wedsync/wedsync/jobs/connector"
)

// cursor resumes a pass over the user's scheduled events from MinStart on. PageToken is the next
// page of the pass; Synced says a first, full pass has finished (later passes look back less).
type cursor struct {
	User      string `json:"user,omitempty"`
	MinStart  string `json:"min_start,omitempty"`
	PageToken string `json:"page_token,omitempty"`
	Synced    bool   `json:"synced,omitempty"`
}

// user is GET /users/me's resource.
type user struct {
	Resource struct {
		URI  string `json:"uri"`
		Name string `json:"name"`
	} `json:"resource"`
}

// eventList is a page of GET /scheduled_events.
type eventList struct {
	Collection []scheduledEvent `json:"collection"`
	Pagination struct {
		NextPageToken *string `json:"next_page_token"`
	} `json:"pagination"`
}

// Test reads the current user: it proves the token works.
func (c *Client) Test(ctx context.Context) error {
	_, err := c.me(ctx)
	return err
}

func (c *Client) me(ctx context.Context) (string, error) {
	var u user
	if err := c.get(ctx, "/users/me", nil, &u); err != nil {
		return "", err
	}
	if u.Resource.URI == "" {
		return "", &connector.Error{Class: connector.ClassBadData, Err: fmt.Errorf("calendly: /users/me without a uri")}
	}
	return u.Resource.URI, nil
}

// Fetch returns the next page of scheduled events (active and canceled) starting after the
// pass's min_start_time, earliest first. A pass ends when next_page_token is null; empty pages
// with a token are followed like any other.
func (c *Client) Fetch(ctx context.Context, raw json.RawMessage) (connector.Page, error) {
	var cur cursor
	if len(raw) > 0 && string(raw) != "null" && string(raw) != "{}" {
		if err := json.Unmarshal(raw, &cur); err != nil {
			return connector.Page{}, &connector.Error{Class: connector.ClassBug, Err: fmt.Errorf("calendly: bad cursor: %w", err)}
		}
	}
	if cur.User == "" {
		uri, err := c.me(ctx)
		if err != nil {
			return connector.Page{}, err
		}
		cur.User = uri
	}
	if cur.MinStart == "" {
		back := FullLookback
		if cur.Synced {
			back = IncrementalLookback
		}
		cur.MinStart = c.now().UTC().Add(-back).Truncate(time.Hour).Format(time.RFC3339)
	}
	q := url.Values{"user": {cur.User}, "min_start_time": {cur.MinStart}, "count": {strconv.Itoa(PageSize)}, "sort": {"start_time:asc"}}
	if cur.PageToken != "" {
		q.Set("page_token", cur.PageToken)
	}
	var list eventList
	if err := c.get(ctx, "/scheduled_events", q, &list); err != nil {
		return connector.Page{}, err
	}
	page := connector.Page{Records: make([]connector.Record, 0, len(list.Collection))}
	at := make(map[string]int, len(list.Collection))
	for _, ev := range list.Collection {
		rec := mapScheduledEvent(ev, c.rules)
		if k, seen := at[rec.ExternalID]; seen && rec.ExternalID != "" {
			page.Records[k] = rec // a repeat within the page: one record
			continue
		}
		at[rec.ExternalID] = len(page.Records)
		page.Records = append(page.Records, rec)
	}
	if next := list.Pagination.NextPageToken; next != nil && *next != "" {
		cur.PageToken = *next
	} else {
		cur = cursor{User: cur.User, Synced: true}
		page.Done = true
	}
	var err error
	page.Cursor, err = json.Marshal(cur)
	return page, err
}
