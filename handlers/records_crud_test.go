package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers/webtest"
	"github.com/wedsync/wedsync/store"
)

// crudCase drives one kind of record through its forms.
type crudCase struct {
	entity, noun string
	// create builds the new form's values from the organization's prerequisites.
	create func(pre recordFixture) url.Values
	// created and edited must appear in the record's list row after creating and after editing.
	created []string
	edit    map[string]string
	edited  []string
	// check looks at the stored row after the edit (optional).
	check func(t *testing.T, app *webtest.App, id int64)
}

func crudCases() []crudCase {
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	return []crudCase{
		{entity: "clients", noun: "client",
			create: func(recordFixture) url.Values {
				return url.Values{"name": {"Ana & Sam Reyes"}, "email": {"ana@example.test"}}
			},
			created: []string{"Ana & Sam Reyes", "ana@example.test"},
			edit:    map[string]string{"name": "Ana & Sam Reyes-Lopez", "phone": "+1 312 555 0100"},
			edited:  []string{"Ana & Sam Reyes-Lopez", "+1 312 555 0100"}},
		{entity: "inquiries", noun: "inquiry",
			create: func(pre recordFixture) url.Values {
				return url.Values{"client_id": {id(pre.client)}, "source": {"instagram"}, "received_at": {"2026-03-14T10:30"},
					"wedding_date": {"2027-06-12"}, "status": {"new"}, "estimated_value": {"4,500.00"}, "notes": {"Barn wedding"}}
			},
			// The received time is shown in the organization's timezone, money in its currency.
			created: []string{"2026-03-14 10:30", "instagram", "Sat 2027-06-12", "new", "$4,500.00"},
			edit:    map[string]string{"status": "contacted", "estimated_value": "5000", "first_response_at": "2026-03-14T12:00"},
			edited:  []string{"contacted", "$5,000.00", "2026-03-14 10:30"},
			check: func(t *testing.T, app *webtest.App, id int64) {
				var utc string
				require.NoError(t, app.Env.Admin.QueryRow(context.Background(),
					"select to_char(received_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI') from inquiries where id = $1", id).Scan(&utc))
				require.Equal(t, "2026-03-14 15:30", utc, "10:30 in Chicago (CDT) is 15:30 UTC")
			}},
		{entity: "bookings", noun: "booking",
			create: func(pre recordFixture) url.Values {
				return url.Values{"client_id": {id(pre.client)}, "title": {"Reyes wedding"}, "wedding_date": {"2027-06-12"},
					"booked_at": {"2026-03-20T09:00"}, "status": {"confirmed"}, "currency": {"USD"}, "contract_amount": {"4800"}}
			},
			created: []string{"Sat 2027-06-12", "Reyes wedding", "confirmed", "$4,800.00"},
			edit:    map[string]string{"contract_amount": "5,200.50", "status": "completed"},
			edited:  []string{"$5,200.50", "completed"}},
		{entity: "invoices", noun: "invoice",
			create: func(pre recordFixture) url.Values {
				return url.Values{"booking_id": {id(pre.booking)}, "number": {"2027-001"}, "due_date": {"2027-05-01"},
					"amount": {"1440"}, "status": {"open"}}
			},
			created: []string{"#2027-001", "2027-05-01", "$1,440.00", "open"},
			edit:    map[string]string{"number": "2027-001A", "amount": "1500.00"},
			edited:  []string{"#2027-001A", "$1,500.00"}},
		{entity: "payments", noun: "payment",
			create: func(pre recordFixture) url.Values {
				return url.Values{"booking_id": {id(pre.booking)}, "amount": {"1440.00"}, "status": {"succeeded"},
					"paid_at": {"2026-03-21T12:00"}, "note": {"Deposit"}}
			},
			created: []string{"2026-03-21 12:00", "manual", "succeeded", "$1,440.00"},
			edit:    map[string]string{"amount": "1500", "status": "partially_refunded", "refunded_amount": "100"},
			edited:  []string{"partially_refunded", "$1,500.00", "$100.00", "$1,400.00"}},
		{entity: "reviews", noun: "review",
			create: func(pre recordFixture) url.Values {
				return url.Values{"booking_id": {id(pre.booking)}, "rating": {"5"}, "body": {"Wonderful day!"},
					"source": {"google"}, "received_at": {"2026-07-01T18:00"}}
			},
			created: []string{"2026-07-01", "★★★★★", "google", "Wonderful day!"},
			edit:    map[string]string{"rating": "4", "body": "Great photos."},
			edited:  []string{"★★★★", "Great photos."}},
	}
}

// TestRecordsCRUD adds, edits and deletes each kind of record through its forms, as a member of
// the organization, and finds each change in the list and in the audit log under the member's name.
func TestRecordsCRUD(t *testing.T) {
	t.Parallel()
	for _, tc := range crudCases() {
		t.Run(tc.entity, func(t *testing.T) {
			t.Parallel()
			app := webtest.New(t)
			owner := app.SignupOwner(t, "Lantern Light", "America/Chicago", "USD")
			pre := makeRecordFixture(t, app, owner.OrgID, owner.UserID, "Prerequisite Couple")
			list := "/records/" + tc.entity

			p := owner.Get(list + "/new")
			require.Equal(t, http.StatusOK, p.Status)
			require.Equal(t, "page", p.Doc.Find(`[data-records-nav] a[href="`+list+`"]`).AttrOr("aria-current", ""))
			before := listRowIDs(owner.Get(list))

			// Create through the form.
			requireSeeOther(t, owner.Post(list, tc.create(pre)), list)
			p = owner.Get(list)
			require.NotEmpty(t, p.Text(".flash"))
			var id int64
			for _, s := range listRowIDs(p) {
				if !slices.Contains(before, s) {
					id, _ = strconv.ParseInt(s, 10, 64)
				}
			}
			require.NotZero(t, id, "the new %s is listed", tc.noun)
			row := listRowText(p, id)
			for _, want := range tc.created {
				require.Contains(t, row, want)
			}

			// Edit: the form shows the stored values; change some and post it back.
			p = owner.Get(list + "/" + strconv.FormatInt(id, 10))
			require.Equal(t, http.StatusOK, p.Status)
			for k, v := range tc.create(pre) {
				if k != "contract_amount" && k != "amount" && k != "estimated_value" {
					require.Equal(t, v[0], browserFormValues(p.Doc.Find(`form[data-form="`+tc.entity+`"]`)).Get(k), "edit form field %s", k)
				}
			}
			requireSeeOther(t, submitRecordForm(t, owner.Client, p, `form[data-form="`+tc.entity+`"]`, tc.edit), list)
			row = listRowText(owner.Get(list), id)
			for _, want := range tc.edited {
				require.Contains(t, row, want)
			}
			if tc.check != nil {
				tc.check(t, app, id)
			}

			// Delete: the edit page's form without JavaScript leads to the confirmation page.
			p = owner.Get(list + "/" + strconv.FormatInt(id, 10))
			del := p.Doc.Find(`form[data-form="delete"]`)
			require.NotEmpty(t, del.AttrOr("data-confirm", ""), "the delete form asks in the browser")
			confirmURL := list + "/" + strconv.FormatInt(id, 10) + "/delete"
			requireSeeOther(t, submitRecordForm(t, owner.Client, p, `form[data-form="delete"]`, nil), confirmURL)
			p = owner.Get(confirmURL)
			require.Equal(t, http.StatusOK, p.Status)
			require.NotEmpty(t, p.Text("[data-summary]"))
			require.NotEmpty(t, p.Doc.Find(`form[data-form="delete"]`).AttrOr("data-confirm", ""))
			requireSeeOther(t, submitRecordForm(t, owner.Client, p, `form[data-form="delete"]`, nil), list)
			p = owner.Get(list)
			require.Contains(t, p.Text(".flash"), "deleted")
			require.Empty(t, listRowText(p, id), "the deleted %s is gone", tc.noun)
			require.Equal(t, http.StatusNotFound, owner.Get(list+"/"+strconv.FormatInt(id, 10)).Status)

			// The audit log says who did what.
			audit := owner.Get("/audit")
			for _, action := range []string{"create", "update", "delete"} {
				found := false
				audit.Doc.Find(`table[data-table="audit"] tbody tr`).Each(func(_ int, tr *goquery.Selection) {
					cell := func(n int) string { return strings.TrimSpace(tr.Find("td").Eq(n).Text()) }
					if cell(1) == owner.Email && cell(2) == action && cell(3) == tc.noun+" #"+strconv.FormatInt(id, 10) {
						found = true
					}
				})
				require.True(t, found, "audit log shows %s of %s #%d by %s", action, tc.noun, id, owner.Email)
			}
		})
	}
}

// TestRecordsHTMXDelete deletes from the edit page as htmx does after the data-confirm dialog.
func TestRecordsHTMXDelete(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	owner := app.SignupOwner(t, "Htmx Delete", "UTC", "USD")
	f := makeRecordFixture(t, app, owner.OrgID, owner.UserID, "Dee & Lee")
	owner.Get("/records/reviews")
	req, _ := http.NewRequest(http.MethodPost, app.URL+"/records/reviews/"+strconv.FormatInt(f.review, 10)+"/delete", nil)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("X-CSRF-Token", owner.CSRF)
	p := owner.Do(req)
	require.Equal(t, http.StatusOK, p.Status)
	require.Equal(t, "/records/reviews", p.Header.Get("HX-Redirect"))
	_, err := app.DB.Review(context.Background(), owner.OrgID, f.review)
	require.ErrorIs(t, err, store.ErrNotFound)
}
