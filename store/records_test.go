package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/storetest"
)

// recFields checks err is a *store.ValidationError for exactly these fields.
func recFields(t *testing.T, err error, fields ...string) *store.ValidationError {
	t.Helper()
	var ve *store.ValidationError
	require.ErrorAs(t, err, &ve, "want a validation error, got %v", err)
	got := make([]string, 0, len(ve.Fields))
	for k := range ve.Fields {
		got = append(got, k)
	}
	slices.Sort(got)
	slices.Sort(fields)
	require.Equal(t, fields, got, "messages: %v", ve.Fields)
	return ve
}

func recID(n int64) string { return strconv.FormatInt(n, 10) }

// recAudit returns the detail of the newest audit row for entity id.
func recAudit(t *testing.T, env *storetest.Env, orgID int64, action, entity string, entityID int64) map[string]any {
	t.Helper()
	var b []byte
	var user *int64
	err := env.Admin.QueryRow(context.Background(), `select detail, user_id from audit_log
		where org_id = $1 and action = $2 and entity = $3 and entity_id = $4 order by id desc limit 1`,
		orgID, action, entity, entityID).Scan(&b, &user)
	require.NoError(t, err, "no audit row for %s %s %d", action, entity, entityID)
	require.NotNil(t, user)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

func recClient(t *testing.T, env *storetest.Env, orgID, userID int64, name string) int64 {
	t.Helper()
	cid, err := env.DB.CreateClient(context.Background(), orgID, userID, store.ClientInput{Name: name, Email: strings.ToLower(strings.Fields(name)[0]) + "@example.com"})
	require.NoError(t, err)
	return cid
}

func TestClientCRUD(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, user := env.NewOrg(t, "Alpha Studio", "Europe/London", "GBP")
	other, otherUser := env.NewOrg(t, "Beta Florals", "America/Chicago", "USD")

	_, err := env.DB.CreateClient(ctx, org, user, store.ClientInput{Name: "  ", Email: "not-an-email", Phone: strings.Repeat("1", 51), Notes: strings.Repeat("é", 5001)})
	ve := recFields(t, err, "name", "email", "phone", "notes")
	require.Equal(t, "Use at most 5000 characters.", ve.Fields["notes"])

	// 200 multi-byte characters fit: the limit counts characters like PostgreSQL does.
	cid, err := env.DB.CreateClient(ctx, org, user, store.ClientInput{Name: " Ada & Bo " + strings.Repeat("é", 190), Email: "ada@example.com", Phone: "+44 20 7946 0000"})
	require.NoError(t, err)
	c, err := env.DB.Client(ctx, org, cid)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(c.Name, "Ada & Bo é"))
	require.Equal(t, "ada@example.com", c.Email)
	require.Equal(t, "ada@example.com", recAudit(t, env, org, "create", "client", cid)["email"])

	require.NoError(t, env.DB.UpdateClient(ctx, org, user, cid, store.ClientInput{Name: "Ada & Bo", Email: "ada@example.com", Notes: "Barn venue"}))
	d := recAudit(t, env, org, "update", "client", cid)
	require.Contains(t, d, "name")
	require.Contains(t, d, "notes")
	require.NotContains(t, d, "email", "unchanged fields are not audited")

	// Another organization sees nothing and can change nothing.
	_, err = env.DB.Client(ctx, other, cid)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, env.DB.UpdateClient(ctx, other, otherUser, cid, store.ClientInput{Name: "Hijack"}), store.ErrNotFound)
	require.ErrorIs(t, env.DB.DeleteClient(ctx, other, otherUser, cid), store.ErrNotFound)
	_, err = env.DB.Client(ctx, org, 999999)
	require.ErrorIs(t, err, store.ErrNotFound)

	opts, err := env.DB.ClientOptions(ctx, org)
	require.NoError(t, err)
	require.Equal(t, []store.Option{{ID: cid, Label: "Ada & Bo"}}, opts)

	require.NoError(t, env.DB.DeleteClient(ctx, org, user, cid))
	_, err = env.DB.Client(ctx, org, cid)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.Equal(t, "Ada & Bo", recAudit(t, env, org, "delete", "client", cid)["name"])
}

func TestClientListPaginationSortSearch(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, user := env.NewOrg(t, "Alpha Studio", "Europe/London", "GBP")
	other, otherUser := env.NewOrg(t, "Beta Florals", "America/Chicago", "USD")
	for i := range 30 {
		recClient(t, env, org, user, fmt.Sprintf("Couple %02d", i))
	}
	recClient(t, env, other, otherUser, "Couple 99")

	page, err := env.DB.ListClients(ctx, org, store.ListQuery{})
	require.NoError(t, err)
	require.Equal(t, 30, page.Total)
	require.Equal(t, 25, page.PerPage)
	require.Len(t, page.Items, 25)
	require.Equal(t, "name", page.Sort)
	require.Equal(t, "Couple 00", page.Items[0].Name)
	require.True(t, page.HasNext())
	require.False(t, page.HasPrev())
	require.Equal(t, 2, page.Pages())

	page, err = env.DB.ListClients(ctx, org, store.ListQuery{Page: 2, PerPage: 10, Sort: "-name"})
	require.NoError(t, err)
	require.Len(t, page.Items, 10)
	require.Equal(t, "Couple 19", page.Items[0].Name)
	require.Equal(t, "Couple 10", page.Items[9].Name)
	require.True(t, page.HasNext())
	require.True(t, page.HasPrev())
	require.Equal(t, 3, page.Pages())

	page, err = env.DB.ListClients(ctx, org, store.ListQuery{Page: 9, PerPage: 1000, Sort: "name; drop table clients"})
	require.NoError(t, err)
	require.Equal(t, 100, page.PerPage)
	require.Equal(t, "name", page.Sort)
	require.Empty(t, page.Items)
	require.Equal(t, 30, page.Total)

	page, err = env.DB.ListClients(ctx, org, store.ListQuery{Q: "couple 2", Sort: "name"})
	require.NoError(t, err)
	require.Equal(t, 10, page.Total)
	page, err = env.DB.ListClients(ctx, org, store.ListQuery{Q: "99"})
	require.NoError(t, err)
	require.Zero(t, page.Total, "other org's clients are invisible")
	page, err = env.DB.ListClients(ctx, org, store.ListQuery{Q: "%"})
	require.NoError(t, err)
	require.Zero(t, page.Total, "search terms are literal")

	london, err := time.LoadLocation("Europe/London")
	require.NoError(t, err)
	today := time.Now().In(london).Format(time.DateOnly)
	page, err = env.DB.ListClients(ctx, org, store.ListQuery{From: today, To: today})
	require.NoError(t, err)
	require.Equal(t, 30, page.Total)
	_, err = env.DB.ListClients(ctx, org, store.ListQuery{From: "2027-13-01", To: "yesterday"})
	recFields(t, err, "from", "to")
	_, err = env.DB.ListClients(ctx, org, store.ListQuery{From: "2027-02-01", To: "2027-01-01"})
	recFields(t, err, "to")
}

func TestInquiryCRUDAndValidation(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, user := env.NewOrg(t, "Alpha Studio", "America/New_York", "USD")
	other, otherUser := env.NewOrg(t, "Beta Florals", "Europe/Paris", "EUR")
	client := recClient(t, env, org, user, "Ada Lovelace")
	foreign := recClient(t, env, other, otherUser, "Grace Hopper")

	_, err := env.DB.CreateInquiry(ctx, org, user, store.InquiryInput{
		ClientID: recID(foreign), ReceivedAt: "2027-02-30T10:00", WeddingDate: "12/06/2027", Status: "maybe",
		EstimatedValue: "12.345", Source: strings.Repeat("x", 51),
	})
	ve := recFields(t, err, "client_id", "received_at", "wedding_date", "status", "estimated_value", "source")
	require.Equal(t, "Choose an existing client.", ve.Fields["client_id"])
	require.Equal(t, "Enter a date like 2027-06-12.", ve.Fields["wedding_date"])
	require.Equal(t, "Use at most 2 decimal places.", ve.Fields["estimated_value"])

	_, err = env.DB.CreateInquiry(ctx, org, user, store.InquiryInput{ReceivedAt: "2027-01-10T09:00", FirstResponseAt: "2027-01-10T08:00"})
	recFields(t, err, "first_response_at")

	iid, err := env.DB.CreateInquiry(ctx, org, user, store.InquiryInput{
		ClientID: recID(client), ReceivedAt: "2027-01-10T21:30", FirstResponseAt: "2027-01-11T08:15",
		WeddingDate: "2027-09-18", EstimatedValue: "4,500", Notes: "Barn wedding",
	})
	require.NoError(t, err)
	inq, err := env.DB.Inquiry(ctx, org, iid)
	require.NoError(t, err)
	require.Equal(t, "Ada Lovelace", inq.ClientName)
	require.Equal(t, "website", inq.Source)
	require.Equal(t, "new", inq.Status)
	require.Equal(t, "USD", inq.Currency)
	require.Equal(t, int64(450000), *inq.EstimatedValue)
	// datetime-local is the org's wall clock: 21:30 in New York (EST) is 02:30 UTC the next day.
	require.Equal(t, time.Date(2027, 1, 11, 2, 30, 0, 0, time.UTC), inq.ReceivedAt.UTC())
	require.Equal(t, "2027-09-18", inq.WeddingDate.Format(time.DateOnly))
	require.Nil(t, inq.BookingID)

	// Empty received_at is "now" on create only.
	nowID, err := env.DB.CreateInquiry(ctx, org, user, store.InquiryInput{Source: "instagram"})
	require.NoError(t, err)
	fresh, err := env.DB.Inquiry(ctx, org, nowID)
	require.NoError(t, err)
	require.WithinDuration(t, time.Now(), fresh.ReceivedAt, time.Minute)
	recFields(t, env.DB.UpdateInquiry(ctx, org, user, nowID, store.InquiryInput{}), "received_at")

	require.NoError(t, env.DB.UpdateInquiry(ctx, org, user, iid, store.InquiryInput{
		ClientID: recID(client), ReceivedAt: "2027-01-10T21:30", Status: "proposal", EstimatedValue: "5000", WeddingDate: "2027-09-18",
	}))
	d := recAudit(t, env, org, "update", "inquiry", iid)
	require.Contains(t, d, "status")
	require.Contains(t, d, "estimated_value")
	require.NotContains(t, d, "wedding_date")

	_, err = env.DB.Inquiry(ctx, other, iid)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, env.DB.DeleteInquiry(ctx, other, otherUser, iid), store.ErrNotFound)
	require.ErrorIs(t, env.DB.UpdateInquiry(ctx, other, otherUser, iid, store.InquiryInput{ReceivedAt: "2027-01-01T00:00"}), store.ErrNotFound)

	// Deleting the client keeps the inquiry, without the link.
	require.NoError(t, env.DB.DeleteClient(ctx, org, user, client))
	inq, err = env.DB.Inquiry(ctx, org, iid)
	require.NoError(t, err)
	require.Nil(t, inq.ClientID)
	require.NoError(t, env.DB.DeleteInquiry(ctx, org, user, iid))
	_, err = env.DB.Inquiry(ctx, org, iid)
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestInquiryListFilters(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, user := env.NewOrg(t, "Alpha Studio", "America/New_York", "USD")
	ada := recClient(t, env, org, user, "Ada Lovelace")
	mk := func(received, status, source, value string, client int64) int64 {
		in := store.InquiryInput{ReceivedAt: received, Status: status, Source: source, EstimatedValue: value}
		if client != 0 {
			in.ClientID = recID(client)
		}
		iid, err := env.DB.CreateInquiry(ctx, org, user, in)
		require.NoError(t, err)
		return iid
	}
	late := mk("2027-03-31T23:30", "new", "website", "100", ada) // 04:30 UTC on April 1st
	early := mk("2027-03-01T00:10", "lost", "instagram", "300", 0)
	mid := mk("2027-03-15T12:00", "new", "website", "", 0)
	april := mk("2027-04-01T00:30", "contacted", "website", "200", 0)

	ids := func(q store.ListQuery) []int64 {
		t.Helper()
		page, err := env.DB.ListInquiries(ctx, org, q)
		require.NoError(t, err)
		var out []int64
		for _, i := range page.Items {
			out = append(out, i.ID)
		}
		require.Equal(t, len(out), page.Total)
		return out
	}
	require.Equal(t, []int64{april, late, mid, early}, ids(store.ListQuery{}))
	// March in New York includes 23:30 on the 31st although it is April in UTC.
	require.Equal(t, []int64{early, mid, late}, ids(store.ListQuery{From: "2027-03-01", To: "2027-03-31", Sort: "date"}))
	require.Equal(t, []int64{april}, ids(store.ListQuery{From: "2027-04-01"}))
	require.Equal(t, []int64{late, mid}, ids(store.ListQuery{Status: "new"}))
	require.Equal(t, []int64{early}, ids(store.ListQuery{Source: "instagram"}))
	require.Equal(t, []int64{early, april, late, mid}, ids(store.ListQuery{Sort: "-amount"}))
	require.Equal(t, []int64{late}, ids(store.ListQuery{Q: "lovelace"}))
	_, err := env.DB.ListInquiries(ctx, org, store.ListQuery{Status: "booked'; --x"})
	recFields(t, err, "status")
}
