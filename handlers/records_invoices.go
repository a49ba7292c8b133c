package handlers

import (
	"context"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/views"
)

var invoiceKind = recordKind{entity: "invoices", title: "Invoices", noun: "invoice", statuses: store.InvoiceFilterStatuses(),
	dateLabel: "Due",
	sorts: []views.Option{{Value: "-date", Label: "Due date, latest"}, {Value: "date", Label: "Due date, soonest"},
		{Value: "-amount", Label: "Amount, highest"}, {Value: "amount", Label: "Amount, lowest"},
		{Value: "-balance", Label: "Balance, highest"}, {Value: "balance", Label: "Balance, lowest"},
		{Value: "name", Label: "Client A–Z"}, {Value: "-name", Label: "Client Z–A"}}}

func (s *Server) listInvoices(c echo.Context) error {
	return listRecords(s, c, invoiceKind, s.db.ListInvoices, views.InvoicesPage)
}

func (s *Server) newInvoice(c echo.Context) error {
	return s.invoiceForm(c, nil, store.InvoiceInput{BookingID: c.QueryParam("booking_id"), Status: "open"}, nil)
}

func (s *Server) createInvoice(c echo.Context) error {
	v := viewerOf(c)
	return saveRecord(s, c, invoiceInput, func(in store.InvoiceInput) error {
		_, err := s.db.CreateInvoice(c.Request().Context(), v.Org.ID, v.User.ID, in)
		return err
	}, func(in store.InvoiceInput, errs views.FormErrors) error { return s.invoiceForm(c, nil, in, errs) },
		"Invoice added.", invoiceKind.listURL())
}

func (s *Server) editInvoice(c echo.Context) error {
	x, err := s.loadInvoice(c)
	if err != nil {
		return err
	}
	return s.invoiceForm(c, &x, store.InvoiceInput{BookingID: strconv.FormatInt(x.BookingID, 10), Number: x.Number,
		DueDate: dateInput(&x.DueDate), Amount: store.FormatMoneyPlain(x.Amount, x.Currency), Status: x.Status}, nil)
}

func (s *Server) updateInvoice(c echo.Context) error {
	v := viewerOf(c)
	x, err := s.loadInvoice(c)
	if err != nil {
		return err
	}
	return saveRecord(s, c, invoiceInput, func(in store.InvoiceInput) error {
		return s.db.UpdateInvoice(c.Request().Context(), v.Org.ID, v.User.ID, x.ID, in)
	}, func(in store.InvoiceInput, errs views.FormErrors) error { return s.invoiceForm(c, &x, in, errs) },
		"Invoice saved.", invoiceKind.listURL())
}

// loadInvoice loads the invoice of the URL's :id (404 when it is not the org's).
func (s *Server) loadInvoice(c echo.Context) (store.Invoice, error) {
	id, err := recordID(c)
	if err != nil {
		return store.Invoice{}, err
	}
	return s.db.Invoice(c.Request().Context(), viewerOf(c).Org.ID, id)
}

func invoiceInput(c echo.Context) (store.InvoiceInput, error) {
	f, err := postedRecordForm(c)
	if err != nil {
		return store.InvoiceInput{}, err
	}
	return store.InvoiceInput{BookingID: f.Get("booking_id"), Number: f.Get("number"), DueDate: f.Get("due_date"),
		Amount: f.Get("amount"), Status: f.Get("status")}, nil
}

// invoiceForm renders the invoice form for a new invoice (x nil) or the edit of x.
func (s *Server) invoiceForm(c echo.Context, x *store.Invoice, f store.InvoiceInput, errs views.FormErrors) error {
	v := viewerOf(c)
	ctx := c.Request().Context()
	var id int64
	if x != nil {
		id = x.ID
	}
	m := invoiceKind.form(id, errs)
	var err error
	if m.Bookings, err = s.bookingChoices(ctx, v.Org.ID, f.BookingID); err != nil {
		return err
	}
	m.Currency = s.bookingCurrency(ctx, v.Org, f.BookingID)
	if x != nil {
		m.Synced = syncedOrigin(x.ExternalID)
	}
	return render(c, recordFormStatus(errs), views.InvoiceFormPage(s.page(c, m.Title, "records"), m, f))
}

// bookingCurrency is the currency of the booking typed in a form, else the organization's.
func (s *Server) bookingCurrency(ctx context.Context, org store.Org, bookingID string) string {
	if id := refID(bookingID); id > 0 {
		if b, err := s.db.Booking(ctx, org.ID, id); err == nil {
			return b.Currency
		}
	}
	return org.Currency
}

func (s *Server) invoiceDeletion() recordDeletion {
	return recordDeletion{kind: invoiceKind, remove: s.db.DeleteInvoice,
		consequence: "Payments recorded against it stay, without the link to this invoice.",
		describe: func(ctx context.Context, orgID, id int64) (string, error) {
			x, err := s.db.Invoice(ctx, orgID, id)
			return "Invoice " + x.Number + " for " + x.BookingLabel() + ": " + store.FormatMoney(x.Amount, x.Currency) +
				", due " + x.DueDate.Format("2006-01-02") + ".", err
		}}
}

func (s *Server) confirmDeleteInvoice(c echo.Context) error {
	return s.confirmRecordDelete(c, s.invoiceDeletion())
}
func (s *Server) deleteInvoice(c echo.Context) error { return s.deleteRecord(c, s.invoiceDeletion()) }
