package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// Invoice is an amount a booking's client owes by a due date. AmountPaid and the open/paid status
// follow the payments linked to it; void is set by hand and stays.
type Invoice struct {
	ID           int64
	BookingID    int64
	BookingTitle string
	ClientName   string
	Number       string
	DueDate      time.Time // a local date, at midnight UTC
	Amount       int64     // minor units of Currency
	AmountPaid   int64
	Currency     string // the booking's
	Status       string
	ExternalID   string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Balance is what is still owed (never negative).
func (i Invoice) Balance() int64 { return max(i.Amount-i.AmountPaid, 0) }

// BookingLabel names the invoice's booking.
func (i Invoice) BookingLabel() string {
	return bookingLabel(i.BookingID, i.BookingTitle, i.ClientName)
}

// InvoiceInput is the invoice form as typed. Form names: booking_id (required), number,
// due_date (YYYY-MM-DD), amount (in the booking's currency), status (open, paid or void: void
// voids the invoice; otherwise open or paid follows the payments).
type InvoiceInput struct {
	BookingID, Number, DueDate, Amount, Status string
}

// InvoiceRow is an invoice as an integration delivers it; the provider's AmountPaid and Status
// are kept as given. DueDate's calendar day is used.
type InvoiceRow struct {
	IntegrationID int64
	ExternalID    string
	BookingID     int64
	Number        string
	DueDate       time.Time
	Amount        int64
	AmountPaid    int64
	Status        string
}

// InvoiceStatuses are the states of an invoice.
func InvoiceStatuses() []string { return []string{"open", "paid", "void"} }

// InvoiceOverdue is the invoice list's extra status filter: open invoices due before the
// organization's local today.
const InvoiceOverdue = "overdue"

// InvoiceFilterStatuses are the statuses the invoice list filters by: the stored ones and overdue.
func InvoiceFilterStatuses() []string { return append(InvoiceStatuses(), InvoiceOverdue) }

var invoiceList = listSpec{
	cols: `i.id, i.booking_id, b.title, coalesce(c.name, ''), i.number, i.due_date, i.amount, i.amount_paid, b.currency,
		i.status, coalesce(i.external_id, ''), i.created_at, i.updated_at`,
	from:      "invoices i join bookings b on b.id = i.booking_id left join clients c on c.id = b.client_id",
	idCol:     "i.id",
	dateCol:   "i.due_date",
	statusCol: "i.status",
	statuses:  InvoiceStatuses(),
	named:     map[string]string{InvoiceOverdue: "i.status = 'open' and i.due_date < {today}"},
	search:    []string{"i.number", "b.title", "c.name", "c.email"},
	sorts: map[string]string{
		"date": "i.due_date", "-date": "i.due_date desc",
		"amount": "i.amount", "-amount": "i.amount desc",
		"balance": "greatest(i.amount - i.amount_paid, 0)", "-balance": "greatest(i.amount - i.amount_paid, 0) desc",
		"name": "lower(c.name) nulls last", "-name": "lower(c.name) desc nulls last",
	},
	defaultSort: "-date",
}

func scanInvoice(r pgx.CollectableRow) (Invoice, error) {
	var i Invoice
	err := r.Scan(&i.ID, &i.BookingID, &i.BookingTitle, &i.ClientName, &i.Number, &i.DueDate, &i.Amount, &i.AmountPaid,
		&i.Currency, &i.Status, &i.ExternalID, &i.CreatedAt, &i.UpdatedAt)
	return i, err
}

func (i Invoice) audit() map[string]any {
	return map[string]any{"booking_id": i.BookingID, "number": i.Number, "due_date": i.DueDate.Format(time.DateOnly),
		"amount": i.Amount, "currency": i.Currency, "void": i.Status == "void"}
}

// validate checks the form inside tx: the booking must exist in the org and gives the currency.
func (in InvoiceInput) validate(ctx context.Context, tx pgx.Tx) (Invoice, error) {
	p := Problems{}
	v := Invoice{
		Number: textField(p, "number", in.Number, 50, ""),
		Status: enumField(p, "status", in.Status, "open", InvoiceStatuses()),
	}
	if d := dateField(p, "due_date", in.DueDate, true); d != nil {
		v.DueDate = *d
	}
	booking := idField(p, "booking_id", in.BookingID, "Choose an existing booking.")
	if booking == nil {
		p.Add("booking_id", "Choose an existing booking.")
	} else {
		err := tx.QueryRow(ctx, "select currency from bookings where id = $1", *booking).Scan(&v.Currency)
		if errors.Is(err, pgx.ErrNoRows) {
			p.Add("booking_id", "Choose an existing booking.")
		} else if err != nil {
			return v, err
		}
		v.BookingID = *booking
	}
	if v.Currency == "" {
		org, err := orgTx(ctx, tx)
		if err != nil {
			return v, err
		}
		v.Currency = org.Currency // only to explain a malformed amount
	}
	if amount := moneyField(p, "amount", in.Amount, v.Currency, true); amount != nil {
		v.Amount = *amount
	}
	return v, p.Err()
}

// recomputeInvoice sets an invoice's amount_paid to the net of its settled payments and its
// status to paid or open accordingly (a void invoice stays void). The row is locked first, so a
// payment committed meanwhile by another transaction is counted by the later of the two.
func recomputeInvoice(ctx context.Context, tx pgx.Tx, invoiceID *int64) error {
	if invoiceID == nil {
		return nil
	}
	if _, err := tx.Exec(ctx, "select 1 from invoices where id = $1 for update", *invoiceID); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `update invoices i set amount_paid = s.paid, updated_at = now(),
			status = case when i.status = 'void' then 'void' when s.paid >= i.amount then 'paid' else 'open' end
		from (select coalesce(sum(`+settledNet+`), 0)::bigint as paid from payments p where p.invoice_id = $1) s
		where i.id = $1`, *invoiceID)
	return err
}

// CreateInvoice validates the form and issues an invoice for a booking.
func (db *DB) CreateInvoice(ctx context.Context, orgID, userID int64, in InvoiceInput) (int64, error) {
	var id int64
	err := db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		v, err := in.validate(ctx, tx)
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `insert into invoices (org_id, booking_id, number, due_date, amount, status)
			values ($1, $2, $3, $4, $5, case when $6 = 'void' then 'void' else 'open' end) returning id`,
			orgID, v.BookingID, v.Number, v.DueDate, v.Amount, v.Status).Scan(&id); err != nil {
			return err
		}
		if err := recomputeInvoice(ctx, tx, &id); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "create", "invoice", id, v.audit())
	})
	return id, recordErr("create invoice", err)
}

// UpdateInvoice validates the form and saves it over invoice id. Moving it to another booking
// moves its payments along, which needs the same currency.
func (db *DB) UpdateInvoice(ctx context.Context, orgID, userID, id int64, in InvoiceInput) error {
	err := db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		old, err := getOne(ctx, tx, invoiceList, id, scanInvoice)
		if err != nil {
			return err
		}
		v, err := in.validate(ctx, tx)
		if err != nil {
			return err
		}
		if v.BookingID != old.BookingID {
			var paid bool
			if err := tx.QueryRow(ctx, "select exists(select 1 from payments where invoice_id = $1)", id).Scan(&paid); err != nil {
				return err
			}
			if paid && v.Currency != old.Currency {
				return Invalid("booking_id", "This invoice has payments in "+old.Currency+"; choose a booking in "+old.Currency+".")
			}
			if _, err := tx.Exec(ctx, "update payments set booking_id = $2, updated_at = now() where invoice_id = $1", id, v.BookingID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `update invoices set booking_id = $2, number = $3, due_date = $4, amount = $5,
			status = case when $6 = 'void' then 'void' else 'open' end, updated_at = now() where id = $1`,
			id, v.BookingID, v.Number, v.DueDate, v.Amount, v.Status); err != nil {
			return err
		}
		if err := recomputeInvoice(ctx, tx, &id); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "update", "invoice", id, changes(old.audit(), v.audit()))
	})
	return recordErr("update invoice", err)
}

// DeleteInvoice removes an invoice; its payments stay, unlinked from it.
func (db *DB) DeleteInvoice(ctx context.Context, orgID, userID, id int64) error {
	err := db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		var number string
		var amount int64
		if err := tx.QueryRow(ctx, "delete from invoices where id = $1 returning number, amount", id).Scan(&number, &amount); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "delete", "invoice", id, map[string]any{"number": number, "amount": amount})
	})
	return recordErr("delete invoice", err)
}

// Invoice loads one invoice; ErrNotFound for an unknown id or another organization's.
func (db *DB) Invoice(ctx context.Context, orgID, id int64) (Invoice, error) {
	var i Invoice
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) (err error) {
		i, err = getOne(ctx, tx, invoiceList, id, scanInvoice)
		return err
	})
	return i, recordErr("invoice", err)
}

// ListInvoices lists invoices. Sorts: date (due), -date (default), amount, -amount, balance,
// -balance, name, -name; Status filters (InvoiceFilterStatuses: "overdue" is open and due before
// the org's local today); Q searches number, booking title and the client's name and email;
// From/To filter the due date.
func (db *DB) ListInvoices(ctx context.Context, orgID int64, q ListQuery) (Page[Invoice], error) {
	q.now = db.now()
	var page Page[Invoice]
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) (err error) {
		page, err = list(ctx, tx, invoiceList, q, scanInvoice)
		return err
	})
	return page, recordErr("list invoices", err)
}

// InvoiceOptions offers the most recent invoices for a select box, labelled
// "#number · booking (due 2027-05-01)".
func (db *DB) InvoiceOptions(ctx context.Context, orgID int64) ([]Option, error) {
	var out []Option
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) (err error) {
		out, err = options(ctx, tx, `select i.id, array[i.number, b.title, coalesce(c.name, ''), to_char(i.due_date, 'YYYY-MM-DD'),
				b.id::text]
			from invoices i join bookings b on b.id = i.booking_id left join clients c on c.id = b.client_id
			order by i.created_at desc, i.id desc`,
			func(id int64, s []string) string {
				number := s[0]
				if number == "" {
					number = strconv.FormatInt(id, 10)
				}
				bid, _ := strconv.ParseInt(s[4], 10, 64)
				return "#" + number + " · " + bookingLabel(bid, s[1], s[2]) + " (due " + s[3] + ")"
			})
		return err
	})
	return out, recordErr("invoice options", err)
}

// UpsertInvoice writes an invoice from an integration inside the sync's transaction, keyed on
// (integration, external id).
func (db *DB) UpsertInvoice(ctx context.Context, tx pgx.Tx, orgID int64, r InvoiceRow) (created bool, err error) {
	if err := checkExternal("upsert invoice", r.IntegrationID, r.ExternalID); err != nil {
		return false, err
	}
	if r.Status == "" {
		r.Status = "open"
	}
	if !contains(InvoiceStatuses(), r.Status) || r.Amount < 0 || r.AmountPaid < 0 || r.BookingID <= 0 {
		return false, fmt.Errorf("upsert invoice %s: invalid status %q, booking or amounts", r.ExternalID, r.Status)
	}
	day := time.Date(r.DueDate.Year(), r.DueDate.Month(), r.DueDate.Day(), 0, 0, 0, 0, time.UTC)
	if err := checkRefs(ctx, tx, "upsert invoice", ref{"integrations", &r.IntegrationID}, ref{"bookings", &r.BookingID}); err != nil {
		return false, err
	}
	err = tx.QueryRow(ctx, `insert into invoices (org_id, integration_id, external_id, booking_id, number, due_date, amount,
			amount_paid, status)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		on conflict (integration_id, external_id) do update set booking_id = excluded.booking_id, number = excluded.number,
			due_date = excluded.due_date, amount = excluded.amount, amount_paid = excluded.amount_paid,
			status = excluded.status, updated_at = now()
		returning (xmax = 0)`, orgID, r.IntegrationID, r.ExternalID, r.BookingID, clip(r.Number, 50), day, r.Amount,
		r.AmountPaid, r.Status).Scan(&created)
	return created, wrap("upsert invoice", err)
}
