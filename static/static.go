// Package static embeds the browser assets: vendored htmx and its SSE extension (versions in the
// file names), the stylesheet, the small app script and icons.
package static

import "embed"

// FS holds the assets served under /static/.
//
//go:embed *.js *.css *.svg
var FS embed.FS
