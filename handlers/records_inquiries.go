package handlers

import (
	"context"
	"errors"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/views"
)

var inquiryKind = recordKind{entity: "inquiries", title: "Inquiries", noun: "inquiry", statuses: store.InquiryStatuses(),
	sourceLabel: "Source", sources: views.InquirySources, dateLabel: "Received",
	sorts: []views.Option{{Value: "-date", Label: "Newest first"}, {Value: "date", Label: "Oldest first"},
		{Value: "wedding", Label: "Wedding date, soonest"}, {Value: "-wedding", Label: "Wedding date, latest"},
		{Value: "-amount", Label: "Estimate, highest"}, {Value: "amount", Label: "Estimate, lowest"},
		{Value: "name", Label: "Client A–Z"}, {Value: "-name", Label: "Client Z–A"}}}

func (s *Server) listInquiries(c echo.Context) error {
	return listRecords(s, c, inquiryKind, s.db.ListInquiries, views.InquiriesPage)
}

func (s *Server) newInquiry(c echo.Context) error {
	return s.inquiryForm(c, nil, store.InquiryInput{ClientID: c.QueryParam("client_id"), Status: "new"}, nil)
}

func (s *Server) createInquiry(c echo.Context) error {
	v := viewerOf(c)
	return saveRecord(s, c, inquiryInput, func(in store.InquiryInput) error {
		_, err := s.db.CreateInquiry(c.Request().Context(), v.Org.ID, v.User.ID, in)
		return err
	}, func(in store.InquiryInput, errs views.FormErrors) error { return s.inquiryForm(c, nil, in, errs) },
		"Inquiry added.", inquiryKind.listURL())
}

func (s *Server) editInquiry(c echo.Context) error {
	x, err := s.loadInquiry(c)
	if err != nil {
		return err
	}
	loc := viewerOf(c).Org.Location()
	return s.inquiryForm(c, &x, store.InquiryInput{ClientID: idText(x.ClientID), Source: x.Source,
		ReceivedAt: localInput(x.ReceivedAt, loc), FirstResponseAt: optionalLocalInput(x.FirstResponseAt, loc),
		WeddingDate: dateInput(x.WeddingDate), Status: x.Status, EstimatedValue: plainMoneyInput(x.EstimatedValue, x.Currency),
		Notes: x.Notes}, nil)
}

func (s *Server) updateInquiry(c echo.Context) error {
	v := viewerOf(c)
	x, err := s.loadInquiry(c)
	if err != nil {
		return err
	}
	return saveRecord(s, c, inquiryInput, func(in store.InquiryInput) error {
		return s.db.UpdateInquiry(c.Request().Context(), v.Org.ID, v.User.ID, x.ID, in)
	}, func(in store.InquiryInput, errs views.FormErrors) error { return s.inquiryForm(c, &x, in, errs) },
		"Inquiry saved.", inquiryKind.listURL())
}

// loadInquiry loads the inquiry of the URL's :id (404 when it is not the org's).
func (s *Server) loadInquiry(c echo.Context) (store.Inquiry, error) {
	id, err := recordID(c)
	if err != nil {
		return store.Inquiry{}, err
	}
	return s.db.Inquiry(c.Request().Context(), viewerOf(c).Org.ID, id)
}

func inquiryInput(c echo.Context) (store.InquiryInput, error) {
	f, err := postedRecordForm(c)
	if err != nil {
		return store.InquiryInput{}, err
	}
	return store.InquiryInput{ClientID: f.Get("client_id"), Source: f.Get("source"), ReceivedAt: f.Get("received_at"),
		FirstResponseAt: f.Get("first_response_at"), WeddingDate: f.Get("wedding_date"), Status: f.Get("status"),
		EstimatedValue: f.Get("estimated_value"), Notes: f.Get("notes")}, nil
}

// inquiryForm renders the inquiry form for a new inquiry (x nil) or the edit of x.
func (s *Server) inquiryForm(c echo.Context, x *store.Inquiry, f store.InquiryInput, errs views.FormErrors) error {
	v := viewerOf(c)
	var id int64
	if x != nil {
		id = x.ID
	}
	m := inquiryKind.form(id, errs)
	var err error
	if m.Clients, err = s.clientChoices(c.Request().Context(), v.Org.ID, f.ClientID); err != nil {
		return err
	}
	if x != nil {
		m.Synced = syncedOrigin(x.ExternalID)
	}
	m.Currency = v.Org.Currency
	return render(c, recordFormStatus(errs), views.InquiryFormPage(s.page(c, m.Title, "records"), m, f))
}

// convertForm is the booking form prefilled from an inquiry.
func (s *Server) convertForm(c echo.Context) error {
	x, err := s.loadInquiry(c)
	if err != nil {
		return err
	}
	if x.BookingID != nil {
		s.flash(c, "This inquiry is already booked.")
		return redirect(c, bookingKind.editURL(*x.BookingID))
	}
	title := ""
	if x.ClientName != "" {
		title = x.ClientName + " wedding"
	}
	return s.convertPage(c, x, store.BookingInput{ClientID: idText(x.ClientID), Title: title,
		WeddingDate: dateInput(x.WeddingDate), Status: "confirmed", Currency: x.Currency,
		ContractAmount: plainMoneyInput(x.EstimatedValue, x.Currency)}, nil)
}

// convertInquiry books an inquiry: a booking is created and the inquiry marked booked.
func (s *Server) convertInquiry(c echo.Context) error {
	v := viewerOf(c)
	x, err := s.loadInquiry(c)
	if err != nil {
		return err
	}
	in, err := bookingInput(c)
	if err != nil {
		return err
	}
	id, err := s.db.ConvertInquiry(c.Request().Context(), v.Org.ID, v.User.ID, x.ID, in)
	if errs, ok := formErrors(err); ok {
		return s.convertPage(c, x, in, errs)
	} else if errors.Is(err, store.ErrConflict) && x.BookingID != nil {
		s.flash(c, "This inquiry is already booked.")
		return redirect(c, bookingKind.editURL(*x.BookingID))
	} else if err != nil {
		return err
	}
	s.flash(c, "Inquiry booked. Record the deposit when it arrives.")
	return redirect(c, bookingKind.editURL(id))
}

// convertPage renders the booking form that books inquiry x.
func (s *Server) convertPage(c echo.Context, x store.Inquiry, f store.BookingInput, errs views.FormErrors) error {
	m, err := s.bookingFrame(c, 0, f, errs)
	if err != nil {
		return err
	}
	m.Entity, m.Form = inquiryKind.entity, "convert"
	m.Title = "Book inquiry #" + strconv.FormatInt(x.ID, 10)
	m.Action = inquiryKind.editURL(x.ID) + "/convert"
	m.Submit = "Create booking"
	f.InquiryID = strconv.FormatInt(x.ID, 10)
	return render(c, recordFormStatus(errs), views.BookingFormPage(s.page(c, m.Title, "records"), m, f))
}

func (s *Server) inquiryDeletion() recordDeletion {
	return recordDeletion{kind: inquiryKind, remove: s.db.DeleteInquiry,
		consequence: "A booking made from it stays, without the link to this inquiry.",
		describe: func(ctx context.Context, orgID, id int64) (string, error) {
			x, err := s.db.Inquiry(ctx, orgID, id)
			who := x.ClientName
			if who == "" {
				who = "no client"
			}
			return "Inquiry from " + x.Source + " (" + who + "), " + x.Status + ".", err
		}}
}

func (s *Server) confirmDeleteInquiry(c echo.Context) error {
	return s.confirmRecordDelete(c, s.inquiryDeletion())
}
func (s *Server) deleteInquiry(c echo.Context) error { return s.deleteRecord(c, s.inquiryDeletion()) }
