package calendly

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wedsync/wedsync/jobs/connector"
	"golang.org/x/oauth2"
)

// maxBody bounds one Calendly response.
const maxBody = 16 << 20

// apiError is a non-2xx answer: Calendly's {"title": ..., "message": ...}.
type apiError struct {
	status     int
	title, msg string
	retryAfter time.Duration
}

func (e *apiError) Error() string {
	return fmt.Sprintf("calendly: HTTP %d %s: %s", e.status, e.title, e.msg)
}

// get reads an API path (or an absolute URL on the API origin) into out.
func (c *Client) get(ctx context.Context, pathOrURL string, q url.Values, out any) error {
	u, err := c.base.Parse(pathOrURL)
	if err != nil || u.Scheme != c.base.Scheme || u.Host != c.base.Host {
		return &connector.Error{Class: connector.ClassBug, Err: fmt.Errorf("calendly: refusing a URL outside %s: %q", c.base.Host, pathOrURL)}
	}
	if q != nil {
		u.RawQuery = q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("calendly: new request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return c.classify(ctx, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return c.classify(ctx, fmt.Errorf("calendly: read answer: %w", err))
	}
	if resp.StatusCode/100 != 2 {
		var body struct{ Title, Message string }
		_ = json.Unmarshal(data, &body)
		ae := &apiError{status: resp.StatusCode, title: body.Title, msg: body.Message}
		if resp.StatusCode == http.StatusTooManyRequests {
			ae.retryAfter = resetAfter(resp.Header, c.now())
		}
		return c.classify(ctx, ae)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &connector.Error{Class: connector.ClassBadData, Status: resp.StatusCode, Err: fmt.Errorf("calendly: %s: %w", u.Path, err)}
	}
	return nil
}

// resetAfter is how long a 429 asks us to wait: X-RateLimit-Reset (seconds until the window
// resets), else Retry-After.
func resetAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("X-RateLimit-Reset")); v != "" {
		if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
			return time.Duration(secs) * time.Second
		}
	}
	return connector.ParseRetryAfter(h.Get("Retry-After"), now)
}

// classify turns a failed call into a classified connector error.
func (c *Client) classify(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ce *connector.Error
	if errors.As(err, &ce) {
		return err
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return &connector.Error{Class: connector.ClassCredentials, Err: fmt.Errorf("calendly: token refresh refused: %w", err)}
	}
	var ae *apiError
	if errors.As(err, &ae) {
		ce := connector.FromStatus(ae.status, ae.retryAfter, err)
		if ae.status == http.StatusBadRequest || ae.status == http.StatusNotFound {
			ce.Class = connector.ClassBug
		}
		return ce
	}
	var ue *url.Error
	var ne net.Error
	if errors.As(err, &ue) || errors.As(err, &ne) {
		return &connector.Error{Class: connector.ClassProviderDown, Err: fmt.Errorf("calendly: %w", err)}
	}
	return &connector.Error{Class: connector.ClassBug, Err: err}
}
