package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// PaymentUpsert is one row of a batch of payments from an integration, with what links it to
// the organization's records when the row itself names no booking or invoice.
type PaymentUpsert struct {
	PaymentRow
	// InvoiceExternalID and BookingExternalID name an invoice and a booking the same integration
	// delivered; they fill InvoiceID and BookingID when those are nil.
	InvoiceExternalID, BookingExternalID string
	// BookingRef (BookingByRef's rules) and then ClientEmail (BookingByClientEmail's) find the
	// booking of a row still linked to neither a booking nor an invoice.
	BookingRef, ClientEmail string
}

// PaymentBatchResult is what UpsertPaymentsBatch did with a batch of rows.
type PaymentBatchResult struct {
	// Created and Updated count the rows written. A row repeated within the batch (the same
	// external id twice) is written once, with its last valid values, and each repetition counts
	// as an update, as writing the rows one by one would.
	Created, Updated int
	// Skipped are the rows that were not written, with the reason, in batch order: invalid values
	// or references that are not the organization's.
	Skipped []SkippedPayment
}

// SkippedPayment is one row of a batch that was not written.
type SkippedPayment struct {
	// Index is the row's position in the batch.
	Index int
	Err   error
}

// UpsertPaymentsBatch writes a batch of payments of one integration inside the caller's
// transaction: links resolved, references checked and all rows upserted, keyed on (integration,
// external id), by one statement (one round trip); then every invoice a written payment was or
// is linked to is recomputed by one more. It is UpsertPayment for many rows, in order: the same
// defaults, the same checks (an invalid row, or a booking or invoice outside the organization,
// skips that row only; an integration outside it refuses the batch with ErrNotFound), the same
// effects. A statement that fails inside PostgreSQL returns the error, and the transaction is
// then unusable.
//
// Rows are written in external id order, so two batches touching the same payments lock them in
// the same order and cannot deadlock.
func (db *DB) UpsertPaymentsBatch(ctx context.Context, tx pgx.Tx, orgID int64, rows []PaymentUpsert) (res PaymentBatchResult, err error) {
	if len(rows) == 0 {
		return res, nil
	}
	integrationID := rows[0].IntegrationID
	for _, r := range rows {
		if r.IntegrationID != integrationID {
			return res, fmt.Errorf("upsert payments: a batch holds the payments of one integration (%d and %d)", integrationID, r.IntegrationID)
		}
	}
	if integrationID <= 0 {
		return res, fmt.Errorf("upsert payments: integration id and external id are required")
	}
	defer func() {
		slices.SortFunc(res.Skipped, func(a, b SkippedPayment) int { return cmp.Compare(a.Index, b.Index) })
	}()
	// Values are checked here, references by the statement under row level security (foreign
	// keys alone would accept another organization's ids).
	var c batchColumns
	for i, r := range rows {
		if r.Status == "" {
			r.Status = "succeeded"
		}
		if r.Provider == "" {
			r.Provider = "manual"
		}
		switch {
		case r.ExternalID == "":
			res.skip(i, fmt.Errorf("upsert payment: integration id and external id are required"))
		case !validPaymentRow(r.PaymentRow):
			res.skip(i, fmt.Errorf("upsert payment %s: invalid status %q, currency %q or amounts", r.ExternalID, r.Status, r.Currency))
		default:
			c.add(i, r)
		}
	}
	if len(c.at) == 0 {
		return res, nil
	}
	var integrationOK bool
	var valid, created int
	var invoices, badBooking, badInvoice, bookingOf, invoiceOf []int64
	err = tx.QueryRow(ctx, upsertPaymentsSQL, orgID, integrationID, c.ext, c.provider, c.booking, c.invoice, c.amount,
		c.refunded, c.fee, c.currency, c.status, c.paidAt, c.note, c.invoiceExt, c.bookingExt, c.ref, c.refID, c.email,
	).Scan(&integrationOK, &valid, &created, &invoices, &badBooking, &badInvoice, &bookingOf, &invoiceOf)
	if err != nil {
		return res, wrap("upsert payments", err)
	}
	if !integrationOK {
		return res, fmt.Errorf("upsert payments: integrations %d: %w", integrationID, ErrNotFound)
	}
	for i, k := range badBooking {
		res.skip(c.at[k-1], fmt.Errorf("upsert payment: bookings %d: %w", bookingOf[i], ErrNotFound))
	}
	for i, k := range badInvoice {
		res.skip(c.at[k-1], fmt.Errorf("upsert payment: invoices %d: %w", invoiceOf[i], ErrNotFound))
	}
	res.Created = created
	res.Updated = valid - created // repetitions of an external id count as updates
	if err := recomputeInvoices(ctx, tx, invoices); err != nil {
		return res, wrap("upsert payments: invoices", err)
	}
	return res, nil
}

// upsertPaymentsSQL is UpsertPaymentsBatch's statement. Parameters: $1 org, $2 integration,
// then one array per column of batchColumns, in order. Every part sees one snapshot, so "old"
// reads the invoice links from before the upsert, of the rows it updated.
//
// Links follow upsertRecord and UpsertPayment: the row's own invoice and booking, else those the
// integration delivered under the given external ids; a row linked to neither takes the booking
// of its reference (an id match first, unless that booking also carries the reference as its
// external id, then the lowest id among external id matches, as BookingByRef orders them), else
// of its client's email (distinct emails resolved once, with a join); an invoiced row without a
// booking takes the invoice's. The look-ups are scalar subqueries, evaluated only when needed,
// and stay on indexes whatever the (often stale, mid-sync) statistics say; the unindexed search
// by a booking's external id runs only for references that match no id. Only a booking or
// invoice id the row itself names is checked for visibility (one found by a look-up was read
// under row level security already), and so the checks compare plain input values: under row
// level security an index condition must be leakproof, and one holding a sub-select is not (it
// would be a sequential scan per row).
const upsertPaymentsSQL = `with integ as (
		select exists(select 1 from integrations where id = $2) as ok
	), raw as (
		select u.*
		from unnest($3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[],
			$10::text[], $11::text[], $12::timestamptz[], $13::text[], $14::text[], $15::text[], $16::text[], $17::bigint[],
			$18::text[]) with ordinality as u(external_id, provider, booking_id, invoice_id, amount, refunded_amount, fee,
				currency, status, paid_at, note, invoice_ext, booking_ext, ref, ref_id, email, n)
		where (select ok from integ)
	), direct as (
		select r.*,
			coalesce(r.invoice_id, (select i.id from invoices i
				where r.invoice_ext <> '' and i.integration_id = $2 and i.external_id = r.invoice_ext)) as inv,
			coalesce(r.booking_id, (select b.id from bookings b
				where r.booking_ext <> '' and b.integration_id = $2 and b.external_id = r.booking_ext)) as bk
		from raw r
	), by_ref as (
		select d.*, case when d.bk is null and d.inv is null and d.ref <> '' then coalesce(
				(select b.id from bookings b where b.id = d.ref_id and b.external_id is distinct from d.ref),
				(select b.id from bookings b where b.external_id = d.ref order by b.id limit 1)) end as ref_bk
		from direct d
	), by_email as (
		select distinct on (e.email) e.email, b.id
		from (select distinct lower(email) as email from by_ref
			where bk is null and inv is null and ref_bk is null and email <> '') e
			join clients c on lower(c.email) = e.email
			join bookings b on b.client_id = c.id and b.status <> 'cancelled'
		order by e.email, (b.status = 'confirmed') desc, b.wedding_date desc, b.id desc
	), linked as (
		select r.*, coalesce(r.bk, r.ref_bk, case when r.inv is null then (select m.id from by_email m where m.email = lower(r.email)) end) as bk2
		from by_ref r
	), input as (
		select l.*,
			(l.booking_id is null or coalesce((select true from bookings b where b.id = l.booking_id), false)) as booking_ok,
			(l.invoice_id is null or coalesce((select true from invoices i where i.id = l.invoice_id), false)) as invoice_ok
		from linked l
	), chosen as (
		select distinct on (external_id) * from input where booking_ok and invoice_ok order by external_id, n desc
	), up as (
		insert into payments (org_id, integration_id, external_id, provider, booking_id, invoice_id, amount,
			refunded_amount, fee, currency, status, paid_at, note)
		select $1, $2, c.external_id, c.provider,
			case when c.bk2 is null and c.inv is not null then (select i.booking_id from invoices i where i.id = c.inv) else c.bk2 end,
			c.inv, c.amount, c.refunded_amount, c.fee, c.currency, c.status, c.paid_at, c.note
		from chosen c order by c.external_id
		on conflict (integration_id, external_id) do update set provider = excluded.provider,
			booking_id = excluded.booking_id, invoice_id = excluded.invoice_id, amount = excluded.amount,
			refunded_amount = excluded.refunded_amount, fee = excluded.fee, currency = excluded.currency,
			status = excluded.status, paid_at = excluded.paid_at, note = excluded.note, updated_at = now()
		returning (xmax = 0) as created, invoice_id, external_id
	), old as (
		select o.invoice_id from up u,
			lateral (select invoice_id from payments p where p.integration_id = $2 and p.external_id = u.external_id limit 1) o
		where not u.created and o.invoice_id is not null
	)
	select (select ok from integ), (select count(*) from input where booking_ok and invoice_ok),
		(select count(*) from up where created),
		array(select invoice_id from up where invoice_id is not null union select invoice_id from old order by 1),
		array(select n from input where not booking_ok order by n),
		array(select n from input where booking_ok and not invoice_ok order by n),
		array(select bk2 from input where not booking_ok order by n),
		array(select inv from input where booking_ok and not invoice_ok order by n)`

// batchColumns are a batch's rows as one array per column (what unnest reads).
type batchColumns struct {
	at                                    []int // batch index of each row sent
	ext, provider, currency, status, note []string
	invoiceExt, bookingExt, ref, email    []string
	booking, invoice, refID               []*int64
	amount, refunded, fee                 []int64
	paidAt                                []time.Time
}

func (c *batchColumns) add(i int, r PaymentUpsert) {
	c.at = append(c.at, i)
	c.ext, c.provider = append(c.ext, r.ExternalID), append(c.provider, clip(r.Provider, 30))
	c.booking, c.invoice = append(c.booking, r.BookingID), append(c.invoice, r.InvoiceID)
	c.amount, c.refunded, c.fee = append(c.amount, r.Amount), append(c.refunded, r.RefundedAmount), append(c.fee, r.Fee)
	c.currency, c.status = append(c.currency, r.Currency), append(c.status, r.Status)
	c.paidAt, c.note = append(c.paidAt, r.PaidAt), append(c.note, clip(r.Note, 1000))
	c.invoiceExt, c.bookingExt = append(c.invoiceExt, r.InvoiceExternalID), append(c.bookingExt, r.BookingExternalID)
	ref := strings.TrimSpace(r.BookingRef)
	c.ref, c.refID, c.email = append(c.ref, ref), append(c.refID, refID(ref)), append(c.email, strings.TrimSpace(r.ClientEmail))
}

// refID is the booking id a reference names, as BookingByRef reads it: up to 18 digits after
// any leading '#'; nil when it names none.
func refID(ref string) *int64 {
	digits := strings.TrimLeft(ref, "#")
	if digits == "" || len(digits) > 18 || strings.Trim(digits, "0123456789") != "" {
		return nil
	}
	id, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return nil
	}
	return &id
}

func (r *PaymentBatchResult) skip(i int, err error) {
	r.Skipped = append(r.Skipped, SkippedPayment{Index: i, Err: err})
}

// validPaymentRow is UpsertPayment's check of values (after defaults).
func validPaymentRow(r PaymentRow) bool {
	return contains(PaymentStatuses(), r.Status) && ValidCurrency(r.Currency) && r.Amount >= 0 && r.Fee >= 0 &&
		r.RefundedAmount >= 0 && r.RefundedAmount <= r.Amount
}

// recomputeInvoices is recomputeInvoice for many invoices: they are locked in id order (so
// concurrent writers cannot deadlock), then their amounts paid and statuses are set in one
// statement, whose fresh snapshot counts every payment committed before the locks were granted.
func recomputeInvoices(ctx context.Context, tx pgx.Tx, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, "select 1 from invoices where id = any($1::bigint[]) order by id for update", ids); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `update invoices i set amount_paid = s.paid, updated_at = now(),
			status = case when i.status = 'void' then 'void' when s.paid >= i.amount then 'paid' else 'open' end
		from (select u.id, coalesce(sum(`+settledNet+`), 0)::bigint as paid
			from unnest($1::bigint[]) u (id) left join payments p on p.invoice_id = u.id
			group by u.id) s
		where i.id = s.id`, ids)
	return err
}
