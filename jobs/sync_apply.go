package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/store"
)

// applyRecords upserts or deletes one page of records of an integration inside tx (a sync
// page or a webhook event). A record that cannot be stored is skipped and reported (problem)
// when the transaction is still usable; a failed statement aborts the page instead.
func applyRecords(ctx context.Context, db *store.DB, tx pgx.Tx, orgID, integrationID int64, recs []connector.Record) (store.SyncCounts, string, error) {
	var c store.SyncCounts
	var problem string
	for _, rec := range recs {
		if rec.Problem != "" {
			c.Skipped++
			problem = rec.Problem
			continue
		}
		if rec.Deleted {
			ok, err := db.DeleteExternalRecord(ctx, tx, string(rec.Kind), integrationID, rec.ExternalID)
			if err != nil {
				return c, problem, err
			}
			if ok {
				c.Deleted++
			}
			continue
		}
		created, err := upsertRecord(ctx, db, tx, orgID, integrationID, rec)
		if err != nil {
			if _, probe := tx.Exec(ctx, "select 1"); probe != nil {
				// The statement failed inside PostgreSQL: the transaction is gone, so is the page.
				return c, problem, &connector.Error{Class: connector.ClassBadData,
					Err: fmt.Errorf("%s %s: %w", rec.Kind, rec.ExternalID, err)}
			}
			c.Skipped++
			problem = fmt.Sprintf("%s %s skipped: %v", rec.Kind, rec.ExternalID, err)
			continue
		}
		if created {
			c.Created++
		} else {
			c.Updated++
		}
	}
	return c, problem, nil
}

// upsertRecord writes one record, resolving its links to other records first.
func upsertRecord(ctx context.Context, db *store.DB, tx pgx.Tx, orgID, iid int64, rec connector.Record) (bool, error) {
	ext := func(row string) string {
		if row != "" {
			return row
		}
		return rec.ExternalID
	}
	link := func(k connector.Kind, have *int64) (*int64, error) {
		if have != nil || rec.Links[k] == "" {
			return have, nil
		}
		id, err := db.ExternalRecordID(ctx, tx, string(k), iid, rec.Links[k])
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		return &id, err
	}
	var err error
	switch row := rec.Row.(type) {
	case store.PaymentRow:
		row.IntegrationID, row.ExternalID = iid, ext(row.ExternalID)
		if row.InvoiceID, err = link(connector.KindInvoice, row.InvoiceID); err != nil {
			return false, err
		}
		if row.BookingID, err = link(connector.KindBooking, row.BookingID); err != nil {
			return false, err
		}
		if row.BookingID == nil && row.InvoiceID == nil {
			if row.BookingID, err = bookingFor(ctx, db, tx, rec); err != nil {
				return false, err
			}
		}
		return db.UpsertPayment(ctx, tx, orgID, row)
	case store.ClientRow:
		row.IntegrationID, row.ExternalID = iid, ext(row.ExternalID)
		return db.UpsertClient(ctx, tx, orgID, row)
	case store.InquiryRow:
		row.IntegrationID, row.ExternalID = iid, ext(row.ExternalID)
		if row.ClientID, err = link(connector.KindClient, row.ClientID); err != nil {
			return false, err
		}
		return db.UpsertInquiry(ctx, tx, orgID, row)
	case store.BookingRow:
		row.IntegrationID, row.ExternalID = iid, ext(row.ExternalID)
		if row.ClientID, err = link(connector.KindClient, row.ClientID); err != nil {
			return false, err
		}
		if row.InquiryID, err = link(connector.KindInquiry, row.InquiryID); err != nil {
			return false, err
		}
		return db.UpsertBooking(ctx, tx, orgID, row)
	case store.InvoiceRow:
		row.IntegrationID, row.ExternalID = iid, ext(row.ExternalID)
		if row.BookingID == 0 {
			b, err := link(connector.KindBooking, nil)
			if err == nil && b == nil {
				b, err = bookingFor(ctx, db, tx, rec)
			}
			if err != nil {
				return false, err
			}
			if b == nil {
				return false, fmt.Errorf("invoice %s: its booking is unknown", row.ExternalID)
			}
			row.BookingID = *b
		}
		return db.UpsertInvoice(ctx, tx, orgID, row)
	case store.ReviewRow:
		row.IntegrationID, row.ExternalID = iid, ext(row.ExternalID)
		if row.ClientID, err = link(connector.KindClient, row.ClientID); err != nil {
			return false, err
		}
		if row.BookingID, err = link(connector.KindBooking, row.BookingID); err != nil {
			return false, err
		}
		return db.UpsertReview(ctx, tx, orgID, row)
	case store.CalendarEventRow:
		row.IntegrationID, row.ExternalID = iid, ext(row.ExternalID)
		if row.BookingID, err = link(connector.KindBooking, row.BookingID); err != nil {
			return false, err
		}
		return db.UpsertCalendarEvent(ctx, tx, orgID, row)
	}
	return false, fmt.Errorf("record %s: unsupported row type %T", rec.ExternalID, rec.Row)
}

// bookingFor links by the supplier's booking reference, then by the client's email.
func bookingFor(ctx context.Context, db *store.DB, tx pgx.Tx, rec connector.Record) (*int64, error) {
	if ref := strings.TrimSpace(rec.BookingRef); ref != "" {
		if id, err := db.BookingByRef(ctx, tx, ref); id != nil || err != nil {
			return id, err
		}
	}
	if email := strings.TrimSpace(rec.ClientEmail); email != "" {
		return db.BookingByClientEmail(ctx, tx, email)
	}
	return nil, nil
}
