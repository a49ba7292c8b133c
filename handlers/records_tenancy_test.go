package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers/webtest"
	"github.com/wedsync/wedsync/store"
)

// validRecordPosts are form values each record form accepts (references left empty where allowed).
var validRecordPosts = map[string]url.Values{
	"clients":   {"name": {"Hijacked"}},
	"inquiries": {"source": {"hijack"}, "received_at": {"2026-02-01T10:00"}, "status": {"lost"}},
	"bookings":  {"wedding_date": {"2027-08-01"}, "booked_at": {"2026-02-01T10:00"}, "contract_amount": {"1"}},
	"invoices":  {"due_date": {"2027-08-01"}, "amount": {"1"}},
	"payments":  {"amount": {"1"}, "paid_at": {"2026-02-01T10:00"}},
	"reviews":   {"rating": {"1"}, "received_at": {"2026-02-01T10:00"}},
}

// TestRecordsOtherOrganizationGets404: a member of another organization gets 404 for every
// record page of this organization's ids, and nothing changes.
func TestRecordsOtherOrganizationGets404(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	owner := app.SignupOwner(t, "Org A", "UTC", "USD")
	a := makeRecordFixture(t, app, owner.OrgID, owner.UserID, "Couple A")
	other := app.SignupOwner(t, "Org B", "UTC", "USD")
	b := makeRecordFixture(t, app, other.OrgID, other.UserID, "Couple B")
	stranger := app.AddMember(t, other.OrgID, store.RoleMember)
	before := recordTableState(t, app)

	for _, entity := range recordEntities {
		base := "/records/" + entity + "/" + strconv.FormatInt(a.id(entity), 10)
		for _, c := range []*webtest.Client{stranger, other.Client} {
			require.Equal(t, http.StatusNotFound, c.Get(base).Status, "GET %s", base)
			require.Equal(t, http.StatusNotFound, c.Get(base+"/delete").Status, "GET %s/delete", base)
			v := url.Values{}
			for k, vs := range validRecordPosts[entity] {
				v[k] = vs
			}
			p := c.Post(base, v)
			require.Equal(t, http.StatusNotFound, p.Status, "POST %s", base)
			require.Contains(t, p.Text("main"), "another organization")
			require.Equal(t, http.StatusNotFound, c.Post(base+"/delete", url.Values{"confirm": {"yes"}}).Status, "POST %s/delete", base)
			require.Equal(t, http.StatusNotFound, c.Post(base+"/delete", nil).Status, "POST %s/delete without confirm", base)
		}
		// This organization's own member reaches the same pages.
		require.Equal(t, http.StatusOK, owner.Get(base).Status)
		// And the other organization's list does not show them.
		require.NotContains(t, listRowIDs(stranger.Get("/records/"+entity)), strconv.FormatInt(a.id(entity), 10))
		require.Contains(t, listRowIDs(stranger.Get("/records/"+entity)), strconv.FormatInt(b.id(entity), 10))
	}
	convert := "/records/inquiries/" + strconv.FormatInt(a.inquiry, 10) + "/convert"
	require.Equal(t, http.StatusNotFound, stranger.Get(convert).Status)
	require.Equal(t, http.StatusNotFound, stranger.Post(convert, validRecordPosts["bookings"]).Status)
	require.Equal(t, before, recordTableState(t, app), "nothing changed")
}

// TestRecordsMalformedIDs404: ids in the URL that are not positive numbers are pages that do not
// exist, for every route, never a 500.
func TestRecordsMalformedIDs404(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	owner := app.SignupOwner(t, "Ids", "UTC", "USD")
	makeRecordFixture(t, app, owner.OrgID, owner.UserID, "Couple")
	before := recordTableState(t, app)
	for _, entity := range recordEntities {
		for _, id := range []string{"abc", "0", "-1", "1.5", "99999999999999999999", "9223372036854775807", "%00", "1e3"} {
			base := "/records/" + entity + "/" + id
			require.Equal(t, http.StatusNotFound, owner.Get(base).Status, "GET %s", base)
			require.Equal(t, http.StatusNotFound, owner.Get(base+"/delete").Status, "GET %s/delete", base)
			require.Equal(t, http.StatusNotFound, owner.Post(base, validRecordPosts[entity]).Status, "POST %s", base)
			require.Equal(t, http.StatusNotFound, owner.Post(base+"/delete", url.Values{"confirm": {"yes"}}).Status, "POST %s/delete", base)
			if entity == "inquiries" {
				require.Equal(t, http.StatusNotFound, owner.Get(base+"/convert").Status)
				require.Equal(t, http.StatusNotFound, owner.Post(base+"/convert", validRecordPosts["bookings"]).Status)
			}
		}
	}
	require.Equal(t, before, recordTableState(t, app))
}

// TestRecordsNeedSignIn: anonymous visitors are sent to log in and cannot post.
func TestRecordsNeedSignIn(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	anon := app.Client(t)
	p := anon.Get("/records/clients")
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Equal(t, "/login?next=%2Frecords%2Fclients", p.Location())
	anon.Get("/login")
	require.Equal(t, http.StatusUnauthorized, anon.Post("/records/clients", url.Values{"name": {"X"}}).Status)
}
