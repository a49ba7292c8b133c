package store

import (
	"context"
	"net/mail"
	"time"

	"github.com/jackc/pgx/v5"
)

// Client is a couple (or person) the supplier works for.
type Client struct {
	ID         int64
	Name       string
	Email      string
	Phone      string
	Notes      string
	ExternalID string // set when the client came from an integration
	CreatedAt  time.Time
	UpdatedAt  time.Time
	// Bookings is the number of bookings of this client.
	Bookings int
}

// ClientInput is the client form, field by field as typed (form names: name, email, phone, notes).
type ClientInput struct {
	Name, Email, Phone, Notes string
}

// ClientRow is a client as an integration delivers it.
type ClientRow struct {
	IntegrationID int64
	ExternalID    string
	Name          string
	Email         string
	Phone         string
	Notes         string
}

var clientList = listSpec{
	cols: `c.id, c.name, c.email, c.phone, c.notes, coalesce(c.external_id, ''), c.created_at, c.updated_at,
		(select count(*) from bookings b where b.client_id = c.id)`,
	from:       "clients c",
	idCol:      "c.id",
	dateCol:    "c.created_at",
	dateIsTime: true,
	search:     []string{"c.name", "c.email", "c.phone"},
	sorts: map[string]string{
		"name": "lower(c.name)", "-name": "lower(c.name) desc",
		"date": "c.created_at", "-date": "c.created_at desc",
	},
	defaultSort: "name",
}

func scanClient(r pgx.CollectableRow) (Client, error) {
	var c Client
	err := r.Scan(&c.ID, &c.Name, &c.Email, &c.Phone, &c.Notes, &c.ExternalID, &c.CreatedAt, &c.UpdatedAt, &c.Bookings)
	return c, err
}

// validate checks the form and returns the cleaned values.
func (in ClientInput) validate() (ClientInput, error) {
	p := Problems{}
	out := ClientInput{
		Name:  textField(p, "name", in.Name, 200, "Enter the couple's names."),
		Email: textField(p, "email", in.Email, 320, ""),
		Phone: textField(p, "phone", in.Phone, 50, ""),
		Notes: textField(p, "notes", in.Notes, 5000, ""),
	}
	if out.Email != "" {
		if addr, err := mail.ParseAddress(out.Email); err != nil || addr.Address != out.Email {
			p.Add("email", "Enter an email address like name@example.com.")
		}
	}
	return out, p.Err()
}

func (in ClientInput) audit() map[string]any {
	return map[string]any{"name": in.Name, "email": in.Email, "phone": in.Phone, "notes": in.Notes}
}

// CreateClient validates the form and adds a client.
func (db *DB) CreateClient(ctx context.Context, orgID, userID int64, in ClientInput) (int64, error) {
	v, err := in.validate()
	if err != nil {
		return 0, err
	}
	var id int64
	err = db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `insert into clients (org_id, name, email, phone, notes) values ($1, $2, $3, $4, $5)
			returning id`, orgID, v.Name, v.Email, v.Phone, v.Notes).Scan(&id); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "create", "client", id, v.audit())
	})
	return id, recordErr("create client", err)
}

// UpdateClient validates the form and saves it over client id.
func (db *DB) UpdateClient(ctx context.Context, orgID, userID, id int64, in ClientInput) error {
	v, err := in.validate()
	if err != nil {
		return err
	}
	err = db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		old, err := getOne(ctx, tx, clientList, id, scanClient)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `update clients set name = $2, email = $3, phone = $4, notes = $5, updated_at = now()
			where id = $1`, id, v.Name, v.Email, v.Phone, v.Notes); err != nil {
			return err
		}
		was := ClientInput{Name: old.Name, Email: old.Email, Phone: old.Phone, Notes: old.Notes}
		return audit(ctx, tx, orgID, userID, "update", "client", id, changes(was.audit(), v.audit()))
	})
	return recordErr("update client", err)
}

// DeleteClient removes a client; their inquiries, bookings and reviews stay, without the link.
func (db *DB) DeleteClient(ctx context.Context, orgID, userID, id int64) error {
	err := db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		var name string
		if err := tx.QueryRow(ctx, "delete from clients where id = $1 returning name", id).Scan(&name); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "delete", "client", id, map[string]any{"name": name})
	})
	return recordErr("delete client", err)
}

// Client loads one client; ErrNotFound for an unknown id or another organization's.
func (db *DB) Client(ctx context.Context, orgID, id int64) (Client, error) {
	var c Client
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) (err error) {
		c, err = getOne(ctx, tx, clientList, id, scanClient)
		return err
	})
	return c, recordErr("client", err)
}

// ListClients lists clients. Sorts: name (default), -name, date, -date (created); Q searches
// name, email and phone; From/To filter the creation date.
func (db *DB) ListClients(ctx context.Context, orgID int64, q ListQuery) (Page[Client], error) {
	var page Page[Client]
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) (err error) {
		page, err = list(ctx, tx, clientList, q, scanClient)
		return err
	})
	return page, recordErr("list clients", err)
}

// ClientOptions offers the most recent clients for a select box.
func (db *DB) ClientOptions(ctx context.Context, orgID int64) ([]Option, error) {
	var out []Option
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) (err error) {
		out, err = options(ctx, tx, "select id, array[name] from clients order by created_at desc, id desc",
			func(_ int64, parts []string) string { return parts[0] })
		return err
	})
	return out, recordErr("client options", err)
}

// UpsertClient writes a client from an integration inside the sync's transaction, keyed on
// (integration, external id). Over-long text is shortened rather than failing the sync.
func (db *DB) UpsertClient(ctx context.Context, tx pgx.Tx, orgID int64, r ClientRow) (created bool, err error) {
	if err := checkExternal("upsert client", r.IntegrationID, r.ExternalID); err != nil {
		return false, err
	}
	name := clip(r.Name, 200)
	if name == "" {
		name = "(no name)"
	}
	if err := checkRefs(ctx, tx, "upsert client", ref{"integrations", &r.IntegrationID}); err != nil {
		return false, err
	}
	err = tx.QueryRow(ctx, `insert into clients (org_id, integration_id, external_id, name, email, phone, notes)
		values ($1, $2, $3, $4, $5, $6, $7)
		on conflict (integration_id, external_id) do update set name = excluded.name, email = excluded.email,
			phone = excluded.phone, notes = excluded.notes, updated_at = now()
		returning (xmax = 0)`, orgID, r.IntegrationID, r.ExternalID, name, clip(r.Email, 320), clip(r.Phone, 50),
		clip(r.Notes, 5000)).Scan(&created)
	return created, wrap("upsert client", err)
}
