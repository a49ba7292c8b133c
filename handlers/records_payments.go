package handlers

import (
	"context"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/views"
)

var paymentKind = recordKind{entity: "payments", title: "Payments", noun: "payment", statuses: store.PaymentStatuses(),
	sourceLabel: "Provider", sources: views.PaymentProviders, dateLabel: "Paid",
	sorts: []views.Option{{Value: "-date", Label: "Newest first"}, {Value: "date", Label: "Oldest first"},
		{Value: "-amount", Label: "Amount, highest"}, {Value: "amount", Label: "Amount, lowest"},
		{Value: "name", Label: "Client A–Z"}, {Value: "-name", Label: "Client Z–A"}}}

func (s *Server) listPayments(c echo.Context) error {
	return listRecords(s, c, paymentKind, s.db.ListPayments, views.PaymentsPage)
}

// newPayment is the manual payment form, prefilled with ?booking_id= or ?invoice_id=.
func (s *Server) newPayment(c echo.Context) error {
	return s.paymentForm(c, nil, store.PaymentInput{BookingID: c.QueryParam("booking_id"),
		InvoiceID: c.QueryParam("invoice_id"), Status: "succeeded"}, nil)
}

func (s *Server) createPayment(c echo.Context) error {
	v := viewerOf(c)
	return saveRecord(s, c, paymentInput, func(in store.PaymentInput) error {
		_, err := s.db.CreatePayment(c.Request().Context(), v.Org.ID, v.User.ID, in)
		return err
	}, func(in store.PaymentInput, errs views.FormErrors) error { return s.paymentForm(c, nil, in, errs) },
		"Payment recorded.", paymentKind.listURL())
}

func (s *Server) editPayment(c echo.Context) error {
	x, err := s.loadPayment(c)
	if err != nil {
		return err
	}
	return s.paymentForm(c, &x, store.PaymentInput{BookingID: idText(x.BookingID), InvoiceID: idText(x.InvoiceID),
		Amount: store.FormatMoneyPlain(x.Amount, x.Currency), RefundedAmount: store.FormatMoneyPlain(x.RefundedAmount, x.Currency),
		Fee: store.FormatMoneyPlain(x.Fee, x.Currency), Currency: x.Currency, Status: x.Status,
		PaidAt: localInput(x.PaidAt, viewerOf(c).Org.Location()), Note: x.Note}, nil)
}

func (s *Server) updatePayment(c echo.Context) error {
	v := viewerOf(c)
	x, err := s.loadPayment(c)
	if err != nil {
		return err
	}
	return saveRecord(s, c, paymentInput, func(in store.PaymentInput) error {
		return s.db.UpdatePayment(c.Request().Context(), v.Org.ID, v.User.ID, x.ID, in)
	}, func(in store.PaymentInput, errs views.FormErrors) error { return s.paymentForm(c, &x, in, errs) },
		"Payment saved.", paymentKind.listURL())
}

// loadPayment loads the payment of the URL's :id (404 when it is not the org's).
func (s *Server) loadPayment(c echo.Context) (store.Payment, error) {
	id, err := recordID(c)
	if err != nil {
		return store.Payment{}, err
	}
	return s.db.Payment(c.Request().Context(), viewerOf(c).Org.ID, id)
}

func paymentInput(c echo.Context) (store.PaymentInput, error) {
	f, err := postedRecordForm(c)
	if err != nil {
		return store.PaymentInput{}, err
	}
	return store.PaymentInput{BookingID: f.Get("booking_id"), InvoiceID: f.Get("invoice_id"), Amount: f.Get("amount"),
		RefundedAmount: f.Get("refunded_amount"), Fee: f.Get("fee"), Currency: f.Get("currency"), Status: f.Get("status"),
		PaidAt: f.Get("paid_at"), Note: f.Get("note")}, nil
}

// paymentForm renders the payment form for a new payment (x nil) or the edit of x.
func (s *Server) paymentForm(c echo.Context, x *store.Payment, f store.PaymentInput, errs views.FormErrors) error {
	v := viewerOf(c)
	ctx := c.Request().Context()
	bookings, err := s.bookingChoices(ctx, v.Org.ID, f.BookingID)
	if err != nil {
		return err
	}
	invoices, err := s.invoiceChoices(ctx, v.Org.ID, f.InvoiceID)
	if err != nil {
		return err
	}
	var id int64
	if x != nil {
		id = x.ID
	}
	m := paymentKind.form(id, errs)
	if id == 0 {
		m.Title, m.Submit = "Record a payment", "Record payment"
	}
	m.Bookings, m.Invoices = bookings, invoices
	m.Currency = s.paymentCurrency(ctx, v.Org, f)
	if x != nil {
		if x.Provider != "manual" {
			m.Synced = x.Provider
		}
	}
	return render(c, recordFormStatus(errs), views.PaymentFormPage(s.page(c, m.Title, "records"), m, f))
}

// paymentCurrency is the currency shown with the payment form's amounts: the one chosen, else
// the invoice's or booking's, else the organization's.
func (s *Server) paymentCurrency(ctx context.Context, org store.Org, f store.PaymentInput) string {
	if cur := strings.ToUpper(strings.TrimSpace(f.Currency)); store.ValidCurrency(cur) {
		return cur
	}
	if id := refID(f.InvoiceID); id > 0 {
		if inv, err := s.db.Invoice(ctx, org.ID, id); err == nil {
			return inv.Currency
		}
	}
	return s.bookingCurrency(ctx, org, f.BookingID)
}

func (s *Server) paymentDeletion() recordDeletion {
	return recordDeletion{kind: paymentKind, remove: s.db.DeletePayment,
		consequence: "An invoice it paid shows the amount as owed again.",
		describe: func(ctx context.Context, orgID, id int64) (string, error) {
			x, err := s.db.Payment(ctx, orgID, id)
			what := store.FormatMoney(x.Amount, x.Currency) + " (" + x.Provider + ", " + x.Status + ")"
			if x.BookingID != nil {
				what += " for " + x.BookingLabel()
			}
			return "Payment of " + what + ".", err
		}}
}

func (s *Server) confirmDeletePayment(c echo.Context) error {
	return s.confirmRecordDelete(c, s.paymentDeletion())
}
func (s *Server) deletePayment(c echo.Context) error { return s.deleteRecord(c, s.paymentDeletion()) }
