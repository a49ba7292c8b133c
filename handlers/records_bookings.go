package handlers

import (
	"context"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/views"
)

var bookingKind = recordKind{entity: "bookings", title: "Bookings", noun: "booking", statuses: store.BookingStatuses(),
	dateLabel: "Wedding",
	sorts: []views.Option{{Value: "-date", Label: "Wedding date, latest"}, {Value: "date", Label: "Wedding date, soonest"},
		{Value: "-booked", Label: "Booked, newest"}, {Value: "booked", Label: "Booked, oldest"},
		{Value: "-amount", Label: "Contract, highest"}, {Value: "amount", Label: "Contract, lowest"},
		{Value: "name", Label: "Client A–Z"}, {Value: "-name", Label: "Client Z–A"}}}

func (s *Server) listBookings(c echo.Context) error {
	return listRecords(s, c, bookingKind, s.db.ListBookings, views.BookingsPage)
}

func (s *Server) newBooking(c echo.Context) error {
	return s.bookingForm(c, nil, store.BookingInput{ClientID: c.QueryParam("client_id"), Status: "confirmed",
		Currency: viewerOf(c).Org.Currency}, nil)
}

func (s *Server) createBooking(c echo.Context) error {
	v := viewerOf(c)
	return saveRecord(s, c, bookingInput, func(in store.BookingInput) error {
		_, err := s.db.CreateBooking(c.Request().Context(), v.Org.ID, v.User.ID, in)
		return err
	}, func(in store.BookingInput, errs views.FormErrors) error { return s.bookingForm(c, nil, in, errs) },
		"Booking added.", bookingKind.listURL())
}

func (s *Server) editBooking(c echo.Context) error {
	x, err := s.loadBooking(c)
	if err != nil {
		return err
	}
	return s.bookingForm(c, &x, store.BookingInput{InquiryID: idText(x.InquiryID), ClientID: idText(x.ClientID),
		Title: x.Title, WeddingDate: dateInput(&x.WeddingDate), BookedAt: localInput(x.BookedAt, viewerOf(c).Org.Location()),
		Status: x.Status, ContractAmount: store.FormatMoneyPlain(x.ContractAmount, x.Currency), Currency: x.Currency}, nil)
}

func (s *Server) updateBooking(c echo.Context) error {
	v := viewerOf(c)
	x, err := s.loadBooking(c)
	if err != nil {
		return err
	}
	return saveRecord(s, c, bookingInput, func(in store.BookingInput) error {
		return s.db.UpdateBooking(c.Request().Context(), v.Org.ID, v.User.ID, x.ID, in)
	}, func(in store.BookingInput, errs views.FormErrors) error { return s.bookingForm(c, &x, in, errs) },
		"Booking saved.", bookingKind.listURL())
}

// loadBooking loads the booking of the URL's :id (404 when it is not the org's).
func (s *Server) loadBooking(c echo.Context) (store.Booking, error) {
	id, err := recordID(c)
	if err != nil {
		return store.Booking{}, err
	}
	return s.db.Booking(c.Request().Context(), viewerOf(c).Org.ID, id)
}

func bookingInput(c echo.Context) (store.BookingInput, error) {
	f, err := postedRecordForm(c)
	if err != nil {
		return store.BookingInput{}, err
	}
	return store.BookingInput{InquiryID: f.Get("inquiry_id"), ClientID: f.Get("client_id"), Title: f.Get("title"),
		WeddingDate: f.Get("wedding_date"), BookedAt: f.Get("booked_at"), Status: f.Get("status"),
		ContractAmount: f.Get("contract_amount"), Currency: f.Get("currency")}, nil
}

// bookingFrame is the frame of a booking form with its client choices and currency.
func (s *Server) bookingFrame(c echo.Context, id int64, f store.BookingInput, errs views.FormErrors) (views.RecordForm, error) {
	v := viewerOf(c)
	m := bookingKind.form(id, errs)
	var err error
	if m.Clients, err = s.clientChoices(c.Request().Context(), v.Org.ID, f.ClientID); err != nil {
		return m, err
	}
	m.Currency = strings.ToUpper(strings.TrimSpace(f.Currency))
	if !store.ValidCurrency(m.Currency) {
		m.Currency = v.Org.Currency
	}
	return m, nil
}

// bookingForm renders the booking form for a new booking (x nil) or the edit of x.
func (s *Server) bookingForm(c echo.Context, x *store.Booking, f store.BookingInput, errs views.FormErrors) error {
	var id int64
	if x != nil {
		id = x.ID
	}
	m, err := s.bookingFrame(c, id, f, errs)
	if err != nil {
		return err
	}
	if x != nil {
		m.Synced = syncedOrigin(x.ExternalID)
	}
	return render(c, recordFormStatus(errs), views.BookingFormPage(s.page(c, m.Title, "records"), m, f))
}

func (s *Server) bookingDeletion() recordDeletion {
	return recordDeletion{kind: bookingKind, remove: s.db.DeleteBooking,
		consequence: "Its invoices are deleted too; its payments and reviews stay, without the link.",
		describe: func(ctx context.Context, orgID, id int64) (string, error) {
			x, err := s.db.Booking(ctx, orgID, id)
			return x.Label() + ", wedding on " + x.WeddingDate.Format("Mon 2006-01-02") + ".", err
		}}
}

func (s *Server) confirmDeleteBooking(c echo.Context) error {
	return s.confirmRecordDelete(c, s.bookingDeletion())
}
func (s *Server) deleteBooking(c echo.Context) error { return s.deleteRecord(c, s.bookingDeletion()) }
