package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers/webtest"
	"github.com/wedsync/wedsync/store"
)

// TestRecordsListPaginationFilterSort pages, filters and sorts the inquiry list and checks what
// the rendered table shows; page links keep the filters.
func TestRecordsListPaginationFilterSort(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	owner := app.SignupOwner(t, "Paging Florals", "Europe/Berlin", "EUR")
	ctx := context.Background()
	zed, err := app.DB.CreateClient(ctx, owner.OrgID, owner.UserID, store.ClientInput{Name: "Zed & Quinn"})
	require.NoError(t, err)
	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	for i := range 40 {
		in := store.InquiryInput{ReceivedAt: start.AddDate(0, 0, i).Format("2006-01-02T15:04"), Status: "new",
			Source: "instagram", EstimatedValue: strconv.Itoa((i + 1) * 100)}
		if i%4 == 3 {
			in.Status, in.Source = "lost", "referral"
		}
		if i == 5 {
			in.ClientID = strconv.FormatInt(zed, 10)
		}
		_, err := app.DB.CreateInquiry(ctx, owner.OrgID, owner.UserID, in)
		require.NoError(t, err)
	}

	p := owner.Get("/records/inquiries")
	require.Equal(t, http.StatusOK, p.Status)
	require.Len(t, listRowIDs(p), 25)
	require.Contains(t, p.Text("[data-page-info]"), "Page 1 of 2 · 40 in all")
	require.Equal(t, "/records/inquiries?page=2", p.Doc.Find("[data-page-next]").AttrOr("href", ""))
	require.Equal(t, "2026-02-09 10:00", tableColumn(p, 0)[0], "newest first by default, in the org's timezone")
	require.Empty(t, p.Doc.Find("[data-page-prev]").Nodes)

	// Filter by status and sort by amount: the next page link keeps both.
	p = owner.Get("/records/inquiries?status=new&sort=amount")
	require.Equal(t, http.StatusOK, p.Status)
	require.Len(t, listRowIDs(p), 25)
	for _, s := range tableColumn(p, 4) {
		require.Equal(t, "new", s)
	}
	amounts := tableColumn(p, 5)
	require.Equal(t, []string{"€100.00", "€200.00", "€300.00", "€500.00"}, amounts[:4], "ascending, without the lost ones")
	next := p.Doc.Find("[data-page-next]").AttrOr("href", "")
	u, err := url.Parse(next)
	require.NoError(t, err)
	require.Equal(t, url.Values{"status": {"new"}, "sort": {"amount"}, "page": {"2"}}, u.Query())
	require.Equal(t, "new", p.Doc.Find(`#f-status option[selected]`).AttrOr("value", ""), "the toolbar keeps the filter")
	require.Equal(t, "amount", p.Doc.Find(`#f-sort option[selected]`).AttrOr("value", ""))

	p = owner.Get(next)
	require.Len(t, listRowIDs(p), 5)
	require.Equal(t, []string{"€3,400.00", "€3,500.00", "€3,700.00", "€3,800.00", "€3,900.00"}, tableColumn(p, 5))
	require.Contains(t, p.Text("[data-page-info]"), "Page 2 of 2 · 30 in all")
	require.Contains(t, p.Doc.Find("[data-page-prev]").AttrOr("href", ""), "status=new")

	p = owner.Get("/records/inquiries?sort=-amount&source=referral")
	require.Len(t, listRowIDs(p), 10)
	require.Equal(t, "€4,000.00", tableColumn(p, 5)[0])
	for _, s := range tableColumn(p, 2) {
		require.Equal(t, "referral", s)
	}

	p = owner.Get("/records/inquiries?from=2026-01-05&to=2026-01-09&sort=date")
	require.Equal(t, []string{"2026-01-05 10:00", "2026-01-06 10:00", "2026-01-07 10:00", "2026-01-08 10:00", "2026-01-09 10:00"},
		tableColumn(p, 0))

	p = owner.Get("/records/inquiries?q=zed")
	require.Len(t, listRowIDs(p), 1)
	require.Equal(t, "Zed & Quinn", tableColumn(p, 1)[0])
	require.Equal(t, "zed", p.Doc.Find("#f-q").AttrOr("value", ""))

	p = owner.Get("/records/inquiries?q=nobody-by-this-name")
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Text("[data-empty]"), "Nothing matches")

	p = owner.Get("/records/inquiries?page=9")
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Text("[data-empty]"), "past the end")

	p = owner.Get("/records/reviews")
	require.Contains(t, p.Text("[data-empty]"), "Nothing here yet")
	require.Equal(t, "/records/reviews/new", p.Doc.Find("[data-new]").AttrOr("href", ""))
}

// TestRecordsListRejectsBadQueries: query parameters a list cannot use re-render it with an
// inline message and 422, never a 500.
func TestRecordsListRejectsBadQueries(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	owner := app.SignupOwner(t, "Bad Queries", "America/Chicago", "USD")
	makeRecordFixture(t, app, owner.OrgID, owner.UserID, "Query Couple")
	huge := strings.Repeat("x", 100_000)
	cases := []struct{ query, field string }{
		{"from=2026-02-30", "from"},
		{"to=2026-13-01", "to"},
		{"from=yesterday", "from"},
		{"from=2026-05-01&to=2026-04-01", "to"},
		{"sort=bogus", "sort"},
		{"sort=id%3Bdrop%20table%20clients", "sort"},
		{"page=abc", ""},
		{"page=0", ""},
		{"page=99999999999999", ""},
		{"q=" + huge, "q"},
		{"q=%ff%fe", "q"},
	}
	for _, entity := range recordEntities {
		for _, tc := range cases {
			p := owner.Get("/records/" + entity + "?" + tc.query)
			require.Equalf(t, http.StatusUnprocessableEntity, p.Status, "%s?%.60s", entity, tc.query)
			require.NotEmptyf(t, p.Text(`[data-filters] [data-error-for="`+tc.field+`"]`), "%s?%.60s message", entity, tc.query)
			require.Empty(t, listRowIDs(p))
		}
	}
	for _, entity := range []string{"inquiries", "bookings", "invoices", "payments"} {
		p := owner.Get("/records/" + entity + "?status=exploded")
		require.Equal(t, http.StatusUnprocessableEntity, p.Status, entity)
		require.NotEmpty(t, p.Text(`[data-error-for="status"]`))
	}
	for _, entity := range []string{"inquiries", "payments", "reviews"} {
		p := owner.Get("/records/" + entity + "?source=%ff")
		require.Equal(t, http.StatusUnprocessableEntity, p.Status, entity)
		require.NotEmpty(t, p.Text(`[data-error-for="source"]`))
		p = owner.Get("/records/" + entity + "?source=" + huge[:51])
		require.Equal(t, http.StatusUnprocessableEntity, p.Status, entity)
	}
}

// TestRecordsInvoicesOverdueAndCurrency: the overdue filter (the dashboard links to it) lists
// open invoices due before the organization's today, and amounts are in the booking's currency.
func TestRecordsInvoicesOverdueAndCurrency(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	owner := app.SignupOwner(t, "Overdue Studio", "Pacific/Auckland", "USD")
	ctx := context.Background()
	loc, err := time.LoadLocation("Pacific/Auckland")
	require.NoError(t, err)
	today := app.DB.Now().In(loc)
	day := func(n int) string { return today.AddDate(0, 0, n).Format(time.DateOnly) }
	booking, err := app.DB.CreateBooking(ctx, owner.OrgID, owner.UserID, store.BookingInput{Title: "Euro wedding",
		WeddingDate: day(60), Currency: "EUR", ContractAmount: "6000"})
	require.NoError(t, err)
	bid := strconv.FormatInt(booking, 10)
	invoice := func(number, due, amount, status string) int64 {
		id, err := app.DB.CreateInvoice(ctx, owner.OrgID, owner.UserID, store.InvoiceInput{BookingID: bid, Number: number,
			DueDate: due, Amount: amount, Status: status})
		require.NoError(t, err)
		return id
	}
	overdue := invoice("LATE", day(-1), "2000", "open")
	invoice("SOON", day(1), "1000", "open")
	invoice("VOID", day(-7), "500", "void")
	paid := invoice("PAID", day(-3), "300", "open")
	_, err = app.DB.CreatePayment(ctx, owner.OrgID, owner.UserID, store.PaymentInput{InvoiceID: strconv.FormatInt(paid, 10), Amount: "300"})
	require.NoError(t, err)
	// A due date of today is not overdue yet.
	invoice("TODAY", day(0), "100", "open")

	p := owner.Get("/records/invoices?status=overdue")
	require.Equal(t, http.StatusOK, p.Status)
	require.Equal(t, []string{strconv.FormatInt(overdue, 10)}, listRowIDs(p))
	row := listRowText(p, overdue)
	require.Contains(t, row, "#LATE")
	require.Contains(t, row, "€2,000.00", "money in the booking's currency")
	require.Equal(t, 1, p.Doc.Find("[data-overdue]").Length())
	require.Equal(t, "overdue", p.Doc.Find(`#f-status option[selected]`).AttrOr("value", ""))

	p = owner.Get("/records/invoices")
	require.Len(t, listRowIDs(p), 5)
	require.Equal(t, 1, p.Doc.Find("[data-overdue]").Length(), "only the late open invoice is marked")
	require.Contains(t, listRowText(p, paid), "paid")

	p = owner.Get("/records/bookings")
	require.Contains(t, listRowText(p, booking), "€6,000.00")
	require.Contains(t, listRowText(p, booking), "€300.00", "paid so far")
	require.Equal(t, fmt.Sprintf("/records/invoices/new?booking_id=%d", booking), p.Doc.Find("[data-add-invoice]").AttrOr("href", ""))
	require.Equal(t, fmt.Sprintf("/records/payments/new?booking_id=%d", booking), p.Doc.Find("[data-record-payment]").AttrOr("href", ""))

	// The prefilled payment form selects the booking and shows its currency.
	p = owner.Get(fmt.Sprintf("/records/payments/new?booking_id=%d", booking))
	require.Equal(t, bid, p.Doc.Find(`#f-booking_id option[selected]`).AttrOr("value", ""))
	require.Equal(t, "EUR", p.Doc.Find(`#f-amount`).AttrOr("data-currency", ""))
	p = owner.Get(fmt.Sprintf("/records/invoices/new?booking_id=%d", booking))
	require.Equal(t, bid, p.Doc.Find(`#f-booking_id option[selected]`).AttrOr("value", ""))
	require.Equal(t, "EUR", p.Doc.Find(`#f-amount`).AttrOr("data-currency", ""))
}
