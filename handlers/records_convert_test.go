package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers/webtest"
	"github.com/wedsync/wedsync/store"
)

// TestRecordsConvertInquiry books an inquiry through the prefilled form: a booking linked to the
// inquiry and its client is created, the inquiry is booked, and the list offers no second convert.
func TestRecordsConvertInquiry(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	owner := app.SignupOwner(t, "Convert Studio", "America/Denver", "USD")
	ctx := context.Background()
	client, err := app.DB.CreateClient(ctx, owner.OrgID, owner.UserID, store.ClientInput{Name: "Mia & Theo"})
	require.NoError(t, err)
	cid := strconv.FormatInt(client, 10)
	requireSeeOther(t, owner.Post("/records/inquiries", url.Values{"client_id": {cid}, "source": {"referral"},
		"wedding_date": {"2027-09-18"}, "status": {"proposal"}, "estimated_value": {"4500"}}), "/records/inquiries")
	p := owner.Get("/records/inquiries")
	ids := listRowIDs(p)
	require.Len(t, ids, 1)
	inquiry, _ := strconv.ParseInt(ids[0], 10, 64)
	convertURL := "/records/inquiries/" + ids[0] + "/convert"
	require.Equal(t, convertURL, p.Doc.Find("[data-convert]").AttrOr("href", ""))

	// The form is prefilled from the inquiry.
	p = owner.Get(convertURL)
	require.Equal(t, http.StatusOK, p.Status)
	form := browserFormValues(p.Doc.Find(`form[data-form="convert"]`))
	require.Equal(t, cid, form.Get("client_id"))
	require.Equal(t, "2027-09-18", form.Get("wedding_date"))
	require.Equal(t, "4500.00", form.Get("contract_amount"))
	require.Equal(t, "USD", form.Get("currency"))

	// A mistake is explained and nothing is booked.
	before := recordTableState(t, app)
	p = submitRecordForm(t, owner.Client, p, `form[data-form="convert"]`, map[string]string{"contract_amount": "45.001"})
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	require.NotEmpty(t, p.Text(`[data-error-for="contract_amount"]`))
	require.Equal(t, "45.001", p.Doc.Find("#f-contract_amount").AttrOr("value", ""), "keeps what was typed")
	require.Equal(t, before, recordTableState(t, app))

	p = submitRecordForm(t, owner.Client, p, `form[data-form="convert"]`, map[string]string{"contract_amount": "4,750", "title": "Mia & Theo"})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	inq, err := app.DB.Inquiry(ctx, owner.OrgID, inquiry)
	require.NoError(t, err)
	require.Equal(t, "booked", inq.Status)
	require.NotNil(t, inq.BookingID)
	require.Equal(t, "/records/bookings/"+strconv.FormatInt(*inq.BookingID, 10), p.Location(), "lands on the booking")
	b, err := app.DB.Booking(ctx, owner.OrgID, *inq.BookingID)
	require.NoError(t, err)
	require.Equal(t, inquiry, *b.InquiryID)
	require.Equal(t, client, *b.ClientID)
	require.Equal(t, int64(475000), b.ContractAmount)
	require.Equal(t, "2027-09-18", b.WeddingDate.Format("2006-01-02"))

	// The booking page links back to the inquiry and offers the next steps.
	p = owner.Get(p.Location())
	require.Contains(t, p.Text(".flash"), "booked")
	require.Contains(t, p.Text("[data-inquiry]"), "#"+ids[0])
	require.Contains(t, p.Doc.Find("[data-record-payment]").AttrOr("href", ""), "booking_id="+strconv.FormatInt(b.ID, 10))

	p = owner.Get("/records/inquiries")
	require.Contains(t, listRowText(p, inquiry), "booked")
	require.Empty(t, p.Doc.Find("[data-convert]").Nodes, "no convert link for a booked inquiry")
	require.Equal(t, 1, p.Doc.Find("[data-booking]").Length())

	// Converting again leads to the existing booking rather than a second one.
	p = owner.Get(convertURL)
	requireSeeOther(t, p, "/records/bookings/"+strconv.FormatInt(b.ID, 10))
	before = recordTableState(t, app)
	p = owner.Post(convertURL, url.Values{"wedding_date": {"2027-09-18"}, "contract_amount": {"1"}})
	requireSeeOther(t, p, "/records/bookings/"+strconv.FormatInt(b.ID, 10))
	require.Equal(t, before, recordTableState(t, app))
}
