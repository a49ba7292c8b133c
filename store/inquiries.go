package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Inquiry is a lead: someone asked about a wedding.
type Inquiry struct {
	ID              int64
	ClientID        *int64
	ClientName      string
	Source          string
	ReceivedAt      time.Time
	FirstResponseAt *time.Time
	WeddingDate     *time.Time // a local date, at midnight UTC
	Status          string
	EstimatedValue  *int64 // minor units of Currency
	Currency        string
	Notes           string
	ExternalID      string
	// BookingID is the booking made from this inquiry, if any.
	BookingID *int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// InquiryInput is the inquiry form as typed. Form names: client_id, source, received_at and
// first_response_at (datetime-local in the org's timezone; received_at defaults to now on
// create), wedding_date (YYYY-MM-DD), status, estimated_value (in the org's currency), notes.
type InquiryInput struct {
	ClientID, Source, ReceivedAt, FirstResponseAt, WeddingDate, Status, EstimatedValue, Notes string
}

// InquiryRow is an inquiry as an integration delivers it.
type InquiryRow struct {
	IntegrationID   int64
	ExternalID      string
	ClientID        *int64
	Source          string
	ReceivedAt      time.Time
	FirstResponseAt *time.Time
	WeddingDate     *time.Time
	Status          string
	EstimatedValue  *int64
	Currency        string
	Notes           string
}

// InquiryStatuses are the stages of an inquiry, in order.
func InquiryStatuses() []string { return []string{"new", "contacted", "proposal", "booked", "lost"} }

var inquiryList = listSpec{
	cols: `i.id, i.client_id, coalesce(c.name, ''), i.source, i.received_at, i.first_response_at, i.wedding_date,
		i.status, i.estimated_value, i.currency, i.notes, coalesce(i.external_id, ''),
		(select min(b.id) from bookings b where b.inquiry_id = i.id), i.created_at, i.updated_at`,
	from:       "inquiries i left join clients c on c.id = i.client_id",
	idCol:      "i.id",
	dateCol:    "i.received_at",
	dateIsTime: true,
	statusCol:  "i.status",
	statuses:   InquiryStatuses(),
	sourceCol:  "i.source",
	search:     []string{"c.name", "c.email", "i.notes"},
	sorts: map[string]string{
		"date": "i.received_at", "-date": "i.received_at desc",
		"wedding": "i.wedding_date nulls last", "-wedding": "i.wedding_date desc nulls last",
		"amount": "i.estimated_value nulls first", "-amount": "i.estimated_value desc nulls last",
		"name": "lower(c.name) nulls last", "-name": "lower(c.name) desc nulls last",
	},
	defaultSort: "-date",
}

func scanInquiry(r pgx.CollectableRow) (Inquiry, error) {
	var i Inquiry
	err := r.Scan(&i.ID, &i.ClientID, &i.ClientName, &i.Source, &i.ReceivedAt, &i.FirstResponseAt, &i.WeddingDate,
		&i.Status, &i.EstimatedValue, &i.Currency, &i.Notes, &i.ExternalID, &i.BookingID, &i.CreatedAt, &i.UpdatedAt)
	return i, err
}

func (i Inquiry) audit() map[string]any {
	m := map[string]any{"client_id": deref(i.ClientID), "source": i.Source, "received_at": i.ReceivedAt.UTC().Format(time.RFC3339),
		"first_response_at": nil, "wedding_date": dateString(i.WeddingDate), "status": i.Status,
		"estimated_value": deref(i.EstimatedValue), "currency": i.Currency, "notes": i.Notes}
	if i.FirstResponseAt != nil {
		m["first_response_at"] = i.FirstResponseAt.UTC().Format(time.RFC3339)
	}
	return m
}

// validate checks the form inside tx (references must be visible in the org's scope); creating
// lets received_at default to now.
func (in InquiryInput) validate(ctx context.Context, tx pgx.Tx, creating bool, now time.Time) (Inquiry, error) {
	org, err := orgTx(ctx, tx)
	if err != nil {
		return Inquiry{}, err
	}
	loc := org.Location()
	p := Problems{}
	v := Inquiry{
		ClientID:        idField(p, "client_id", in.ClientID, "Choose an existing client."),
		Source:          textField(p, "source", in.Source, 50, ""),
		FirstResponseAt: dateTimeField(p, "first_response_at", in.FirstResponseAt, loc, false),
		WeddingDate:     dateField(p, "wedding_date", in.WeddingDate, false),
		Status:          enumField(p, "status", in.Status, "new", InquiryStatuses()),
		EstimatedValue:  moneyField(p, "estimated_value", in.EstimatedValue, org.Currency, false),
		Currency:        org.Currency,
		Notes:           textField(p, "notes", in.Notes, 5000, ""),
	}
	if v.Source == "" {
		v.Source = "website"
	}
	if at := dateTimeField(p, "received_at", in.ReceivedAt, loc, !creating); at != nil {
		v.ReceivedAt = *at
	} else {
		v.ReceivedAt = now
	}
	if v.FirstResponseAt != nil && v.FirstResponseAt.Before(v.ReceivedAt) {
		p.Add("first_response_at", "The first response cannot be before the inquiry arrived.")
	}
	if err := refExists(ctx, tx, p, "client_id", "clients", v.ClientID, "Choose an existing client."); err != nil {
		return v, err
	}
	return v, p.Err()
}

// CreateInquiry validates the form and records an inquiry.
func (db *DB) CreateInquiry(ctx context.Context, orgID, userID int64, in InquiryInput) (int64, error) {
	var id int64
	err := db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		v, err := in.validate(ctx, tx, true, db.now())
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `insert into inquiries (org_id, client_id, source, received_at, first_response_at,
			wedding_date, status, estimated_value, currency, notes) values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id`,
			orgID, v.ClientID, v.Source, v.ReceivedAt, v.FirstResponseAt, v.WeddingDate, v.Status, v.EstimatedValue,
			v.Currency, v.Notes).Scan(&id); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "create", "inquiry", id, v.audit())
	})
	return id, recordErr("create inquiry", err)
}

// UpdateInquiry validates the form and saves it over inquiry id.
func (db *DB) UpdateInquiry(ctx context.Context, orgID, userID, id int64, in InquiryInput) error {
	err := db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		old, err := getOne(ctx, tx, inquiryList, id, scanInquiry)
		if err != nil {
			return err
		}
		v, err := in.validate(ctx, tx, false, db.now())
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `update inquiries set client_id = $2, source = $3, received_at = $4, first_response_at = $5,
			wedding_date = $6, status = $7, estimated_value = $8, currency = $9, notes = $10, updated_at = now() where id = $1`,
			id, v.ClientID, v.Source, v.ReceivedAt, v.FirstResponseAt, v.WeddingDate, v.Status, v.EstimatedValue,
			v.Currency, v.Notes); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "update", "inquiry", id, changes(old.audit(), v.audit()))
	})
	return recordErr("update inquiry", err)
}

// DeleteInquiry removes an inquiry; a booking made from it stays, without the link.
func (db *DB) DeleteInquiry(ctx context.Context, orgID, userID, id int64) error {
	err := db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		var source, status string
		if err := tx.QueryRow(ctx, "delete from inquiries where id = $1 returning source, status", id).Scan(&source, &status); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "delete", "inquiry", id, map[string]any{"source": source, "status": status})
	})
	return recordErr("delete inquiry", err)
}

// Inquiry loads one inquiry; ErrNotFound for an unknown id or another organization's.
func (db *DB) Inquiry(ctx context.Context, orgID, id int64) (Inquiry, error) {
	var i Inquiry
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) (err error) {
		i, err = getOne(ctx, tx, inquiryList, id, scanInquiry)
		return err
	})
	return i, recordErr("inquiry", err)
}

// ListInquiries lists inquiries. Sorts: date (received), -date (default), wedding, -wedding,
// amount, -amount, name, -name; Status and Source filter; Q searches the client's name and email
// and the notes; From/To filter the received day.
func (db *DB) ListInquiries(ctx context.Context, orgID int64, q ListQuery) (Page[Inquiry], error) {
	var page Page[Inquiry]
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) (err error) {
		page, err = list(ctx, tx, inquiryList, q, scanInquiry)
		return err
	})
	return page, recordErr("list inquiries", err)
}

// UpsertInquiry writes an inquiry from an integration inside the sync's transaction, keyed on
// (integration, external id).
func (db *DB) UpsertInquiry(ctx context.Context, tx pgx.Tx, orgID int64, r InquiryRow) (created bool, err error) {
	if err := checkExternal("upsert inquiry", r.IntegrationID, r.ExternalID); err != nil {
		return false, err
	}
	if r.Status == "" {
		r.Status = "new"
	}
	if !contains(InquiryStatuses(), r.Status) || !ValidCurrency(r.Currency) || (r.EstimatedValue != nil && *r.EstimatedValue < 0) {
		return false, fmt.Errorf("upsert inquiry %s: invalid status %q, currency %q or value", r.ExternalID, r.Status, r.Currency)
	}
	source := clip(r.Source, 50)
	if source == "" {
		source = "website"
	}
	if err := checkRefs(ctx, tx, "upsert inquiry", ref{"integrations", &r.IntegrationID}, ref{"clients", r.ClientID}); err != nil {
		return false, err
	}
	err = tx.QueryRow(ctx, `insert into inquiries (org_id, integration_id, external_id, client_id, source, received_at,
			first_response_at, wedding_date, status, estimated_value, currency, notes)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		on conflict (integration_id, external_id) do update set client_id = excluded.client_id, source = excluded.source,
			received_at = excluded.received_at, first_response_at = excluded.first_response_at,
			wedding_date = excluded.wedding_date, status = excluded.status, estimated_value = excluded.estimated_value,
			currency = excluded.currency, notes = excluded.notes, updated_at = now()
		returning (xmax = 0)`, orgID, r.IntegrationID, r.ExternalID, r.ClientID, source, r.ReceivedAt, r.FirstResponseAt,
		r.WeddingDate, r.Status, r.EstimatedValue, r.Currency, clip(r.Notes, 5000)).Scan(&created)
	return created, wrap("upsert inquiry", err)
}
