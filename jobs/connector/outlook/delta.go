package outlook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wedsync/wedsync/jobs/connector"
)

// cursor resumes a pass over the integration's calendars, one delta query each, and remembers
// the change-notification subscription.
type cursor struct {
	Calendars    []calendarState `json:"calendars"`
	Subscription *subscription   `json:"subscription,omitempty"`
}

// calendarState is one calendar's delta query: Link is the nextLink while a pass pages through
// it, then the deltaLink the next pass starts from; Synced marks it done in the current pass.
type calendarState struct {
	ID     string `json:"id,omitempty"` // empty: the primary calendar
	Link   string `json:"link,omitempty"`
	Synced bool   `json:"synced,omitempty"`
}

// deltaPage is one page of a calendarView delta answer.
type deltaPage struct {
	Value     []graphEvent `json:"value"`
	NextLink  string       `json:"@odata.nextLink"`
	DeltaLink string       `json:"@odata.deltaLink"`
}

// Test reads the primary calendar: it proves the token works and may read calendars.
func (c *Client) Test(ctx context.Context) error {
	if err := c.do(ctx, http.MethodGet, c.endpoint("/v1.0/me/calendar", url.Values{"$select": {"id,name"}}), nil, nil); err != nil {
		return c.classify(ctx, err)
	}
	return nil
}

// Fetch returns the next page of the current pass. A pass reads each configured calendar's
// delta query to its deltaLink; when every calendar is done the page is Done, the deltaLinks are
// the next pass's starting points, and the change subscription is created or renewed.
func (c *Client) Fetch(ctx context.Context, raw json.RawMessage) (connector.Page, error) {
	var cur cursor
	if len(raw) > 0 && string(raw) != "null" && string(raw) != "{}" {
		if err := json.Unmarshal(raw, &cur); err != nil {
			return connector.Page{}, &connector.Error{Class: connector.ClassBug, Err: fmt.Errorf("outlook: bad cursor: %w", err)}
		}
	}
	cur.Calendars = c.reconcile(cur.Calendars)
	i := 0
	for i < len(cur.Calendars) && cur.Calendars[i].Synced {
		i++
	}
	if i == len(cur.Calendars) { // a finished pass that was never marked done: start the next
		for k := range cur.Calendars {
			cur.Calendars[k].Synced = false
		}
		i = 0
	}
	cal := &cur.Calendars[i]
	page, err := c.delta(ctx, cal)
	if err != nil {
		return connector.Page{}, err
	}
	out := connector.Page{Records: c.mapPage(cal.ID, page.Value)}
	switch {
	case page.NextLink != "":
		cal.Link = page.NextLink
	case page.DeltaLink != "":
		cal.Link, cal.Synced = page.DeltaLink, true
	default:
		return connector.Page{}, &connector.Error{Class: connector.ClassBadData,
			Err: errors.New("outlook: a delta page with neither @odata.nextLink nor @odata.deltaLink")}
	}
	if cal.Synced && i == len(cur.Calendars)-1 {
		for k := range cur.Calendars {
			cur.Calendars[k].Synced = false
		}
		cur.Subscription = c.subscribe(ctx, cur.Subscription)
		out.Done = true
	}
	out.Cursor, err = json.Marshal(cur)
	return out, err
}

// reconcile lines the cursor's calendars up with the configured ones, keeping the state of
// calendars still configured.
func (c *Client) reconcile(have []calendarState) []calendarState {
	ids := c.rules.Calendars
	if len(ids) == 0 {
		ids = []string{""}
	}
	byID := make(map[string]calendarState, len(have))
	for _, s := range have {
		byID[s.ID] = s
	}
	out := make([]calendarState, len(ids))
	for k, id := range ids {
		out[k] = byID[id]
		out[k].ID = id
	}
	return out
}

// startURL is a calendar's full-sync delta query over the sync window.
func (c *Client) startURL(calendarID string) string {
	day := c.now().UTC().Truncate(24 * time.Hour)
	q := url.Values{
		"startDateTime": {day.Add(-WindowBack).Format(time.RFC3339)},
		"endDateTime":   {day.Add(WindowAhead).Format(time.RFC3339)},
	}
	path := "/v1.0/me/calendarView/delta"
	if calendarID != "" {
		path = "/v1.0/me/calendars/" + url.PathEscape(calendarID) + "/calendarView/delta"
	}
	return c.endpoint(path, q)
}

// maxRestarts bounds the restarts one Fetch follows (410 Location, lost sync state).
const maxRestarts = 3

// delta reads one page of cal's delta query. An expired delta state restarts it: from the
// Location of a 410 Gone, or else (syncStateNotFound, resyncRequired) from a full sync.
func (c *Client) delta(ctx context.Context, cal *calendarState) (deltaPage, error) {
	link := cal.Link
	if link == "" {
		link = c.startURL(cal.ID)
	}
	for restarts := 0; ; restarts++ {
		var page deltaPage
		err := c.do(ctx, http.MethodGet, link, nil, &page)
		if err == nil {
			return page, nil
		}
		var ae *apiError
		if !errors.As(err, &ae) || restarts == maxRestarts {
			return deltaPage{}, c.classify(ctx, err)
		}
		switch {
		case ae.status == http.StatusGone && ae.header.Get("Location") != "":
			link = ae.header.Get("Location")
		case ae.status == http.StatusGone || syncStateLost(ae.code):
			link = c.startURL(cal.ID)
		default:
			return deltaPage{}, c.classify(ctx, err)
		}
	}
}

// syncStateLost recognises Graph's error codes for a delta token it no longer knows.
func syncStateLost(code string) bool {
	switch strings.ToLower(code) {
	case "syncstatenotfound", "resyncrequired", "syncstateinvalid":
		return true
	}
	return false
}
