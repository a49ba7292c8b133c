package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers/webtest"
	"github.com/wedsync/wedsync/store"
)

// recordTables are the tables the records pages write, plus the audit log.
var recordTables = []string{"clients", "inquiries", "bookings", "invoices", "payments", "reviews", "audit_log"}

// recordTableState is a fingerprint of every record table: its row count and a checksum of its rows,
// read as the superuser so row level security hides nothing. Derived totals are left out
// (bookings.paid_net: a recompute folds pending payment totals into it whenever it runs; the
// payments it sums are fingerprinted themselves).
func recordTableState(t testing.TB, app *webtest.App) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, table := range recordTables {
		var n int
		var sum string
		err := app.Env.Admin.QueryRow(context.Background(), fmt.Sprintf(
			"select count(*), coalesce(md5(string_agg((to_jsonb(t) - 'paid_net')::text, '|' order by t.id)), '') from %s t", table)).Scan(&n, &sum)
		require.NoError(t, err)
		out[table] = strconv.Itoa(n) + ":" + sum
	}
	return out
}

// recordFixture is one record of each kind in one organization.
type recordFixture struct {
	client, inquiry, booking, invoice, payment, review int64
}

// makeRecordFixture adds one record of each kind through the store.
func makeRecordFixture(t testing.TB, app *webtest.App, orgID, userID int64, name string) recordFixture {
	t.Helper()
	ctx := context.Background()
	var f recordFixture
	var err error
	f.client, err = app.DB.CreateClient(ctx, orgID, userID, store.ClientInput{Name: name, Email: "couple@example.test"})
	require.NoError(t, err)
	cid := strconv.FormatInt(f.client, 10)
	f.inquiry, err = app.DB.CreateInquiry(ctx, orgID, userID, store.InquiryInput{ClientID: cid, Source: "website",
		ReceivedAt: "2026-01-10T09:00", WeddingDate: "2027-06-12", Status: "new", EstimatedValue: "4000"})
	require.NoError(t, err)
	f.booking, err = app.DB.CreateBooking(ctx, orgID, userID, store.BookingInput{ClientID: cid, Title: name + " wedding",
		WeddingDate: "2027-07-10", BookedAt: "2026-01-15T10:00", ContractAmount: "5000"})
	require.NoError(t, err)
	bid := strconv.FormatInt(f.booking, 10)
	f.invoice, err = app.DB.CreateInvoice(ctx, orgID, userID, store.InvoiceInput{BookingID: bid, Number: "F-1",
		DueDate: "2027-06-10", Amount: "3500"})
	require.NoError(t, err)
	f.payment, err = app.DB.CreatePayment(ctx, orgID, userID, store.PaymentInput{BookingID: bid, Amount: "1500",
		PaidAt: "2026-01-16T12:00", Note: "Deposit"})
	require.NoError(t, err)
	f.review, err = app.DB.CreateReview(ctx, orgID, userID, store.ReviewInput{BookingID: bid, Rating: "5", Body: "Lovely",
		ReceivedAt: "2027-07-20T08:00"})
	require.NoError(t, err)
	return f
}

// id returns the recordFixture's record of entity (the URL segment).
func (f recordFixture) id(entity string) int64 {
	return map[string]int64{"clients": f.client, "inquiries": f.inquiry, "bookings": f.booking,
		"invoices": f.invoice, "payments": f.payment, "reviews": f.review}[entity]
}

// recordEntities are the URL segments of the six record kinds.
var recordEntities = []string{"clients", "inquiries", "bookings", "invoices", "payments", "reviews"}

// browserFormValues reads a rendered form the way a browser submits it: inputs, the selected option of
// each select (else its first), and textareas.
func browserFormValues(form *goquery.Selection) url.Values {
	v := url.Values{}
	form.Find("input[name]").Each(func(_ int, in *goquery.Selection) {
		switch in.AttrOr("type", "text") {
		case "submit", "button":
			return
		case "checkbox", "radio":
			if _, ok := in.Attr("checked"); !ok {
				return
			}
		}
		v.Add(in.AttrOr("name", ""), in.AttrOr("value", ""))
	})
	form.Find("select[name]").Each(func(_ int, sel *goquery.Selection) {
		opt := sel.Find("option[selected]").First()
		if opt.Length() == 0 {
			opt = sel.Find("option").First()
		}
		v.Add(sel.AttrOr("name", ""), opt.AttrOr("value", ""))
	})
	form.Find("textarea[name]").Each(func(_ int, ta *goquery.Selection) {
		v.Add(ta.AttrOr("name", ""), ta.Text())
	})
	return v
}

// submitRecordForm posts a page's form (found by sel) with changes applied, as a browser would.
func submitRecordForm(t testing.TB, c *webtest.Client, p *webtest.Page, sel string, changes map[string]string) *webtest.Page {
	t.Helper()
	form := p.Doc.Find(sel).First()
	require.Equal(t, 1, form.Length(), "form %s on the page", sel)
	v := browserFormValues(form)
	for k, val := range changes {
		v.Set(k, val)
	}
	action, ok := form.Attr("action")
	require.True(t, ok, "form %s has an action", sel)
	return c.Post(action, v)
}

// listRowIDs are the data-id values of a list's rows, in order.
func listRowIDs(p *webtest.Page) []string {
	var ids []string
	p.Doc.Find("table.table tbody tr[data-id]").Each(func(_ int, tr *goquery.Selection) {
		ids = append(ids, tr.AttrOr("data-id", ""))
	})
	return ids
}

// listRowText is the text of the list row of record id ("" when it is not listed).
func listRowText(p *webtest.Page, id int64) string {
	return strings.Join(strings.Fields(p.Doc.Find(`table.table tbody tr[data-id="`+strconv.FormatInt(id, 10)+`"]`).Text()), " ")
}

// tableColumn is the text of the n-th cell (0-based) of every row.
func tableColumn(p *webtest.Page, n int) []string {
	var out []string
	p.Doc.Find("table.table tbody tr").Each(func(_ int, tr *goquery.Selection) {
		out = append(out, strings.TrimSpace(tr.Find("td").Eq(n).Text()))
	})
	return out
}

// requireSeeOther checks a 303 to path.
func requireSeeOther(t testing.TB, p *webtest.Page, path string) {
	t.Helper()
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Equal(t, path, p.Location())
}
