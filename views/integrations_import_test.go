package views

import (
	"bytes"
	"context"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"
)

// TestImportProgressPollsUntilTheSummary: a running import's section polls its progress URL
// every second and shows rows done; a finished one stops polling and shows the summary with the
// row errors by line.
func TestImportProgressPollsUntilTheSummary(t *testing.T) {
	t.Parallel()
	doc := func(v ImportProgressView) *goquery.Document {
		var b bytes.Buffer
		require.NoError(t, ImportProgress(v).Render(context.Background(), &b))
		d, err := goquery.NewDocumentFromReader(&b)
		require.NoError(t, err)
		return d
	}
	running := doc(ImportProgressView{URL: "/integrations/int_x/import/7", Status: "running", Total: 3000, Processed: 1200})
	sec := running.Find("[data-section=import-progress]")
	require.Equal(t, "/integrations/int_x/import/7/progress", sec.AttrOr("hx-get", ""))
	require.Equal(t, "every 1s", sec.AttrOr("hx-trigger", ""))
	require.Equal(t, "outerHTML", sec.AttrOr("hx-swap", ""))
	require.Equal(t, "1200 of 3000 rows (40%)", sec.Find("[data-progress]").Text())
	require.Equal(t, "1200", sec.Find("progress").AttrOr("value", ""))

	done := doc(ImportProgressView{URL: "/x", Status: "succeeded", Total: 3000, Processed: 3000, Created: 2990, ErrorCount: 10,
		Errors: []ImportErrorRow{{Line: 17, Message: "no client name or email"}}})
	require.Zero(t, done.Find("[hx-get]").Length(), "no more polling")
	require.Equal(t, "2990", done.Find("[data-count=created]").Text())
	require.Equal(t, "10", done.Find("[data-count=errors]").Text())
	require.Contains(t, done.Find("[data-table=row-errors] tr[data-line='17']").Text(), "no client name or email")
	require.Contains(t, done.Text(), "The first 1 of 10 errors are listed.")
}
