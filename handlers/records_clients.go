package handlers

import (
	"context"

	"github.com/labstack/echo/v4"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/views"
)

var clientKind = recordKind{entity: "clients", title: "Clients", noun: "client", dateLabel: "Added",
	sorts: []views.Option{{Value: "name", Label: "Name A–Z"}, {Value: "-name", Label: "Name Z–A"},
		{Value: "-date", Label: "Newest first"}, {Value: "date", Label: "Oldest first"}}}

func (s *Server) listClients(c echo.Context) error {
	return listRecords(s, c, clientKind, s.db.ListClients, views.ClientsPage)
}

func (s *Server) newClient(c echo.Context) error {
	return s.clientForm(c, 0, store.ClientInput{}, nil)
}

func (s *Server) createClient(c echo.Context) error {
	v := viewerOf(c)
	return saveRecord(s, c, clientInput, func(in store.ClientInput) error {
		_, err := s.db.CreateClient(c.Request().Context(), v.Org.ID, v.User.ID, in)
		return err
	}, func(in store.ClientInput, errs views.FormErrors) error { return s.clientForm(c, 0, in, errs) },
		"Client added.", clientKind.listURL())
}

func (s *Server) editClient(c echo.Context) error {
	x, err := s.loadClient(c)
	if err != nil {
		return err
	}
	return s.clientForm(c, x.ID, store.ClientInput{Name: x.Name, Email: x.Email, Phone: x.Phone, Notes: x.Notes}, nil)
}

func (s *Server) updateClient(c echo.Context) error {
	v := viewerOf(c)
	x, err := s.loadClient(c)
	if err != nil {
		return err
	}
	return saveRecord(s, c, clientInput, func(in store.ClientInput) error {
		return s.db.UpdateClient(c.Request().Context(), v.Org.ID, v.User.ID, x.ID, in)
	}, func(in store.ClientInput, errs views.FormErrors) error { return s.clientForm(c, x.ID, in, errs) },
		"Client saved.", clientKind.listURL())
}

// loadClient loads the client of the URL's :id (404 when it is not the org's).
func (s *Server) loadClient(c echo.Context) (store.Client, error) {
	id, err := recordID(c)
	if err != nil {
		return store.Client{}, err
	}
	return s.db.Client(c.Request().Context(), viewerOf(c).Org.ID, id)
}

func clientInput(c echo.Context) (store.ClientInput, error) {
	f, err := postedRecordForm(c)
	if err != nil {
		return store.ClientInput{}, err
	}
	return store.ClientInput{Name: f.Get("name"), Email: f.Get("email"), Phone: f.Get("phone"), Notes: f.Get("notes")}, nil
}

// clientForm renders the client form; with errs it is the 422 answer to a rejected post.
func (s *Server) clientForm(c echo.Context, id int64, f store.ClientInput, errs views.FormErrors) error {
	m := clientKind.form(id, errs)
	return render(c, recordFormStatus(errs), views.ClientFormPage(s.page(c, m.Title, "records"), m, f))
}

func (s *Server) clientDeletion() recordDeletion {
	return recordDeletion{kind: clientKind, remove: s.db.DeleteClient,
		consequence: "Their inquiries, bookings and reviews stay, without the link to this client.",
		describe: func(ctx context.Context, orgID, id int64) (string, error) {
			x, err := s.db.Client(ctx, orgID, id)
			return x.Name, err
		}}
}

func (s *Server) confirmDeleteClient(c echo.Context) error {
	return s.confirmRecordDelete(c, s.clientDeletion())
}
func (s *Server) deleteClient(c echo.Context) error { return s.deleteRecord(c, s.clientDeletion()) }
