package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Booking is a wedding the supplier is contracted for.
type Booking struct {
	ID             int64
	InquiryID      *int64
	ClientID       *int64
	ClientName     string
	Title          string
	WeddingDate    time.Time // a local date, at midnight UTC
	BookedAt       time.Time
	Status         string
	ContractAmount int64 // minor units of Currency
	Currency       string
	ExternalID     string
	// Paid is the net of the booking's settled payments (amount less refunds), in Currency.
	Paid      int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Label names the booking for lists and select boxes: its title, else its client, else its number.
func (b Booking) Label() string { return bookingLabel(b.ID, b.Title, b.ClientName) }

func bookingLabel(id int64, title, client string) string {
	switch {
	case title != "":
		return title
	case client != "":
		return client
	}
	return "Booking #" + strconv.FormatInt(id, 10)
}

// BookingInput is the booking form as typed. Form names: inquiry_id, client_id, title,
// wedding_date (YYYY-MM-DD), booked_at (datetime-local in the org's timezone, defaults to now on
// create), status, contract_amount, currency (defaults to the org's).
type BookingInput struct {
	InquiryID, ClientID, Title, WeddingDate, BookedAt, Status, ContractAmount, Currency string
}

// BookingRow is a booking as an integration delivers it. WeddingDate's calendar day is used.
type BookingRow struct {
	IntegrationID  int64
	ExternalID     string
	InquiryID      *int64
	ClientID       *int64
	Title          string
	WeddingDate    time.Time
	BookedAt       time.Time
	Status         string
	ContractAmount int64
	Currency       string
}

// BookingStatuses are the states of a booking.
func BookingStatuses() []string { return []string{"confirmed", "completed", "cancelled"} }

// settledNet is the SQL of a payment's net amount (alias p): refunds subtracted, nothing for
// payments that are pending or failed.
const settledNet = `case when p.status in ('succeeded', 'partially_refunded', 'refunded') then p.amount - p.refunded_amount else 0 end`

var bookingList = listSpec{
	cols: `b.id, b.inquiry_id, b.client_id, coalesce(c.name, ''), b.title, b.wedding_date, b.booked_at, b.status,
		b.contract_amount, b.currency, coalesce(b.external_id, ''),
		coalesce((select sum(` + settledNet + `) from payments p where p.booking_id = b.id), 0)::bigint,
		b.created_at, b.updated_at`,
	from:      "bookings b left join clients c on c.id = b.client_id",
	idCol:     "b.id",
	dateCol:   "b.wedding_date",
	statusCol: "b.status",
	statuses:  BookingStatuses(),
	search:    []string{"b.title", "c.name", "c.email"},
	sorts: map[string]string{
		"date": "b.wedding_date", "-date": "b.wedding_date desc",
		"booked": "b.booked_at", "-booked": "b.booked_at desc",
		"amount": "b.contract_amount", "-amount": "b.contract_amount desc",
		"name": "lower(c.name) nulls last", "-name": "lower(c.name) desc nulls last",
	},
	defaultSort: "-date",
}

func scanBooking(r pgx.CollectableRow) (Booking, error) {
	var b Booking
	err := r.Scan(&b.ID, &b.InquiryID, &b.ClientID, &b.ClientName, &b.Title, &b.WeddingDate, &b.BookedAt, &b.Status,
		&b.ContractAmount, &b.Currency, &b.ExternalID, &b.Paid, &b.CreatedAt, &b.UpdatedAt)
	return b, err
}

func (b Booking) audit() map[string]any {
	return map[string]any{"inquiry_id": deref(b.InquiryID), "client_id": deref(b.ClientID), "title": b.Title,
		"wedding_date": b.WeddingDate.Format(time.DateOnly), "booked_at": b.BookedAt.UTC().Format(time.RFC3339),
		"status": b.Status, "contract_amount": b.ContractAmount, "currency": b.Currency}
}

// validate checks the form inside tx; old is the booking being edited (nil when creating, which
// lets booked_at default to now).
func (in BookingInput) validate(ctx context.Context, tx pgx.Tx, old *Booking, now time.Time) (Booking, error) {
	org, err := orgTx(ctx, tx)
	if err != nil {
		return Booking{}, err
	}
	loc := org.Location()
	p := Problems{}
	v := Booking{
		InquiryID: idField(p, "inquiry_id", in.InquiryID, "Choose an existing inquiry."),
		ClientID:  idField(p, "client_id", in.ClientID, "Choose an existing client."),
		Title:     textField(p, "title", in.Title, 200, ""),
		Status:    enumField(p, "status", in.Status, "confirmed", BookingStatuses()),
		Currency:  strings.ToUpper(strings.TrimSpace(in.Currency)),
	}
	if v.Currency == "" {
		v.Currency = org.Currency
	}
	validateCurrency(p, "currency", v.Currency)
	if amount := moneyField(p, "contract_amount", in.ContractAmount, v.Currency, true); amount != nil {
		v.ContractAmount = *amount
	}
	v.BookedAt = now
	if at := dateTimeField(p, "booked_at", in.BookedAt, loc, old != nil); at != nil {
		v.BookedAt = *at
	}
	if d := dateField(p, "wedding_date", in.WeddingDate, true); d != nil {
		v.WeddingDate = *d
		if _, bad := p["booked_at"]; !bad && d.Before(localDate(v.BookedAt, loc)) {
			p.Add("wedding_date", "The wedding cannot be before the day it was booked.")
		}
	}
	if err := refExists(ctx, tx, p, "inquiry_id", "inquiries", v.InquiryID, "Choose an existing inquiry."); err != nil {
		return v, err
	}
	if err := refExists(ctx, tx, p, "client_id", "clients", v.ClientID, "Choose an existing client."); err != nil {
		return v, err
	}
	if old != nil && old.Currency != v.Currency {
		var used bool
		if err := tx.QueryRow(ctx, `select exists(select 1 from invoices where booking_id = $1)
			or exists(select 1 from payments where booking_id = $1)`, old.ID).Scan(&used); err != nil {
			return v, err
		}
		if used {
			p.Add("currency", "This booking has invoices or payments in "+old.Currency+"; keep that currency.")
		}
	}
	return v, p.Err()
}

func insertBooking(ctx context.Context, tx pgx.Tx, orgID, userID int64, v Booking) (int64, error) {
	var id int64
	if err := tx.QueryRow(ctx, `insert into bookings (org_id, inquiry_id, client_id, title, wedding_date, booked_at, status,
		contract_amount, currency) values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id`,
		orgID, v.InquiryID, v.ClientID, v.Title, v.WeddingDate, v.BookedAt, v.Status, v.ContractAmount, v.Currency).Scan(&id); err != nil {
		return 0, err
	}
	return id, audit(ctx, tx, orgID, userID, "create", "booking", id, v.audit())
}

// CreateBooking validates the form and records a booking.
func (db *DB) CreateBooking(ctx context.Context, orgID, userID int64, in BookingInput) (int64, error) {
	var id int64
	err := db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		v, err := in.validate(ctx, tx, nil, db.now())
		if err != nil {
			return err
		}
		id, err = insertBooking(ctx, tx, orgID, userID, v)
		return err
	})
	return id, recordErr("create booking", err)
}

// ConvertInquiry books an inquiry: it creates a booking linked to the inquiry and its client and
// marks the inquiry booked, in one transaction. Empty client_id, wedding_date, contract_amount
// and currency are taken from the inquiry. An inquiry that already has a booking is ErrConflict.
func (db *DB) ConvertInquiry(ctx context.Context, orgID, userID, inquiryID int64, in BookingInput) (int64, error) {
	var id int64
	err := db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		var inq Inquiry
		var booked bool
		if err := tx.QueryRow(ctx, `select client_id, wedding_date, estimated_value, currency, status,
			exists(select 1 from bookings where inquiry_id = $1) from inquiries where id = $1 for update`, inquiryID).
			Scan(&inq.ClientID, &inq.WeddingDate, &inq.EstimatedValue, &inq.Currency, &inq.Status, &booked); err != nil {
			return err
		}
		if booked {
			return fmt.Errorf("%w: this inquiry already has a booking", ErrConflict)
		}
		in.InquiryID = strconv.FormatInt(inquiryID, 10)
		if strings.TrimSpace(in.ClientID) == "" && inq.ClientID != nil {
			in.ClientID = strconv.FormatInt(*inq.ClientID, 10)
		}
		if strings.TrimSpace(in.WeddingDate) == "" && inq.WeddingDate != nil {
			in.WeddingDate = inq.WeddingDate.Format(time.DateOnly)
		}
		if strings.TrimSpace(in.Currency) == "" {
			in.Currency = inq.Currency
		}
		if strings.TrimSpace(in.ContractAmount) == "" && inq.EstimatedValue != nil && in.Currency == inq.Currency {
			in.ContractAmount = FormatMoneyPlain(*inq.EstimatedValue, inq.Currency)
		}
		v, err := in.validate(ctx, tx, nil, db.now())
		if err != nil {
			return err
		}
		if id, err = insertBooking(ctx, tx, orgID, userID, v); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "update inquiries set status = 'booked', updated_at = now() where id = $1", inquiryID); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "convert", "inquiry", inquiryID,
			map[string]any{"booking_id": id, "status": [2]any{inq.Status, "booked"}})
	})
	return id, recordErr("convert inquiry", err)
}

// UpdateBooking validates the form and saves it over booking id. The currency cannot change once
// the booking has invoices or payments.
func (db *DB) UpdateBooking(ctx context.Context, orgID, userID, id int64, in BookingInput) error {
	err := db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		old, err := getOne(ctx, tx, bookingList, id, scanBooking)
		if err != nil {
			return err
		}
		v, err := in.validate(ctx, tx, &old, db.now())
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `update bookings set inquiry_id = $2, client_id = $3, title = $4, wedding_date = $5,
			booked_at = $6, status = $7, contract_amount = $8, currency = $9, updated_at = now() where id = $1`,
			id, v.InquiryID, v.ClientID, v.Title, v.WeddingDate, v.BookedAt, v.Status, v.ContractAmount, v.Currency); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "update", "booking", id, changes(old.audit(), v.audit()))
	})
	return recordErr("update booking", err)
}

// DeleteBooking removes a booking and its invoices; its payments and reviews stay, unlinked.
func (db *DB) DeleteBooking(ctx context.Context, orgID, userID, id int64) error {
	err := db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		var title string
		var wedding time.Time
		if err := tx.QueryRow(ctx, "delete from bookings where id = $1 returning title, wedding_date", id).Scan(&title, &wedding); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "delete", "booking", id,
			map[string]any{"title": title, "wedding_date": wedding.Format(time.DateOnly)})
	})
	return recordErr("delete booking", err)
}

// Booking loads one booking; ErrNotFound for an unknown id or another organization's.
func (db *DB) Booking(ctx context.Context, orgID, id int64) (Booking, error) {
	var b Booking
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) (err error) {
		b, err = getOne(ctx, tx, bookingList, id, scanBooking)
		return err
	})
	return b, recordErr("booking", err)
}

// ListBookings lists bookings. Sorts: date (wedding), -date (default), booked, -booked, amount,
// -amount, name, -name; Status filters; Q searches title and the client's name and email;
// From/To filter the wedding date.
func (db *DB) ListBookings(ctx context.Context, orgID int64, q ListQuery) (Page[Booking], error) {
	var page Page[Booking]
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) (err error) {
		page, err = list(ctx, tx, bookingList, q, scanBooking)
		return err
	})
	return page, recordErr("list bookings", err)
}

// BookingOptions offers the most recently booked bookings for a select box, labelled
// "2027-06-12 · Title".
func (db *DB) BookingOptions(ctx context.Context, orgID int64) ([]Option, error) {
	var out []Option
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) (err error) {
		out, err = options(ctx, tx, `select b.id, array[to_char(b.wedding_date, 'YYYY-MM-DD'), b.title, coalesce(c.name, '')]
			from bookings b left join clients c on c.id = b.client_id order by b.booked_at desc, b.id desc`,
			func(id int64, s []string) string { return s[0] + " · " + bookingLabel(id, s[1], s[2]) })
		return err
	})
	return out, recordErr("booking options", err)
}

// UpsertBooking writes a booking from an integration inside the sync's transaction, keyed on
// (integration, external id).
func (db *DB) UpsertBooking(ctx context.Context, tx pgx.Tx, orgID int64, r BookingRow) (created bool, err error) {
	if err := checkExternal("upsert booking", r.IntegrationID, r.ExternalID); err != nil {
		return false, err
	}
	if r.Status == "" {
		r.Status = "confirmed"
	}
	if !contains(BookingStatuses(), r.Status) || !ValidCurrency(r.Currency) || r.ContractAmount < 0 {
		return false, fmt.Errorf("upsert booking %s: invalid status %q, currency %q or amount", r.ExternalID, r.Status, r.Currency)
	}
	day := time.Date(r.WeddingDate.Year(), r.WeddingDate.Month(), r.WeddingDate.Day(), 0, 0, 0, 0, time.UTC)
	if err := checkRefs(ctx, tx, "upsert booking", ref{"integrations", &r.IntegrationID}, ref{"inquiries", r.InquiryID}, ref{"clients", r.ClientID}); err != nil {
		return false, err
	}
	err = tx.QueryRow(ctx, `insert into bookings (org_id, integration_id, external_id, inquiry_id, client_id, title,
			wedding_date, booked_at, status, contract_amount, currency)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		on conflict (integration_id, external_id) do update set inquiry_id = excluded.inquiry_id,
			client_id = excluded.client_id, title = excluded.title, wedding_date = excluded.wedding_date,
			booked_at = excluded.booked_at, status = excluded.status, contract_amount = excluded.contract_amount,
			currency = excluded.currency, updated_at = now()
		returning (xmax = 0)`, orgID, r.IntegrationID, r.ExternalID, r.InquiryID, r.ClientID, clip(r.Title, 200),
		day, r.BookedAt, r.Status, r.ContractAmount, r.Currency).Scan(&created)
	return created, wrap("upsert booking", err)
}
