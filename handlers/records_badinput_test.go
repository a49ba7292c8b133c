package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers/webtest"
)

// badFormValue is one malformed value for one field of a form.
type badFormValue struct{ field, value string }

// TestRecordsBadInputSweep posts malformed values to every record form (create, edit and the
// inquiry's convert): non-numeric and over-precise amounts, impossible dates, huge strings,
// unknown enum values and another organization's ids. Each answer is a 422 with a message next
// to the field (404 for another organization's id in the URL), never a 500, and no row changes.
func TestRecordsBadInputSweep(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	owner := app.SignupOwner(t, "Sweep Studio", "America/New_York", "USD")
	a := makeRecordFixture(t, app, owner.OrgID, owner.UserID, "Couple A")
	other := app.SignupOwner(t, "Other Studio", "UTC", "USD")
	b := makeRecordFixture(t, app, other.OrgID, other.UserID, "Couple B")
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	huge := strings.Repeat("é", 100_000)

	money := func(field string) []badFormValue {
		return []badFormValue{{field, "12.345"}, {field, "abc"}, {field, "1e5"}, {field, "-5"}, {field, "1,00"},
			{field, "99999999999999999"}, {field, huge}}
	}
	date := func(field string) []badFormValue {
		return []badFormValue{{field, "2026-02-30"}, {field, "2026-13-01"}, {field, "next week"}, {field, "0001-01-01"}, {field, huge}}
	}
	datetime := func(field string) []badFormValue {
		return []badFormValue{{field, "2026-02-30T10:00"}, {field, "2026-13-01T10:00"}, {field, "2026-06-01T25:00"}, {field, "soon"}}
	}
	text := func(fields ...string) []badFormValue {
		var out []badFormValue
		for _, f := range fields {
			out = append(out, badFormValue{f, huge}, badFormValue{f, "bad\x00byte"}, badFormValue{f, "\xff\xfe"})
		}
		return out
	}
	ref := func(field string, otherOrgID int64) []badFormValue {
		return []badFormValue{{field, id(otherOrgID)}, {field, "abc"}, {field, "-3"}, {field, "99999999999999999999"}, {field, "9223372036854775807"}}
	}
	enum := func(field string) []badFormValue {
		return []badFormValue{{field, "exploded"}, {field, huge}, {field, "NEW"}}
	}
	join := func(lists ...[]badFormValue) []badFormValue {
		var out []badFormValue
		for _, l := range lists {
			out = append(out, l...)
		}
		return out
	}

	forms := []struct {
		entity string
		valid  url.Values
		bad    []badFormValue
	}{
		{"clients", url.Values{"name": {"Valid"}, "email": {"valid@example.test"}},
			join(text("name", "email", "phone", "notes"), []badFormValue{{"name", ""}, {"email", "not-an-email"}})},
		{"inquiries", url.Values{"client_id": {id(a.client)}, "source": {"website"}, "received_at": {"2026-02-01T10:00"},
			"wedding_date": {"2027-06-12"}, "status": {"new"}, "estimated_value": {"4500"}},
			join(money("estimated_value"), date("wedding_date"), datetime("received_at"), datetime("first_response_at"),
				text("source", "notes"), enum("status"), ref("client_id", b.client),
				[]badFormValue{{"first_response_at", "2026-01-01T10:00"}})},
		{"bookings", url.Values{"client_id": {id(a.client)}, "title": {"Valid"}, "wedding_date": {"2027-06-12"},
			"booked_at": {"2026-02-01T10:00"}, "status": {"confirmed"}, "currency": {"USD"}, "contract_amount": {"4500"}},
			join(money("contract_amount"), date("wedding_date"), datetime("booked_at"), text("title"), enum("status"),
				ref("client_id", b.client), ref("inquiry_id", b.inquiry),
				[]badFormValue{{"currency", "ZZZ"}, {"currency", "EURO"}, {"currency", huge}, {"wedding_date", "2026-01-01"}})},
		{"invoices", url.Values{"booking_id": {id(a.booking)}, "number": {"V-1"}, "due_date": {"2027-05-01"}, "amount": {"100"},
			"status": {"open"}},
			join(money("amount"), date("due_date"), text("number"), enum("status"), ref("booking_id", b.booking),
				[]badFormValue{{"booking_id", ""}})},
		{"payments", url.Values{"booking_id": {id(a.booking)}, "amount": {"100"}, "status": {"succeeded"}, "paid_at": {"2026-02-01T10:00"}},
			join(money("amount"), money("fee"), money("refunded_amount"), datetime("paid_at"), text("note"), enum("status"),
				ref("booking_id", b.booking), ref("invoice_id", b.invoice),
				[]badFormValue{{"currency", "ZZZ"}, {"currency", "EUR"}, {"refunded_amount", "200"}, {"fee", "101"}})},
		{"reviews", url.Values{"booking_id": {id(a.booking)}, "rating": {"5"}, "source": {"google"}, "received_at": {"2026-02-01T10:00"}},
			join(datetime("received_at"), text("body", "source"), ref("booking_id", b.booking), ref("client_id", b.client),
				[]badFormValue{{"rating", "0"}, {"rating", "6"}, {"rating", "4.5"}, {"rating", "abc"}, {"rating", ""}, {"rating", huge}})},
	}

	before := recordTableState(t, app)
	posts := 0
	post := func(path, field string, v url.Values) {
		t.Helper()
		posts++
		p := owner.Post(path, v)
		shown := v.Get(field)
		if len(shown) > 40 {
			shown = shown[:40] + "…"
		}
		require.Equalf(t, http.StatusUnprocessableEntity, p.Status, "POST %s %s=%q: %.300s", path, field, shown, p.Body)
		require.NotEmptyf(t, p.Text(`form [data-error-for="`+field+`"]`), "POST %s %s=%q has a message for the field", path, field, shown)
	}
	for _, f := range forms {
		targets := []string{"/records/" + f.entity, "/records/" + f.entity + "/" + id(a.id(f.entity))}
		if f.entity == "bookings" {
			targets = append(targets, "/records/inquiries/"+id(a.inquiry)+"/convert")
		}
		for _, target := range targets {
			for _, bad := range f.bad {
				if strings.HasSuffix(target, "/convert") && bad.field == "inquiry_id" {
					continue // the convert form books its own inquiry
				}
				v := url.Values{}
				for k, vs := range f.valid {
					v[k] = vs
				}
				v.Set(bad.field, bad.value)
				post(target, bad.field, v)
			}
		}
		// Another organization's record in the URL is not found, whatever is posted.
		for _, bad := range f.bad[:3] {
			v := url.Values{}
			for k, vs := range f.valid {
				v[k] = vs
			}
			v.Set(bad.field, bad.value)
			p := owner.Post("/records/"+f.entity+"/"+id(b.id(f.entity)), v)
			require.Equal(t, http.StatusNotFound, p.Status, "POST to org B's %s", f.entity)
		}
	}
	require.Equal(t, before, recordTableState(t, app), "no row changed")
	t.Logf("%d malformed posts answered 422 with a message for the field", posts)

	// The 422 page keeps what was typed.
	p := owner.Post("/records/payments", url.Values{"booking_id": {id(a.booking)}, "amount": {"12.345"}, "note": {"Kept note"}})
	require.Equal(t, "12.345", p.Doc.Find("#f-amount").AttrOr("value", ""))
	require.Equal(t, "Kept note", p.Doc.Find("#f-note").Text())
	require.Equal(t, id(a.booking), p.Doc.Find(`#f-booking_id option[selected]`).AttrOr("value", ""))
}
