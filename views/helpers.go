package views

import (
	"encoding/json"
	"strconv"
)

func csrfHeaders(token string) string {
	if token == "" {
		return "{}"
	}
	b, _ := json.Marshal(map[string]string{"X-CSRF-Token": token})
	return string(b)
}

func homeURL(p Page) string {
	if p.Viewer != nil && !p.Viewer.Shared {
		return "/dashboard"
	}
	return "/"
}

func itoa(n int) string { return strconv.Itoa(n) }

// htmxConfig: no eval or inline styles (CSP), and every response is swapped, so a 422 form with
// its messages or an error page replaces the page just as it would without JavaScript.
const htmxConfig = `{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,` +
	`"responseHandling":[{"code":"204","swap":false},{"code":"...","swap":true}]}`
