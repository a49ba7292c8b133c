package outlook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/wedsync/wedsync/jobs/connector"
	"golang.org/x/oauth2"
)

// maxBody bounds one Graph response.
const maxBody = 32 << 20

// graphError is Graph's error body: {"error": {"code": "...", "message": "..."}}.
type graphError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// apiError is a non-2xx answer, kept whole so callers can look at the status, the error code and
// the Location header (410 restarts) before it is classified.
type apiError struct {
	status  int
	code    string
	message string
	header  http.Header
}

func (e *apiError) Error() string {
	return fmt.Sprintf("outlook: HTTP %d %s: %s", e.status, e.code, e.message)
}

// do sends one request to an absolute Graph URL (which must be on the API's origin: the bearer
// token goes with it) and decodes a 2xx JSON answer into out.
func (c *Client) do(ctx context.Context, method, rawURL string, body any, out any) error {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != c.base.Scheme || u.Host != c.base.Host {
		return fmt.Errorf("outlook: refusing a link outside %s: %q", c.base.Host, rawURL)
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("outlook: encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return fmt.Errorf("outlook: new request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Add("Prefer", `outlook.timezone="UTC"`)
	req.Header.Add("Prefer", fmt.Sprintf("odata.maxpagesize=%d", PageSize))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("outlook: read answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		var ge graphError
		_ = json.Unmarshal(data, &ge)
		msg := ge.Error.Message
		if msg == "" {
			msg = strings.TrimSpace(string(data[:min(len(data), 200)]))
		}
		return &apiError{status: resp.StatusCode, code: ge.Error.Code, message: msg, header: resp.Header}
	}
	if out == nil || len(data) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return &apiError{status: resp.StatusCode, code: "unreadable", message: err.Error(), header: resp.Header}
	}
	return nil
}

// classify turns a failed call into a classified connector error.
func (c *Client) classify(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var ce *connector.Error
	if errors.As(err, &ce) { // already classified (the OAuth transport's refusals)
		return err
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return &connector.Error{Class: connector.ClassCredentials, Err: fmt.Errorf("outlook: token refresh refused: %w", err)}
	}
	var ae *apiError
	if errors.As(err, &ae) {
		if ae.status/100 == 2 { // a 2xx whose body we could not read
			return &connector.Error{Class: connector.ClassBadData, Status: ae.status, Err: err}
		}
		ce = connector.FromStatus(ae.status, connector.ParseRetryAfter(ae.header.Get("Retry-After"), c.now()), err)
		if ae.status == http.StatusBadRequest || ae.status == http.StatusNotFound {
			ce.Class = connector.ClassBug
		}
		return ce
	}
	var ue *url.Error
	var ne net.Error
	if errors.As(err, &ue) || errors.As(err, &ne) {
		return &connector.Error{Class: connector.ClassProviderDown, Err: fmt.Errorf("outlook: %w", err)}
	}
	return &connector.Error{Class: connector.ClassBug, Err: err}
}

// endpoint is an absolute URL on the API origin.
func (c *Client) endpoint(path string, q url.Values) string {
	u := *c.base
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	if q != nil {
		u.RawQuery = q.Encode()
	}
	return u.String()
}
