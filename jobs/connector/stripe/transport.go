package stripe

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
)

// unreachableAs502 answers a request that never reached Stripe (refused, reset, timed out) with
// the 502 a proxy would give, carrying the transport's error in Stripe's error shape, so it
// comes back from stripe-go as a *stripe.Error and is classified as the provider being down.
// stripe-go v82.5.1's RawRequest (the one-decode list call) dereferences the nil response of a
// failed round trip and panics; this keeps it from ever seeing one. (A cancelled request gets
// the 502 too; classify reports the context's error first.)
type unreachableAs502 struct {
	base http.RoundTripper // nil: http.DefaultTransport
}

func (t unreachableAs502) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	res, err := base.RoundTrip(req)
	if err == nil {
		return res, err
	}
	body, _ := json.Marshal(map[string]any{"error": map[string]string{
		"type": "api_error", "message": "Stripe could not be reached: " + err.Error()}})
	return &http.Response{
		Status: "502 Bad Gateway", StatusCode: http.StatusBadGateway, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)), Request: req,
	}, nil
}
