package ical

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"strings"

	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/calmap"
)

// Name is the provider key (integrations.provider).
const Name = "ical"

// FeedURLKey is the secret form field holding the feed's address.
const FeedURLKey = "feed_url"

// Provider describes iCalendar feeds for the registry: one secret field, the feed URL (it grants
// read access to the calendar, so it is sealed like a password), plus the mapping fields every
// calendar provider has. Feeds send no webhooks: the scheduled sync reads them.
func Provider() connector.Provider {
	fields := []connector.Field{{Name: FeedURLKey, Label: "Feed URL", Secret: true,
		Hint: "The calendar's secret iCal address (https://…/basic.ics). In Google Calendar: Settings → your calendar → " +
			"Integrate calendar → Secret address in iCal format. Replace webcal:// with https://."}}
	return connector.Provider{
		Name: Name, Label: "iCalendar feed", Category: "Calendars", TypedURLs: true,
		Fields:   append(fields, calmap.Fields()...),
		Validate: validate,
		New:      func(p connector.Params) (connector.Connector, error) { return NewFromParams(p) },
	}
}

func validate(values map[string]string) map[string]string {
	msgs := calmap.Validate(values)
	if v := strings.TrimSpace(values[FeedURLKey]); v != "" {
		if msg := checkFeedURL(v); msg != "" {
			msgs[FeedURLKey] = msg
		}
	}
	return msgs
}

// checkFeedURL returns what is wrong with a feed URL, or "".
func checkFeedURL(v string) string {
	u, err := url.Parse(v)
	switch {
	case err != nil:
		return "Enter the feed's full address, starting with https://."
	case strings.EqualFold(u.Scheme, "webcal") || strings.EqualFold(u.Scheme, "webcals"):
		return "Replace webcal:// with https:// at the start of the address."
	case !strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https"):
		return "The address must start with https:// (or http://)."
	case u.Host == "":
		return "The address has no host name."
	}
	return ""
}

// NewFromParams builds a Client from an integration's stored values: Credentials["feed_url"] and
// the calmap rules in Config.
func NewFromParams(p connector.Params) (*Client, error) {
	feed := strings.TrimSpace(p.Credentials[FeedURLKey])
	if feed == "" || checkFeedURL(feed) != "" {
		return nil, errors.New("ical: the feed URL is missing or not an http(s) address")
	}
	client := p.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	return &Client{feedURL: feed, http: client, now: p.Clock, rules: calmap.FromConfig(maps.Clone(p.Config))}, nil
}
