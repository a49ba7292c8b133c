package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Payment is money received (or attempted), by hand or from a payment provider.
type Payment struct {
	ID             int64
	Provider       string // "manual" for payments entered by hand
	BookingID      *int64
	BookingTitle   string
	ClientName     string
	InvoiceID      *int64
	InvoiceNumber  string
	Amount         int64 // minor units of Currency
	RefundedAmount int64
	Fee            int64
	Currency       string
	Status         string
	PaidAt         time.Time
	Note           string
	ExternalID     string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Net is what the payment contributes: amount less refunds when settled, zero when pending or failed.
func (p Payment) Net() int64 {
	switch p.Status {
	case "succeeded", "partially_refunded", "refunded":
		return p.Amount - p.RefundedAmount
	}
	return 0
}

// BookingLabel names the payment's booking ("" when it has none).
func (p Payment) BookingLabel() string {
	if p.BookingID == nil {
		return ""
	}
	return bookingLabel(*p.BookingID, p.BookingTitle, p.ClientName)
}

// PaymentInput is the payment form as typed. Form names: booking_id, invoice_id (a payment of an
// invoice takes the invoice's booking), amount, refunded_amount, fee, currency (defaults to the
// booking's, else the org's), status, paid_at (datetime-local in the org's timezone, defaults to
// now on create), note.
type PaymentInput struct {
	BookingID, InvoiceID, Amount, RefundedAmount, Fee, Currency, Status, PaidAt, Note string
}

// PaymentRow is a payment as an integration delivers it. A row with an invoice and no booking
// gets the invoice's booking.
type PaymentRow struct {
	IntegrationID  int64
	ExternalID     string
	Provider       string
	BookingID      *int64
	InvoiceID      *int64
	Amount         int64
	RefundedAmount int64
	Fee            int64
	Currency       string
	Status         string
	PaidAt         time.Time
	Note           string
}

// PaymentStatuses are the states of a payment.
func PaymentStatuses() []string {
	return []string{"succeeded", "pending", "failed", "refunded", "partially_refunded"}
}

var paymentList = listSpec{
	cols: `p.id, p.provider, p.booking_id, coalesce(b.title, ''), coalesce(c.name, ''), p.invoice_id, coalesce(i.number, ''),
		p.amount, p.refunded_amount, p.fee, p.currency, p.status, p.paid_at, p.note, coalesce(p.external_id, ''),
		p.created_at, p.updated_at`,
	from: `payments p left join bookings b on b.id = p.booking_id left join clients c on c.id = b.client_id
		left join invoices i on i.id = p.invoice_id`,
	idCol:      "p.id",
	dateCol:    "p.paid_at",
	dateIsTime: true,
	statusCol:  "p.status",
	statuses:   PaymentStatuses(),
	sourceCol:  "p.provider",
	search:     []string{"c.name", "c.email", "b.title", "p.note", "i.number"},
	sorts: map[string]string{
		"date": "p.paid_at", "-date": "p.paid_at desc",
		"amount": "p.amount", "-amount": "p.amount desc",
		"name": "lower(c.name) nulls last", "-name": "lower(c.name) desc nulls last",
	},
	defaultSort: "-date",
}

func scanPayment(r pgx.CollectableRow) (Payment, error) {
	var p Payment
	err := r.Scan(&p.ID, &p.Provider, &p.BookingID, &p.BookingTitle, &p.ClientName, &p.InvoiceID, &p.InvoiceNumber,
		&p.Amount, &p.RefundedAmount, &p.Fee, &p.Currency, &p.Status, &p.PaidAt, &p.Note, &p.ExternalID,
		&p.CreatedAt, &p.UpdatedAt)
	return p, err
}

func (p Payment) audit() map[string]any {
	return map[string]any{"booking_id": deref(p.BookingID), "invoice_id": deref(p.InvoiceID), "amount": p.Amount,
		"refunded_amount": p.RefundedAmount, "fee": p.Fee, "currency": p.Currency, "status": p.Status,
		"paid_at": p.PaidAt.UTC().Format(time.RFC3339), "note": p.Note}
}

// validate checks the form inside tx; creating lets paid_at default to now.
func (in PaymentInput) validate(ctx context.Context, tx pgx.Tx, creating bool, now time.Time) (Payment, error) {
	org, err := orgTx(ctx, tx)
	if err != nil {
		return Payment{}, err
	}
	p := Problems{}
	v := Payment{
		BookingID: idField(p, "booking_id", in.BookingID, "Choose an existing booking."),
		InvoiceID: idField(p, "invoice_id", in.InvoiceID, "Choose an existing invoice."),
		Status:    enumField(p, "status", in.Status, "succeeded", PaymentStatuses()),
		Note:      textField(p, "note", in.Note, 1000, ""),
		Currency:  strings.ToUpper(strings.TrimSpace(in.Currency)),
		PaidAt:    now,
	}
	if at := dateTimeField(p, "paid_at", in.PaidAt, org.Location(), !creating); at != nil {
		v.PaidAt = *at
	}
	// The booking (directly or through the invoice) fixes the currency.
	var expected string
	if v.InvoiceID != nil {
		var booking int64
		err := tx.QueryRow(ctx, `select i.booking_id, b.currency from invoices i join bookings b on b.id = i.booking_id
			where i.id = $1`, *v.InvoiceID).Scan(&booking, &expected)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			p.Add("invoice_id", "Choose an existing invoice.")
		case err != nil:
			return v, err
		case v.BookingID != nil && *v.BookingID != booking:
			p.Add("invoice_id", "This invoice belongs to another booking.")
		default:
			v.BookingID = &booking
		}
	} else if v.BookingID != nil {
		err := tx.QueryRow(ctx, "select currency from bookings where id = $1", *v.BookingID).Scan(&expected)
		if errors.Is(err, pgx.ErrNoRows) {
			p.Add("booking_id", "Choose an existing booking.")
		} else if err != nil {
			return v, err
		}
	}
	switch {
	case v.Currency == "" && expected != "":
		v.Currency = expected
	case v.Currency == "":
		v.Currency = org.Currency
	case expected != "" && v.Currency != expected:
		p.Add("currency", "Use the booking's currency, "+expected+".")
	}
	validateCurrency(p, "currency", v.Currency)
	if m := moneyField(p, "amount", in.Amount, v.Currency, true); m != nil {
		v.Amount = *m
	}
	if m := moneyField(p, "fee", in.Fee, v.Currency, false); m != nil {
		v.Fee = *m
	}
	if m := moneyField(p, "refunded_amount", in.RefundedAmount, v.Currency, false); m != nil {
		v.RefundedAmount = *m
	} else if strings.TrimSpace(in.RefundedAmount) == "" && v.Status == "refunded" {
		v.RefundedAmount = v.Amount
	}
	if _, bad := p["amount"]; !bad {
		switch {
		case v.RefundedAmount > v.Amount:
			p.Add("refunded_amount", "The refund cannot be more than the payment.")
		case v.Status == "refunded" && v.RefundedAmount != v.Amount:
			p.Add("refunded_amount", "A refunded payment has its whole amount refunded.")
		case v.Status == "partially_refunded" && (v.RefundedAmount == 0 || v.RefundedAmount == v.Amount):
			p.Add("refunded_amount", "Enter the part that was refunded, more than zero and less than the amount.")
		}
		if v.Fee > v.Amount {
			p.Add("fee", "The fee cannot be more than the amount.")
		}
	}
	return v, p.Err()
}

// CreatePayment validates the form and records a manual payment; a linked invoice's amount paid
// and status follow.
func (db *DB) CreatePayment(ctx context.Context, orgID, userID int64, in PaymentInput) (int64, error) {
	var id int64
	err := db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		v, err := in.validate(ctx, tx, true, db.now())
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `insert into payments (org_id, provider, booking_id, invoice_id, amount, refunded_amount,
			fee, currency, status, paid_at, note) values ($1, 'manual', $2, $3, $4, $5, $6, $7, $8, $9, $10) returning id`,
			orgID, v.BookingID, v.InvoiceID, v.Amount, v.RefundedAmount, v.Fee, v.Currency, v.Status, v.PaidAt, v.Note).Scan(&id); err != nil {
			return err
		}
		if err := recomputeInvoice(ctx, tx, v.InvoiceID); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "create", "payment", id, v.audit())
	})
	return id, recordErr("create payment", err)
}

// UpdatePayment validates the form and saves it over payment id; the invoices it leaves and
// joins are recomputed.
func (db *DB) UpdatePayment(ctx context.Context, orgID, userID, id int64, in PaymentInput) error {
	err := db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		old, err := getOne(ctx, tx, paymentList, id, scanPayment)
		if err != nil {
			return err
		}
		v, err := in.validate(ctx, tx, false, db.now())
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `update payments set booking_id = $2, invoice_id = $3, amount = $4, refunded_amount = $5,
			fee = $6, currency = $7, status = $8, paid_at = $9, note = $10, updated_at = now() where id = $1`,
			id, v.BookingID, v.InvoiceID, v.Amount, v.RefundedAmount, v.Fee, v.Currency, v.Status, v.PaidAt, v.Note); err != nil {
			return err
		}
		if err := recomputeInvoice(ctx, tx, old.InvoiceID); err != nil {
			return err
		}
		if v.InvoiceID != nil && (old.InvoiceID == nil || *old.InvoiceID != *v.InvoiceID) {
			if err := recomputeInvoice(ctx, tx, v.InvoiceID); err != nil {
				return err
			}
		}
		return audit(ctx, tx, orgID, userID, "update", "payment", id, changes(old.audit(), v.audit()))
	})
	return recordErr("update payment", err)
}

// DeletePayment removes a payment; a linked invoice's amount paid and status follow.
func (db *DB) DeletePayment(ctx context.Context, orgID, userID, id int64) error {
	err := db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		var invoice *int64
		var amount int64
		var currency string
		if err := tx.QueryRow(ctx, "delete from payments where id = $1 returning invoice_id, amount, currency", id).
			Scan(&invoice, &amount, &currency); err != nil {
			return err
		}
		if err := recomputeInvoice(ctx, tx, invoice); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "delete", "payment", id, map[string]any{"amount": amount, "currency": currency})
	})
	return recordErr("delete payment", err)
}

// Payment loads one payment; ErrNotFound for an unknown id or another organization's.
func (db *DB) Payment(ctx context.Context, orgID, id int64) (Payment, error) {
	var p Payment
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) (err error) {
		p, err = getOne(ctx, tx, paymentList, id, scanPayment)
		return err
	})
	return p, recordErr("payment", err)
}

// ListPayments lists payments. Sorts: date (paid), -date (default), amount, -amount, name, -name;
// Status filters; Source filters the provider; Q searches the client's name and email, booking
// title, note and invoice number; From/To filter the paid day.
func (db *DB) ListPayments(ctx context.Context, orgID int64, q ListQuery) (Page[Payment], error) {
	var page Page[Payment]
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) (err error) {
		page, err = list(ctx, tx, paymentList, q, scanPayment)
		return err
	})
	return page, recordErr("list payments", err)
}

// UpsertPayment writes a payment from an integration inside the sync's transaction, keyed on
// (integration, external id), and recomputes the invoices it was and is linked to.
func (db *DB) UpsertPayment(ctx context.Context, tx pgx.Tx, orgID int64, r PaymentRow) (created bool, err error) {
	if err := checkExternal("upsert payment", r.IntegrationID, r.ExternalID); err != nil {
		return false, err
	}
	if r.Status == "" {
		r.Status = "succeeded"
	}
	if r.Provider == "" {
		r.Provider = "manual"
	}
	if !contains(PaymentStatuses(), r.Status) || !ValidCurrency(r.Currency) || r.Amount < 0 || r.Fee < 0 ||
		r.RefundedAmount < 0 || r.RefundedAmount > r.Amount {
		return false, fmt.Errorf("upsert payment %s: invalid status %q, currency %q or amounts", r.ExternalID, r.Status, r.Currency)
	}
	var was, now *int64
	if err := checkRefs(ctx, tx, "upsert payment", ref{"integrations", &r.IntegrationID}, ref{"bookings", r.BookingID}, ref{"invoices", r.InvoiceID}); err != nil {
		return false, err
	}
	err = tx.QueryRow(ctx, `with old as (select invoice_id from payments where integration_id = $2 and external_id = $3)
		insert into payments (org_id, integration_id, external_id, provider, booking_id, invoice_id, amount, refunded_amount,
			fee, currency, status, paid_at, note)
		values ($1, $2, $3, $4, coalesce($5, (select booking_id from invoices where id = $6)), $6, $7, $8, $9, $10, $11, $12, $13)
		on conflict (integration_id, external_id) do update set provider = excluded.provider,
			booking_id = excluded.booking_id, invoice_id = excluded.invoice_id, amount = excluded.amount,
			refunded_amount = excluded.refunded_amount, fee = excluded.fee, currency = excluded.currency,
			status = excluded.status, paid_at = excluded.paid_at, note = excluded.note, updated_at = now()
		returning (xmax = 0), (select invoice_id from old), invoice_id`,
		orgID, r.IntegrationID, r.ExternalID, clip(r.Provider, 30), r.BookingID, r.InvoiceID, r.Amount, r.RefundedAmount,
		r.Fee, r.Currency, r.Status, r.PaidAt, clip(r.Note, 1000)).Scan(&created, &was, &now)
	if err != nil {
		return false, wrap("upsert payment", err)
	}
	if err := recomputeInvoice(ctx, tx, was); err != nil {
		return false, wrap("upsert payment: invoice", err)
	}
	if now != nil && (was == nil || *was != *now) {
		if err := recomputeInvoice(ctx, tx, now); err != nil {
			return false, wrap("upsert payment: invoice", err)
		}
	}
	return created, nil
}
