package handlers_test

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers/webtest"
)

// fuzzForm is one record form: its URL segment, a valid submission and the names of its fields.
type fuzzForm struct {
	entity string
	valid  url.Values
	fields []string
	editID int64
}

// FuzzRecordForms posts a valid record form with one field replaced by fuzzed text, plus fuzzed
// raw bytes appended to the body, to the create or edit URL of each record kind. The answer is a
// redirect (saved), a 422 whose every message sits next to a field of the form, or, only when the
// body is not a readable form, a 400; never a 500 or a panic.
func FuzzRecordForms(f *testing.F) {
	app := webtest.New(f)
	stopClusterOnInterrupt(app.Env.Cluster)
	owner := app.SignupOwner(f, "Fuzz Florals", "America/New_York", "USD")
	a := makeRecordFixture(f, app, owner.OrgID, owner.UserID, "Fuzz Couple")
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	forms := []*fuzzForm{
		{entity: "clients", valid: url.Values{"name": {"Valid"}, "email": {"valid@example.test"}}},
		{entity: "inquiries", valid: url.Values{"client_id": {id(a.client)}, "source": {"website"}, "received_at": {"2026-02-01T10:00"},
			"wedding_date": {"2027-06-12"}, "status": {"new"}, "estimated_value": {"4500"}}},
		{entity: "bookings", valid: url.Values{"client_id": {id(a.client)}, "title": {"Valid"}, "wedding_date": {"2027-06-12"},
			"booked_at": {"2026-02-01T10:00"}, "status": {"confirmed"}, "currency": {"USD"}, "contract_amount": {"4500"}}},
		{entity: "invoices", valid: url.Values{"booking_id": {id(a.booking)}, "number": {"V-1"}, "due_date": {"2027-05-01"},
			"amount": {"100"}, "status": {"open"}}},
		{entity: "payments", valid: url.Values{"booking_id": {id(a.booking)}, "amount": {"100"}, "status": {"succeeded"},
			"paid_at": {"2026-02-01T10:00"}}},
		{entity: "reviews", valid: url.Values{"booking_id": {id(a.booking)}, "rating": {"5"}, "source": {"google"},
			"received_at": {"2026-02-01T10:00"}}},
	}
	for _, form := range forms {
		form.editID = a.id(form.entity)
		p := owner.Get("/records/" + form.entity + "/new")
		require.Equal(f, http.StatusOK, p.Status)
		p.Doc.Find("form input[name], form select[name], form textarea[name]").Each(func(_ int, s *goquery.Selection) {
			if n := s.AttrOr("name", ""); n != "_csrf" {
				form.fields = append(form.fields, n)
			}
		})
		require.NotEmpty(f, form.fields, form.entity)
	}
	token := owner.CSRF
	client := owner.HTTP

	f.Fuzz(func(t *testing.T, kind, field byte, value, raw string, edit bool) {
		form := forms[int(kind)%len(forms)]
		name := form.fields[int(field)%len(form.fields)]
		v := url.Values{}
		for k, vs := range form.valid {
			v[k] = vs
		}
		v.Set(name, value)
		body := v.Encode()
		if raw != "" {
			body += "&" + raw
		}
		target := "/records/" + form.entity
		if edit {
			target += "/" + id(form.editID)
		}
		req, err := http.NewRequest(http.MethodPost, app.URL+target, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-CSRF-Token", token)
		resp, err := client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		page, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		switch resp.StatusCode {
		case http.StatusSeeOther:
			require.Equal(t, "/records/"+form.entity, resp.Header.Get("Location"))
		case http.StatusUnprocessableEntity:
			doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(page)))
			require.NoError(t, err)
			msgs := doc.Find("form [data-error-for]")
			require.Positive(t, msgs.Length(), "a 422 says what is wrong: %.300s", page)
			msgs.Each(func(_ int, s *goquery.Selection) {
				f := s.AttrOr("data-error-for", "")
				require.Containsf(t, form.fields, f, "the message %q belongs to a field of the %s form", s.Text(), form.entity)
				require.NotEmpty(t, strings.TrimSpace(s.Text()))
			})
		case http.StatusBadRequest:
			_, err := url.ParseQuery(body)
			require.Error(t, err, "400 only for a body that is not a form")
		default:
			t.Fatalf("POST %s %s=%q raw=%q: %d %.300s", target, name, value, raw, resp.StatusCode, page)
		}
	})
}
