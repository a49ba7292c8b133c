package demo

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// write inserts the dataset for orgID inside the caller's org-scoped transaction: one multi-row
// insert per table, with ids taken from the sequences first so rows can refer to each other and
// ascend in time.
func write(ctx context.Context, tx pgx.Tx, orgID int64, d *dataset) error {
	since := d.inquiries[0].received
	for _, q := range d.inquiries {
		since = earliest(since, q.received)
	}
	since = since.AddDate(0, -1, 0)
	// The organization, its owner and the signup record date from when the business started.
	for _, s := range []string{
		"update organizations set created_at = $1",
		"update memberships set created_at = $1",
		"update audit_log set at = $1 where entity = 'organization' and action = 'create'",
		"update users set created_at = $1 where id in (select user_id from memberships)",
	} {
		if _, err := tx.Exec(ctx, s, since); err != nil {
			return fmt.Errorf("backdate organization: %w", err)
		}
	}

	clientIDs, err := allocate(ctx, tx, "clients", len(d.clients), func(i int) time.Time { return d.clients[i].created })
	if err != nil {
		return err
	}
	inquiryIDs, err := allocate(ctx, tx, "inquiries", len(d.inquiries), func(i int) time.Time { return d.inquiries[i].received })
	if err != nil {
		return err
	}
	bookingIDs, err := allocate(ctx, tx, "bookings", len(d.bookings), func(i int) time.Time { return d.bookings[i].booked })
	if err != nil {
		return err
	}
	invoiceIDs, err := allocate(ctx, tx, "invoices", len(d.invoices), func(i int) time.Time { return d.invoices[i].created })
	if err != nil {
		return err
	}
	ref := func(ids []int64, i int) int64 { // 0 stands for null
		if i < 0 {
			return 0
		}
		return ids[i]
	}

	var c columns
	for i, x := range d.clients {
		c.add(clientIDs[i], x.name, x.email, x.phone, x.created)
	}
	if err := c.insert(ctx, tx, "clients", `insert into clients (id, org_id, name, email, phone, created_at, updated_at)
		select u.id, $1, u.name, u.email, u.phone, u.at, u.at
		from unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::timestamptz[]) as u(id, name, email, phone, at)`, orgID); err != nil {
		return err
	}

	c = columns{}
	for i, x := range d.inquiries {
		updated := x.received
		if x.response != nil {
			updated = *x.response
		}
		c.add(inquiryIDs[i], clientIDs[x.client], x.source, x.received, x.response, x.wedding, x.status, x.estimate, updated)
	}
	if err := c.insert(ctx, tx, "inquiries", `insert into inquiries (id, org_id, client_id, source, received_at,
			first_response_at, wedding_date, status, estimated_value, currency, created_at, updated_at)
		select u.id, $1, u.client, u.source, u.received, u.response, u.wedding, u.status, u.estimate, 'USD', u.received, u.updated
		from unnest($2::bigint[], $3::bigint[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::date[],
			$8::text[], $9::bigint[], $10::timestamptz[]) as u(id, client, source, received, response, wedding, status, estimate, updated)`, orgID); err != nil {
		return err
	}

	c = columns{}
	for i, x := range d.bookings {
		c.add(bookingIDs[i], inquiryIDs[x.inquiry], clientIDs[x.client], d.clients[x.client].name, x.wedding, x.booked,
			x.status, x.contract, x.updated)
	}
	if err := c.insert(ctx, tx, "bookings", `insert into bookings (id, org_id, inquiry_id, client_id, title, wedding_date,
			booked_at, status, contract_amount, currency, created_at, updated_at)
		select u.id, $1, u.inquiry, u.client, u.title, u.wedding, u.booked, u.status, u.contract, 'USD', u.booked, u.updated
		from unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::date[], $7::timestamptz[], $8::text[],
			$9::bigint[], $10::timestamptz[]) as u(id, inquiry, client, title, wedding, booked, status, contract, updated)`, orgID); err != nil {
		return err
	}

	c = columns{}
	for i, x := range d.invoices {
		number := fmt.Sprintf("EP-%05d-%d", bookingIDs[x.booking], x.part)
		c.add(invoiceIDs[i], bookingIDs[x.booking], number, x.due, x.amount, x.paid, x.status, x.created, x.updated)
	}
	if err := c.insert(ctx, tx, "invoices", `insert into invoices (id, org_id, booking_id, number, due_date, amount,
			amount_paid, status, created_at, updated_at)
		select u.id, $1, u.booking, u.number, u.due, u.amount, u.paid, u.status, u.created, u.updated
		from unnest($2::bigint[], $3::bigint[], $4::text[], $5::date[], $6::bigint[], $7::bigint[], $8::text[],
			$9::timestamptz[], $10::timestamptz[]) as u(id, booking, number, due, amount, paid, status, created, updated)`, orgID); err != nil {
		return err
	}

	c = columns{}
	slices.SortStableFunc(d.payments, func(a, b payment) int { return a.paid.Compare(b.paid) })
	for _, x := range d.payments {
		c.add(x.provider, ref(bookingIDs, x.booking), ref(invoiceIDs, x.invoice), x.amount, x.refunded, x.fee,
			x.currency, x.status, x.paid, x.note, x.updated)
	}
	if err := c.insert(ctx, tx, "payments", `insert into payments (org_id, provider, booking_id, invoice_id, amount,
			refunded_amount, fee, currency, status, paid_at, note, created_at, updated_at)
		select $1, u.provider, nullif(u.booking, 0), nullif(u.invoice, 0), u.amount, u.refunded, u.fee, u.currency,
			u.status, u.paid, u.note, u.paid, u.updated
		from unnest($2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::text[],
			$9::text[], $10::timestamptz[], $11::text[], $12::timestamptz[])
			with ordinality as u(provider, booking, invoice, amount, refunded, fee, currency, status, paid, note, updated, n)
		order by u.n`, orgID); err != nil {
		return err
	}

	c = columns{}
	slices.SortStableFunc(d.reviews, func(a, b review) int { return a.received.Compare(b.received) })
	for _, x := range d.reviews {
		c.add(bookingIDs[x.booking], clientIDs[x.client], int16(x.rating), x.body, x.source, x.received)
	}
	if err := c.insert(ctx, tx, "reviews", `insert into reviews (org_id, booking_id, client_id, rating, body, source,
			received_at, created_at, updated_at)
		select $1, u.booking, u.client, u.rating, u.body, u.source, u.at, u.at, u.at
		from unnest($2::bigint[], $3::bigint[], $4::smallint[], $5::text[], $6::text[], $7::timestamptz[])
			with ordinality as u(booking, client, rating, body, source, at, n)
		order by u.n`, orgID); err != nil {
		return err
	}

	c = columns{}
	slices.SortStableFunc(d.events, func(a, b event) int { return a.starts.Compare(b.starts) })
	for _, x := range d.events {
		c.add(x.title, x.starts, x.ends, x.status, x.kind, ref(bookingIDs, x.booking), x.created)
	}
	return c.insert(ctx, tx, "calendar events", `insert into calendar_events (org_id, calendar_id, title, starts_at,
			ends_at, all_day, status, kind, booking_id, created_at, updated_at)
		select $1, 'primary', u.title, u.starts, u.ends, false, u.status, u.kind, nullif(u.booking, 0), u.created, u.created
		from unnest($2::text[], $3::timestamptz[], $4::timestamptz[], $5::text[], $6::text[], $7::bigint[], $8::timestamptz[])
			with ordinality as u(title, starts, ends, status, kind, booking, created, n)
		order by u.n`, orgID)
}

// allocate takes n ids from table's sequence and hands them out in the order of at, so that ids
// ascend with time.
func allocate(ctx context.Context, tx pgx.Tx, table string, n int, at func(i int) time.Time) ([]int64, error) {
	rows, err := tx.Query(ctx, "select nextval(pg_get_serial_sequence($1, 'id')) from generate_series(1, $2)", table, n)
	if err != nil {
		return nil, fmt.Errorf("allocate %s ids: %w", table, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("allocate %s ids: %w", table, err)
	}
	slices.Sort(ids)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return at(a).Compare(at(b)) })
	out := make([]int64, n)
	for k, i := range order {
		out[i] = ids[k]
	}
	return out, nil
}

// columns gathers the values of a multi-row insert column by column; each column becomes one
// array parameter.
type columns struct {
	cols [][]any
}

// add appends one row.
func (c *columns) add(values ...any) {
	if c.cols == nil {
		c.cols = make([][]any, len(values))
	}
	for i, v := range values {
		c.cols[i] = append(c.cols[i], v)
	}
}

// insert runs sql with orgID as $1 and the columns as $2, $3, ...
func (c *columns) insert(ctx context.Context, tx pgx.Tx, what, sql string, orgID int64) error {
	if len(c.cols) == 0 {
		return nil
	}
	args := []any{orgID}
	for _, col := range c.cols {
		args = append(args, col)
	}
	if _, err := tx.Exec(ctx, sql, args...); err != nil {
		return fmt.Errorf("insert %s: %w", what, err)
	}
	return nil
}
