package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/csvimport"
	"github.com/wedsync/wedsync/jobs/connector/zapier"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/views"
)

// MaxImportBytes is the largest CSV export accepted (the whole request stays under the server's
// 2 MB body limit).
const MaxImportBytes = 1536 << 10

// maxImportSizeText is MaxImportBytes as people read it.
const maxImportSizeText = "1.5 MB"

// previewRows is how many rows the mapping form previews.
const previewRows = 10

// importJobs is what the import pages need of the job system (*jobs.Runner has it).
type importJobs interface {
	RequestCSVImport(ctx context.Context, orgID, userID, integrationID, importID int64, mapping map[string]int) error
}

var _ importJobs = (*jobs.Runner)(nil)

// importable loads the integration of the URL if its provider imports CSV exports (HoneyBook,
// Dubsado); other integrations have no import page (404).
func (h *integrationPages) importable(c echo.Context) (store.Integration, csvimport.Dialect, error) {
	in, err := h.db.Integration(c.Request().Context(), viewerOf(c).Org.ID, c.Param("id"))
	if err != nil {
		return in, csvimport.Dialect{}, err
	}
	d, ok := csvimport.DialectFor(in.Provider)
	if !ok {
		return in, d, echo.NewHTTPError(http.StatusNotFound, "This integration has no CSV import.")
	}
	return in, d, nil
}

// generatedSecret gives a new integration of a provider without an API (HoneyBook, Dubsado) its
// Zapier signing secret, to be shown once after creation; "" for other providers.
func generatedSecret(p connector.Provider, secrets map[string]string) string {
	if _, ok := csvimport.DialectFor(p.Name); !ok {
		return ""
	}
	s := zapier.NewSecret()
	secrets[zapier.SecretField] = s
	return s
}

// importPage shows the upload form, the Zapier secret (masked) and the earlier uploads.
func (h *integrationPages) importPage(c echo.Context) error {
	in, _, err := h.importable(c)
	if err != nil {
		return err
	}
	return h.renderImportPage(c, in, "", http.StatusOK, "")
}

// renderImportPage renders the import page, with a signing secret generated just now (shown
// once) or an upload mistake as the flash.
func (h *integrationPages) renderImportPage(c echo.Context, in store.Integration, newSecret string, status int, message string) error {
	v := viewerOf(c)
	imports, err := h.db.CSVImports(c.Request().Context(), v.Org.ID, in.ID, 20)
	if err != nil {
		return err
	}
	label := h.reg.Label(in.Provider)
	pv := views.ImportPageView{PublicID: in.PublicID, Name: in.Name, ProviderLabel: label, NewSecret: newSecret, MaxSize: maxImportSizeText,
		SecretHint: in.CredentialHints[zapier.SecretField],
		WebhookURL: strings.TrimSuffix(h.cfg.BaseURL, "/") + jobs.WebhookPath(in.Provider, in.PublicID)}
	loc := v.Org.Location()
	for _, imp := range imports {
		pv.Imports = append(pv.Imports, views.ImportListRow{URL: importURL(in.PublicID, imp.ID), Filename: imp.Filename,
			Uploaded: fmtWhen(&imp.CreatedAt, loc), Status: imp.Status, Summary: importSummary(imp)})
	}
	p := h.page(c, "Import from "+label, "integrations")
	if message != "" {
		p.Flash = message
	}
	return render(c, status, views.ImportPage(p, pv))
}

func importURL(publicID string, id int64) string {
	return "/integrations/" + publicID + "/import/" + strconv.FormatInt(id, 10)
}

func importSummary(i store.CSVImport) string {
	switch i.Status {
	case store.ImportUploaded:
		return "Waiting for its columns to be confirmed"
	case store.ImportFailed:
		return i.Failure
	}
	return fmt.Sprintf("%d created, %d updated, %d unchanged, %d errors", i.Created, i.Updated, i.Unchanged, i.ErrorRows)
}

// uploadCSV reads the multipart upload, refuses a file that is too big or not CSV with a
// message on the page, and stores it with the columns guessed from its headers.
func (h *integrationPages) uploadCSV(c echo.Context) error {
	in, dialect, err := h.importable(c)
	if err != nil {
		return err
	}
	fh, err := c.FormFile("file")
	if err != nil {
		return h.renderImportPage(c, in, "", http.StatusUnprocessableEntity, "Choose a CSV file to upload.")
	}
	if fh.Size > MaxImportBytes {
		return h.renderImportPage(c, in, "", http.StatusRequestEntityTooLarge, fmt.Sprintf(
			"%s is %.1f MB; the limit is %s. Export fewer projects at a time (for example one year) and upload each file.",
			fh.Filename, float64(fh.Size)/(1<<20), maxImportSizeText))
	}
	f, err := fh.Open()
	if err != nil {
		return h.renderImportPage(c, in, "", http.StatusBadRequest, "The upload could not be read. Try again.")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxImportBytes+1))
	if err != nil {
		return h.renderImportPage(c, in, "", http.StatusBadRequest, "The upload could not be read. Try again.")
	}
	tab, err := csvimport.Parse(bytes.NewReader(data))
	var pe *csvimport.ParseError
	switch {
	case errors.As(err, &pe):
		return h.renderImportPage(c, in, "", http.StatusUnprocessableEntity, fh.Filename+" could not be read as CSV: "+pe.Error()+".")
	case err != nil:
		return err
	case len(tab.Rows) == 0:
		return h.renderImportPage(c, in, "", http.StatusUnprocessableEntity, fh.Filename+" has a header row but no projects.")
	}
	guess := csvimport.Guess(tab.Header, dialect)
	mapping := make(map[string]int, len(guess))
	for f, col := range guess {
		mapping[string(f)] = col
	}
	v := viewerOf(c)
	id, err := h.db.CreateCSVImport(c.Request().Context(), v.Org.ID, v.User.ID, store.NewCSVImport{IntegrationID: in.ID,
		Filename: filepath.Base(fh.Filename), Data: data, Header: tab.Header, Mapping: mapping, TotalRows: len(tab.Rows)})
	if err != nil {
		return err
	}
	return redirect(c, importURL(in.PublicID, id))
}

// rotateWebhookSecret replaces the Zapier signing secret and shows the new one once.
func (h *integrationPages) rotateWebhookSecret(c echo.Context) error {
	in, _, err := h.importable(c)
	if err != nil {
		return err
	}
	v := viewerOf(c)
	secret := zapier.NewSecret()
	if err := h.db.ReplaceIntegrationSecret(c.Request().Context(), v.Org.ID, v.User.ID, h.keys, in.PublicID, zapier.SecretField, secret); err != nil {
		return err
	}
	in, err = h.db.Integration(c.Request().Context(), v.Org.ID, in.PublicID)
	if err != nil {
		return err
	}
	return h.renderImportPage(c, in, secret, http.StatusOK, "New signing secret generated. Copy it now and update your Zaps.")
}

// renderNewIntegrationSecret is the answer to adding a HoneyBook or Dubsado integration: its
// import page with the generated signing secret, shown this once.
func (h *integrationPages) renderNewIntegrationSecret(c echo.Context, in store.Integration, secret string) error {
	return h.renderImportPage(c, in, secret, http.StatusOK,
		h.reg.Label(in.Provider)+" connected. Copy the Zapier signing secret now, then upload an export.")
}
