package handlers

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/jobs/connector/csvimport"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/views"
)

// loadImport loads the integration and the upload of the URL.
func (h *integrationPages) loadImport(c echo.Context) (store.Integration, store.CSVImport, error) {
	in, _, err := h.importable(c)
	if err != nil {
		return in, store.CSVImport{}, err
	}
	id, err := strconv.ParseInt(c.Param("import"), 10, 64)
	if err != nil {
		return in, store.CSVImport{}, echo.NewHTTPError(http.StatusNotFound, http.StatusText(http.StatusNotFound))
	}
	imp, err := h.db.CSVImport(c.Request().Context(), viewerOf(c).Org.ID, in.ID, id)
	return in, imp, err
}

// importDetail shows the mapping form and preview of a waiting upload, else its progress or
// summary.
func (h *integrationPages) importDetail(c echo.Context) error {
	in, imp, err := h.loadImport(c)
	if err != nil {
		return err
	}
	return h.renderImportDetail(c, in, imp, http.StatusOK, nil)
}

func (h *integrationPages) renderImportDetail(c echo.Context, in store.Integration, imp store.CSVImport, status int, errs views.FormErrors) error {
	d := views.ImportDetailView{PublicID: in.PublicID, Name: in.Name, Filename: imp.Filename, URL: importURL(in.PublicID, imp.ID),
		Status: imp.Status, TotalRows: imp.TotalRows, Progress: progressView(in.PublicID, imp)}
	if imp.Status == store.ImportUploaded {
		d.Columns = append(d.Columns, views.Option{Value: "", Label: "— not imported —"})
		for i, name := range imp.Header {
			d.Columns = append(d.Columns, views.Option{Value: strconv.Itoa(i), Label: columnLabel(i, name)})
		}
		for _, f := range csvimport.Fields() {
			val := ""
			if col, ok := imp.Mapping[string(f.Field)]; ok {
				val = strconv.Itoa(col)
			}
			d.Fields = append(d.Fields, views.MappingField{Name: string(f.Field), Label: f.Label, Hint: f.Hint, Value: val})
		}
		preview, err := h.preview(c, in, imp)
		if err != nil {
			return err
		}
		d.Preview = preview
	}
	return render(c, status, views.ImportDetailPage(h.page(c, imp.Filename, "integrations"), d, errs))
}

// columnLabel names a column by its spreadsheet letter and header ("C: Client Email").
func columnLabel(i int, header string) string {
	letters := ""
	for n := i + 1; n > 0; n = (n - 1) / 26 {
		letters = string(rune('A'+(n-1)%26)) + letters
	}
	if header == "" {
		header = "(no header)"
	}
	return letters + ": " + header
}

// preview maps the first rows as the import job will.
func (h *integrationPages) preview(c echo.Context, in store.Integration, imp store.CSVImport) ([]views.PreviewRow, error) {
	v := viewerOf(c)
	data, err := h.db.CSVImportData(c.Request().Context(), v.Org.ID, in.ID, imp.ID)
	if err != nil {
		return nil, err
	}
	tab, err := csvimport.Parse(bytes.NewReader(data))
	if err != nil {
		return []views.PreviewRow{{Line: 1, Error: err.Error()}}, nil
	}
	opt, m := jobs.ImportOptions(in, v.Org.Currency), jobs.ImportMapping(imp.Mapping)
	var out []views.PreviewRow
	for _, row := range tab.Rows[:min(previewRows, len(tab.Rows))] {
		it, err := csvimport.MapRow(row, m, opt)
		var re *csvimport.RowError
		if errors.As(err, &re) {
			out = append(out, views.PreviewRow{Line: row.Line, Error: re.Msg})
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, previewRow(it))
	}
	return out, nil
}

func previewRow(it csvimport.Item) views.PreviewRow {
	r := views.PreviewRow{Line: it.Line, ExternalID: it.ExternalID}
	var kinds []string
	for _, rec := range it.Records {
		kinds = append(kinds, string(rec.Kind))
		switch row := rec.Row.(type) {
		case store.ClientRow:
			r.Client, r.Email = row.Name, row.Email
		case store.InquiryRow:
			r.Status, r.Source, r.Inquiry = row.Status, row.Source, row.ReceivedAt.Format(time.DateOnly)
			if row.WeddingDate != nil {
				r.Wedding = row.WeddingDate.Format(time.DateOnly)
			}
			if row.EstimatedValue != nil {
				r.Amount = store.FormatMoney(*row.EstimatedValue, row.Currency)
			}
		case store.PaymentRow:
			r.Paid = store.FormatMoney(row.Amount, row.Currency)
		}
	}
	r.Creates = strings.Join(kinds, ", ")
	return r
}

// readMapping reads the mapping form: a column number (or nothing) per field. A row needs a
// name or an email, and a date.
func readMapping(form url.Values, columns int) (map[string]int, views.FormErrors) {
	m := map[string]int{}
	errs := views.FormErrors{}
	for _, f := range csvimport.Fields() {
		name := "map_" + string(f.Field)
		v := strings.TrimSpace(form.Get(name))
		if v == "" {
			continue
		}
		col, err := strconv.Atoi(v)
		if err != nil || col < 0 || col >= columns {
			errs[name] = "Choose one of the file's columns."
			continue
		}
		m[string(f.Field)] = col
	}
	_, name := m[string(csvimport.ClientName)]
	_, email := m[string(csvimport.Email)]
	_, inquired := m[string(csvimport.InquiryDate)]
	_, wedding := m[string(csvimport.WeddingDate)]
	need := func(f csvimport.Field, msg string) {
		if _, seen := errs["map_"+string(f)]; !seen {
			errs["map_"+string(f)] = msg
		}
	}
	if !name && !email {
		need(csvimport.ClientName, "Choose the column with the client's name (or an email column).")
	}
	if !inquired && !wedding {
		need(csvimport.InquiryDate, "Choose the column with the inquiry date (or a wedding date column).")
	}
	return m, errs
}

// confirmImport saves the mapping and shows the preview again ("Update preview"), or confirms
// it and enqueues the import ("Import").
func (h *integrationPages) confirmImport(c echo.Context) error {
	in, imp, err := h.loadImport(c)
	if err != nil {
		return err
	}
	if imp.Status != store.ImportUploaded {
		return redirect(c, importURL(in.PublicID, imp.ID)) // already confirmed: show its progress
	}
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	v := viewerOf(c)
	ctx := c.Request().Context()
	mapping, errs := readMapping(form, len(imp.Header))
	if len(errs) > 0 {
		imp.Mapping = mapping // show what was chosen, with the messages
		return h.renderImportDetail(c, in, imp, http.StatusUnprocessableEntity, errs)
	}
	if form.Get("action") != "import" {
		if err := h.db.SaveCSVImportMapping(ctx, v.Org.ID, in.ID, imp.ID, mapping); err != nil && !errors.Is(err, store.ErrConflict) {
			return err
		}
		return redirect(c, importURL(in.PublicID, imp.ID))
	}
	j, ok := h.jobs.(importJobs)
	if !ok {
		return echo.NewHTTPError(http.StatusServiceUnavailable, "Background jobs are not available right now. Try again in a moment.")
	}
	if err := j.RequestCSVImport(ctx, v.Org.ID, v.User.ID, in.ID, imp.ID, mapping); err != nil && !errors.Is(err, store.ErrConflict) {
		return err
	}
	h.flash(c, fmt.Sprintf("Importing %d rows; progress appears below.", imp.TotalRows))
	return redirect(c, importURL(in.PublicID, imp.ID))
}

// importProgress is the fragment the progress section polls.
func (h *integrationPages) importProgress(c echo.Context) error {
	in, imp, err := h.loadImport(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.ImportProgress(progressView(in.PublicID, imp)))
}

func progressView(publicID string, imp store.CSVImport) views.ImportProgressView {
	p := views.ImportProgressView{URL: importURL(publicID, imp.ID), Status: imp.Status, Failure: imp.Failure, Total: imp.TotalRows,
		Processed: imp.Processed, Created: imp.Created, Updated: imp.Updated, Unchanged: imp.Unchanged, ErrorCount: imp.ErrorRows}
	for _, e := range imp.Errors {
		p.Errors = append(p.Errors, views.ImportErrorRow{Line: e.Line, Message: e.Message})
	}
	return p
}
