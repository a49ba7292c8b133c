package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers/webtest"
)

// honeyBookCSV is a HoneyBook project report: BOM, CRLF, a quoted line break, and line 5 with a
// date nobody can read.
const honeyBookCSV = "\ufeffProject Name,Client Name,Client Email,Project Stage,Lead Source,Inquiry Date,Project Date,Total Project Value,Paid Amount,Project ID\r\n" +
	"Ada & Bo,Ada Lovelace,ada@example.com,Retainer Paid,Instagram,01/15/2026,06/12/2027,\"$4,500.50\",\"1,000.25\",HB-1\r\n" +
	"\"Cy\r\nand Di\",Cy Young,cy@example.com,Proposal Sent,Referral,2026-02-01,,3000,,HB-2\r\n" +
	"Ed,Ed Short,ed@example.com,Inquiry,Website,Feb 3 2026,,,,HB-3\r\n" +
	"Fay,Fay Broken,fay@example.com,Inquiry,Website,31/31/2026,,,,HB-4\r\n"

// addZapierCRM adds a HoneyBook or Dubsado integration through the form and returns its public
// id and the signing secret the answer showed (once).
func addZapierCRM(t *testing.T, app *webtest.App, o *webtest.Owner, provider string) (pid, secret string) {
	t.Helper()
	p := o.Post("/integrations", url.Values{"provider": {provider}, "name": {"Studio CRM"}, "interval_minutes": {"60"}})
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	secret, ok := p.Doc.Find("[data-signing-secret]").Attr("value")
	require.True(t, ok, "the new signing secret is shown")
	require.Regexp(t, "^zap_[0-9a-f]{64}$", secret)
	require.NoError(t, app.Env.Admin.QueryRow(context.Background(),
		"select public_id from integrations where org_id = $1 and provider = $2", o.OrgID, provider).Scan(&pid))
	shown := o.Get("/integrations/" + pid + "/import")
	require.Equal(t, http.StatusOK, shown.Status)
	require.NotContains(t, shown.Body, secret, "shown once only")
	require.Contains(t, shown.Text("[data-secret-hint]"), secret[len(secret)-4:])
	return pid, secret
}

// upload posts a file as the upload form does (multipart, with the CSRF token unless csrf is
// false).
func upload(t *testing.T, c *webtest.Client, path, name string, data []byte, csrf bool) *webtest.Page {
	t.Helper()
	if c.CSRF == "" {
		c.Get("/integrations")
	}
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if csrf {
		require.NoError(t, w.WriteField("_csrf", c.CSRF))
	}
	fw, err := w.CreateFormFile("file", name)
	require.NoError(t, err)
	_, err = fw.Write(data)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	req, err := http.NewRequest(http.MethodPost, strings.TrimSuffix(path, "/"), &body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.Do(req)
}

type crmCounts struct{ Clients, Inquiries, Bookings, Payments, Imports int }

func countCRM(t *testing.T, app *webtest.App, pid string) crmCounts {
	t.Helper()
	var n crmCounts
	require.NoError(t, app.Env.Admin.QueryRow(context.Background(), `select
		(select count(*) from clients c join integrations i on i.id = c.integration_id where i.public_id = $1),
		(select count(*) from inquiries c join integrations i on i.id = c.integration_id where i.public_id = $1),
		(select count(*) from bookings c join integrations i on i.id = c.integration_id where i.public_id = $1),
		(select count(*) from payments c join integrations i on i.id = c.integration_id where i.public_id = $1),
		(select count(*) from csv_imports c join integrations i on i.id = c.integration_id where i.public_id = $1)`, pid).Scan(
		&n.Clients, &n.Inquiries, &n.Bookings, &n.Payments, &n.Imports))
	return n
}

// importFile uploads data, confirms the guessed mapping and waits for the summary.
func importFile(t *testing.T, app *webtest.App, o *webtest.Owner, pid string, data []byte) *webtest.Page {
	t.Helper()
	up := upload(t, o.Client, app.URL+"/integrations/"+pid+"/import", "projects.csv", data, true)
	require.Equal(t, http.StatusSeeOther, up.Status, up.Body)
	detail := up.Location()
	form := o.Get(detail)
	require.Equal(t, http.StatusOK, form.Status)
	values := url.Values{"action": {"import"}}
	form.Doc.Find("[data-form=mapping] select").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		val, _ := s.Find("option[selected]").Attr("value")
		values.Set(name, val)
	})
	confirm := o.Post(detail, values)
	require.Equal(t, http.StatusSeeOther, confirm.Status, confirm.Body)
	var summary *webtest.Page
	require.Eventually(t, func() bool {
		summary = o.Get(detail + "/progress")
		return summary.Status == http.StatusOK && summary.Doc.Find("[data-section=import-summary]").Length() == 1
	}, 30*time.Second, 50*time.Millisecond, "the import finishes")
	return summary
}

func TestCSVImportMapsPreviewsImportsAndReimportsNothing(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	o := app.SignupOwner(t, "Honey Studio", "America/New_York", "USD")
	pid, _ := addZapierCRM(t, app, o, "honeybook")

	// The integration page carries the upload form.
	show := o.Get("/integrations/" + pid)
	require.Equal(t, 1, show.Doc.Find("[data-section=import] form[data-form=upload-csv][enctype='multipart/form-data']").Length())

	up := upload(t, o.Client, app.URL+"/integrations/"+pid+"/import", "HoneyBook projects.csv", []byte(honeyBookCSV), true)
	require.Equal(t, http.StatusSeeOther, up.Status, up.Body)
	detail := up.Location()
	form := o.Get(detail)
	require.Equal(t, http.StatusOK, form.Status)
	require.Equal(t, "B: Client Name", form.Text("#f-map_client_name option[selected]"), "columns guessed from HoneyBook's headers")
	require.Equal(t, "J: Project ID", form.Text("#f-map_project_id option[selected]"))
	require.Equal(t, "I: Paid Amount", form.Text("#f-map_paid_amount option[selected]"))
	require.Equal(t, "Ada Lovelace", form.Text("[data-table=preview] tr[data-line='2'] [data-cell=client]"))
	require.Equal(t, "booked", form.Text("[data-table=preview] tr[data-line='2'] [data-cell=status]"))
	require.Equal(t, "$4,500.50", form.Text("[data-table=preview] tr[data-line='2'] [data-cell=amount]"))
	require.Equal(t, "$1,000.25", form.Text("[data-table=preview] tr[data-line='2'] [data-cell=paid]"))
	require.Equal(t, "Cy Young", form.Text("[data-table=preview] tr[data-line='3'] [data-cell=client]"), "a quoted line break moves the next row's line")
	require.Contains(t, form.Text("[data-table=preview] tr[data-line='6'] [data-row-error]"), "inquiry date")
	require.Equal(t, crmCounts{Imports: 1}, countCRM(t, app, pid), "nothing imported before confirming")

	// Changing the mapping updates the preview; an impossible mapping is refused inline.
	bad := o.Post(detail, url.Values{"action": {"preview"}, "map_client_name": {"99"}})
	require.Equal(t, http.StatusUnprocessableEntity, bad.Status)
	require.Equal(t, "Choose one of the file's columns.", bad.Text("[data-error-for=map_client_name]"))
	moved := o.Post(detail, url.Values{"action": {"preview"}, "map_client_name": {"0"}, "map_inquiry_date": {"5"}, "map_project_id": {"9"}})
	require.Equal(t, http.StatusSeeOther, moved.Status, moved.Body)
	require.Equal(t, "Ada & Bo", o.Get(detail).Text("[data-table=preview] tr[data-line='2'] [data-cell=client]"))

	// Without the CSRF token nothing is confirmed.
	forged := o.PostRaw(detail, url.Values{"action": {"import"}, "map_client_name": {"1"}, "map_inquiry_date": {"5"}})
	require.Equal(t, http.StatusForbidden, forged.Status)

	summary := importFile(t, app, o, pid, []byte(honeyBookCSV))
	require.Equal(t, "3", summary.Text("[data-count=created]"))
	require.Equal(t, "0", summary.Text("[data-count=unchanged]"))
	require.Equal(t, "1", summary.Text("[data-count=errors]"))
	require.Contains(t, summary.Text("[data-table=row-errors] tr[data-line='6']"), `"31/31/2026" is not a date`)
	require.Equal(t, crmCounts{Clients: 3, Inquiries: 3, Bookings: 1, Payments: 1, Imports: 2}, countCRM(t, app, pid))
	var contract, paid int64
	var linked bool
	require.NoError(t, app.Env.Admin.QueryRow(context.Background(), `select b.contract_amount, p.amount, p.booking_id = b.id
		from bookings b join payments p on p.external_id = b.external_id || ':paid' where b.external_id = 'HB-1'`).Scan(&contract, &paid, &linked))
	require.Equal(t, int64(450050), contract)
	require.Equal(t, int64(100025), paid)
	require.True(t, linked, "the paid amount is linked to the booking")
	var lastWrite time.Time
	require.NoError(t, app.Env.Admin.QueryRow(context.Background(), `select max(updated_at) from inquiries`).Scan(&lastWrite))

	// The same file again changes nothing.
	again := importFile(t, app, o, pid, []byte(honeyBookCSV))
	require.Equal(t, "0", again.Text("[data-count=created]"))
	require.Equal(t, "0", again.Text("[data-count=updated]"))
	require.Equal(t, "3", again.Text("[data-count=unchanged]"))
	require.Equal(t, "1", again.Text("[data-count=errors]"))
	require.Equal(t, crmCounts{Clients: 3, Inquiries: 3, Bookings: 1, Payments: 1, Imports: 3}, countCRM(t, app, pid))
	var after time.Time
	require.NoError(t, app.Env.Admin.QueryRow(context.Background(), `select max(updated_at) from inquiries`).Scan(&after))
	require.Equal(t, lastWrite, after, "no row was written")

	// A changed amount updates that project only.
	changed := strings.Replace(honeyBookCSV, "3000,,HB-2", "3250.75,,HB-2", 1)
	upd := importFile(t, app, o, pid, []byte(changed))
	require.Equal(t, "1", upd.Text("[data-count=updated]"))
	require.Equal(t, "2", upd.Text("[data-count=unchanged]"))

	// Another organization cannot see the upload.
	other := app.SignupOwner(t, "Other Studio", "UTC", "USD")
	require.Equal(t, http.StatusNotFound, other.Get(detail).Status)
}

func TestCSVUploadRefusesBigBrokenAndForgedFiles(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	o := app.SignupOwner(t, "Dub Studio", "UTC", "GBP")
	pid, _ := addZapierCRM(t, app, o, "dubsado")
	path := app.URL + "/integrations/" + pid + "/import"

	big := []byte("Client,Email,Date Created\n" + strings.Repeat("Ada,ada@example.com,2026-01-01\n", 60_000))
	require.Greater(t, len(big), 1536<<10)
	p := upload(t, o.Client, path, "huge.csv", big, true)
	require.Equal(t, http.StatusRequestEntityTooLarge, p.Status)
	require.Contains(t, p.Text(".flash"), "the limit is 1.5 MB")

	p = upload(t, o.Client, path, "photo.csv", []byte("Client,Email\nAda,\xff\xfe\n"), true)
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	require.Contains(t, p.Body, "line 2")

	p = upload(t, o.Client, path, "empty.csv", []byte("Client,Email\n"), true)
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	require.Contains(t, p.Body, "no projects")

	p = upload(t, o.Client, path, "ok.csv", []byte("Client,Email,Date Created\nAda,ada@example.com,2026-01-01\n"), false)
	require.Equal(t, http.StatusForbidden, p.Status, "no CSRF token")
	require.Equal(t, crmCounts{}, countCRM(t, app, pid), "nothing stored")

	// A Dubsado export without an id column: rows are matched by a hash of name, email and dates,
	// so the same file again changes nothing; amounts are in the organization's currency.
	noID := []byte("Client,Email,Status,Date Created,Start Date,Total\r\nAda,ada@example.com,Job,1/2/2026,6/12/2027,\"1,200.50\"\r\nBo,,Lead,1/3/2026,,\r\n")
	first := importFile(t, app, o, pid, noID)
	require.Equal(t, "2", first.Text("[data-count=created]"), first.Body)
	second := importFile(t, app, o, pid, noID)
	require.Equal(t, "2", second.Text("[data-count=unchanged]"))
	require.Equal(t, "0", second.Text("[data-count=created]"))
	var amount int64
	var currency string
	require.NoError(t, app.Env.Admin.QueryRow(context.Background(), `select contract_amount, currency from bookings b
		join integrations i on i.id = b.integration_id where i.public_id = $1`, pid).Scan(&amount, &currency))
	require.Equal(t, int64(120050), amount)
	require.Equal(t, "GBP", currency)

	// Providers with an API have no import page.
	stripe := o.Post("/integrations", url.Values{"provider": {"tave"}, "name": {"Tave"}, "api_key": {"tave_key_0123456789"}})
	require.Equal(t, http.StatusSeeOther, stripe.Status, stripe.Body)
	require.Equal(t, http.StatusNotFound, o.Get(stripe.Location()+"/import").Status)
}

// TestCSVImportOfALargeFileShowsProgress: 3,000 rows (the sync queue paused at first, so the
// queued state is seen for sure) show a polling progress section, whose counts only grow, and
// end in a summary of 3,000 created rows.
func TestCSVImportOfALargeFileShowsProgress(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	o := app.SignupOwner(t, "Big Studio", "UTC", "USD")
	pid, _ := addZapierCRM(t, app, o, "dubsado")
	var b strings.Builder
	b.WriteString("Project ID,Client,Email,Status,Date Created,Start Date,Total,Paid\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "D-%d,Client %d,c%d@example.com,Job,2026-01-%02d,2027-%02d-12,\"2,500.%02d\",100\n", i, i, i, i%28+1, i%12+1, i%100)
	}
	up := upload(t, o.Client, app.URL+"/integrations/"+pid+"/import", "all.csv", []byte(b.String()), true)
	require.Equal(t, http.StatusSeeOther, up.Status, up.Body)
	detail := up.Location()
	ctx := context.Background()
	require.NoError(t, app.Jobs.Client.QueuePause(ctx, "sync", nil))
	values := url.Values{"action": {"import"}}
	o.Get(detail).Doc.Find("[data-form=mapping] select").Each(func(_ int, s *goquery.Selection) {
		values.Set(s.AttrOr("name", ""), s.Find("option[selected]").AttrOr("value", ""))
	})
	require.Equal(t, http.StatusSeeOther, o.Post(detail, values).Status)

	queued := o.Get(detail)
	sec := queued.Doc.Find("[data-section=import-progress]")
	require.Equal(t, 1, sec.Length(), queued.Body)
	require.Equal(t, detail+"/progress", sec.AttrOr("hx-get", ""))
	require.Equal(t, "0 of 3000 rows (0%)", strings.TrimSpace(sec.Find("[data-progress]").Text()))

	start := time.Now()
	require.NoError(t, app.Jobs.Client.QueueResume(ctx, "sync", nil))
	last := 0
	var summary *webtest.Page
	require.Eventually(t, func() bool {
		p := o.Get(detail + "/progress")
		if p.Doc.Find("[data-section=import-summary]").Length() == 1 {
			summary = p
			return true
		}
		var done int
		_, err := fmt.Sscanf(p.Text("[data-progress]"), "%d of", &done)
		require.NoError(t, err)
		require.GreaterOrEqual(t, done, last, "progress only grows")
		last = done
		return false
	}, 120*time.Second, 100*time.Millisecond)
	t.Logf("3000 rows imported in %s (last progress seen: %d)", time.Since(start).Round(time.Millisecond), last)
	require.Equal(t, "3000", summary.Text("[data-count=created]"))
	require.Equal(t, "0", summary.Text("[data-count=errors]"))
	var sum int64
	require.NoError(t, app.Env.Admin.QueryRow(ctx, `select sum(contract_amount) from bookings b join integrations i on i.id = b.integration_id
		where i.public_id = $1`, pid).Scan(&sum))
	var want int64
	for i := range 3000 {
		want += 250000 + int64(i%100)
	}
	require.Equal(t, want, sum, "every amount exact")
}
