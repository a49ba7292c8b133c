package handlers

import (
	"context"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/views"
)

var reviewKind = recordKind{entity: "reviews", title: "Reviews", noun: "review",
	sourceLabel: "Source", sources: views.ReviewSources, dateLabel: "Received",
	sorts: []views.Option{{Value: "-date", Label: "Newest first"}, {Value: "date", Label: "Oldest first"},
		{Value: "-rating", Label: "Rating, highest"}, {Value: "rating", Label: "Rating, lowest"},
		{Value: "name", Label: "Client A–Z"}, {Value: "-name", Label: "Client Z–A"}}}

func (s *Server) listReviews(c echo.Context) error {
	return listRecords(s, c, reviewKind, s.db.ListReviews, views.ReviewsPage)
}

func (s *Server) newReview(c echo.Context) error {
	return s.reviewForm(c, nil, store.ReviewInput{BookingID: c.QueryParam("booking_id")}, nil)
}

func (s *Server) createReview(c echo.Context) error {
	v := viewerOf(c)
	return saveRecord(s, c, reviewInput, func(in store.ReviewInput) error {
		_, err := s.db.CreateReview(c.Request().Context(), v.Org.ID, v.User.ID, in)
		return err
	}, func(in store.ReviewInput, errs views.FormErrors) error { return s.reviewForm(c, nil, in, errs) },
		"Review added.", reviewKind.listURL())
}

func (s *Server) editReview(c echo.Context) error {
	x, err := s.loadReview(c)
	if err != nil {
		return err
	}
	return s.reviewForm(c, &x, store.ReviewInput{BookingID: idText(x.BookingID), ClientID: idText(x.ClientID),
		Rating: strconv.Itoa(x.Rating), Body: x.Body, Source: x.Source,
		ReceivedAt: localInput(x.ReceivedAt, viewerOf(c).Org.Location())}, nil)
}

func (s *Server) updateReview(c echo.Context) error {
	v := viewerOf(c)
	x, err := s.loadReview(c)
	if err != nil {
		return err
	}
	return saveRecord(s, c, reviewInput, func(in store.ReviewInput) error {
		return s.db.UpdateReview(c.Request().Context(), v.Org.ID, v.User.ID, x.ID, in)
	}, func(in store.ReviewInput, errs views.FormErrors) error { return s.reviewForm(c, &x, in, errs) },
		"Review saved.", reviewKind.listURL())
}

// loadReview loads the review of the URL's :id (404 when it is not the org's).
func (s *Server) loadReview(c echo.Context) (store.Review, error) {
	id, err := recordID(c)
	if err != nil {
		return store.Review{}, err
	}
	return s.db.Review(c.Request().Context(), viewerOf(c).Org.ID, id)
}

func reviewInput(c echo.Context) (store.ReviewInput, error) {
	f, err := postedRecordForm(c)
	if err != nil {
		return store.ReviewInput{}, err
	}
	return store.ReviewInput{BookingID: f.Get("booking_id"), ClientID: f.Get("client_id"), Rating: f.Get("rating"),
		Body: f.Get("body"), Source: f.Get("source"), ReceivedAt: f.Get("received_at")}, nil
}

// reviewForm renders the review form for a new review (x nil) or the edit of x.
func (s *Server) reviewForm(c echo.Context, x *store.Review, f store.ReviewInput, errs views.FormErrors) error {
	v := viewerOf(c)
	ctx := c.Request().Context()
	bookings, err := s.bookingChoices(ctx, v.Org.ID, f.BookingID)
	if err != nil {
		return err
	}
	clients, err := s.clientChoices(ctx, v.Org.ID, f.ClientID)
	if err != nil {
		return err
	}
	var id int64
	if x != nil {
		id = x.ID
	}
	m := reviewKind.form(id, errs)
	m.Bookings, m.Clients = bookings, clients
	if x != nil {
		m.Synced = syncedOrigin(x.ExternalID)
	}
	return render(c, recordFormStatus(errs), views.ReviewFormPage(s.page(c, m.Title, "records"), m, f))
}

func (s *Server) reviewDeletion() recordDeletion {
	return recordDeletion{kind: reviewKind, remove: s.db.DeleteReview,
		describe: func(ctx context.Context, orgID, id int64) (string, error) {
			x, err := s.db.Review(ctx, orgID, id)
			who := ""
			if x.ClientName != "" {
				who = " from " + x.ClientName
			}
			return strconv.Itoa(x.Rating) + "-star review" + who + " (" + x.Source + ").", err
		}}
}

func (s *Server) confirmDeleteReview(c echo.Context) error {
	return s.confirmRecordDelete(c, s.reviewDeletion())
}
func (s *Server) deleteReview(c echo.Context) error { return s.deleteRecord(c, s.reviewDeletion()) }
