package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/views"
)

// recordID is the :id of the URL; anything but a positive number is a page that does not exist.
func recordID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.ErrNotFound
	}
	return id, nil
}

// postedRecordForm reads the posted form; a body that cannot be read is a 400.
func postedRecordForm(c echo.Context) (url.Values, error) {
	form, err := c.FormParams()
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	return form, nil
}

// form builds the frame of a record form: a new record when id is 0, else the edit of id.
func (k recordKind) form(id int64, errs views.FormErrors) views.RecordForm {
	m := views.RecordForm{Entity: k.entity, ID: id, Noun: k.noun, Errs: errs}
	if id == 0 {
		m.Title, m.Action, m.Submit = "New "+k.noun, k.listURL(), "Add "+k.noun
	} else {
		m.Title, m.Action, m.Submit = "Edit "+k.noun, k.editURL(id), "Save "+k.noun
	}
	return m
}

// saveRecord reads the posted form and writes it with write; when the store refuses the values,
// form renders them again with the store's messages (422), else a flash leads on to next.
func saveRecord[In any](s *Server, c echo.Context, read func(echo.Context) (In, error), write func(In) error,
	form func(In, views.FormErrors) error, flash, next string) error {
	in, err := read(c)
	if err != nil {
		return err
	}
	err = write(in)
	if errs, ok := formErrors(err); ok {
		return form(in, errs)
	} else if err != nil {
		return err
	}
	s.flash(c, flash)
	return redirect(c, next)
}

// recordFormStatus is 422 when the form has messages, else 200.
func recordFormStatus(errs views.FormErrors) int {
	if len(errs) > 0 {
		return http.StatusUnprocessableEntity
	}
	return http.StatusOK
}

// optionChoices turns the store's options into select options.
func optionChoices(opts []store.Option) []views.Option {
	out := make([]views.Option, len(opts))
	for i, o := range opts {
		out[i] = views.Option{Value: strconv.FormatInt(o.ID, 10), Label: o.Label}
	}
	return out
}

// withCurrent makes sure value (with its label) is a choice, even when the record it names is
// older than the choices the store offers, so a prefilled or saved reference stays selected.
func withCurrent(opts []views.Option, value, label string) []views.Option {
	if value == "" || label == "" || hasChoice(opts, value) {
		return opts
	}
	return append([]views.Option{{Value: value, Label: label}}, opts...)
}

func hasChoice(opts []views.Option, value string) bool {
	for _, o := range opts {
		if o.Value == value {
			return true
		}
	}
	return false
}

// refID parses a reference typed in a form or query string (0 when it is not a positive number).
func refID(v string) int64 {
	id, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

// clientChoices are the client choices of a form, including the client that value names.
func (s *Server) clientChoices(ctx context.Context, orgID int64, value string) ([]views.Option, error) {
	opts, err := s.db.ClientOptions(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := optionChoices(opts)
	if id := refID(value); id > 0 && !hasChoice(out, value) {
		if x, err := s.db.Client(ctx, orgID, id); err == nil {
			out = withCurrent(out, value, x.Name)
		}
	}
	return out, nil
}

// bookingChoices are the booking choices of a form, including the booking that value names.
func (s *Server) bookingChoices(ctx context.Context, orgID int64, value string) ([]views.Option, error) {
	opts, err := s.db.BookingOptions(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := optionChoices(opts)
	if id := refID(value); id > 0 && !hasChoice(out, value) {
		if x, err := s.db.Booking(ctx, orgID, id); err == nil {
			out = withCurrent(out, value, x.WeddingDate.Format(time.DateOnly)+" · "+x.Label())
		}
	}
	return out, nil
}

// invoiceChoices are the invoice choices of a form, including the invoice that value names.
func (s *Server) invoiceChoices(ctx context.Context, orgID int64, value string) ([]views.Option, error) {
	opts, err := s.db.InvoiceOptions(ctx, orgID)
	if err != nil {
		return nil, err
	}
	out := optionChoices(opts)
	if id := refID(value); id > 0 && !hasChoice(out, value) {
		if x, err := s.db.Invoice(ctx, orgID, id); err == nil {
			number := x.Number
			if number == "" {
				number = value
			}
			out = withCurrent(out, value, "#"+number+" · "+x.BookingLabel()+" (due "+x.DueDate.Format(time.DateOnly)+")")
		}
	}
	return out, nil
}

// idText renders an optional id for a form ("" for none).
func idText(id *int64) string {
	if id == nil {
		return ""
	}
	return strconv.FormatInt(*id, 10)
}

// localInput renders a time for a datetime-local input in loc.
func localInput(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01-02T15:04") }

// optionalLocalInput is localInput for an optional time.
func optionalLocalInput(t *time.Time, loc *time.Location) string {
	if t == nil {
		return ""
	}
	return localInput(*t, loc)
}

// dateInput renders an optional local date for a date input.
func dateInput(d *time.Time) string {
	if d == nil {
		return ""
	}
	return d.Format(time.DateOnly)
}

// plainMoneyInput renders an optional amount for a money input.
func plainMoneyInput(minor *int64, currency string) string {
	if minor == nil {
		return ""
	}
	return store.FormatMoneyPlain(*minor, currency)
}

// syncedOrigin names the origin of a record that came from an integration ("" when entered here).
func syncedOrigin(externalID string) string {
	if externalID == "" {
		return ""
	}
	return "an integration"
}

// recordDeletion is how one kind of record is described and deleted.
type recordDeletion struct {
	kind recordKind
	// describe loads the record (store.ErrNotFound when it is not the org's) and summarizes it.
	describe func(ctx context.Context, orgID, id int64) (summary string, err error)
	remove   func(ctx context.Context, orgID, userID, id int64) error
	// consequence says what else the delete does ("" when nothing).
	consequence string
}

// confirmRecordDelete shows the confirmation page of a delete; it works without JavaScript.
func (s *Server) confirmRecordDelete(c echo.Context, d recordDeletion) error {
	id, err := recordID(c)
	if err != nil {
		return err
	}
	summary, err := d.describe(c.Request().Context(), viewerOf(c).Org.ID, id)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.DeletePage(s.page(c, "Delete "+d.kind.noun, "records"),
		views.DeleteConfirm{Entity: d.kind.entity, Noun: d.kind.noun, ID: id, Summary: summary, Consequence: d.consequence}))
}

// deleteRecord deletes after a confirmation: the confirmation page's form (confirm=yes) or the
// edit page's form sent by htmx after the data-confirm dialog. A plain post of the edit page's
// form (no JavaScript, so no dialog) is sent to the confirmation page first.
func (s *Server) deleteRecord(c echo.Context, d recordDeletion) error {
	id, err := recordID(c)
	if err != nil {
		return err
	}
	v := viewerOf(c)
	ctx := c.Request().Context()
	if c.Request().Header.Get("HX-Request") == "" && c.FormValue("confirm") != "yes" {
		if _, err := d.describe(ctx, v.Org.ID, id); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, d.kind.editURL(id)+"/delete")
	}
	if err := d.remove(ctx, v.Org.ID, v.User.ID, id); err != nil {
		return err
	}
	s.flash(c, strings.ToUpper(d.kind.noun[:1])+d.kind.noun[1:]+" deleted.")
	return redirect(c, d.kind.listURL())
}
