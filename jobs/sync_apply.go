package jobs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/jackc/pgx/v5"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/store"
)

// applyRecords upserts or deletes one page of records of an integration inside tx (a sync
// page or a webhook event). A record that cannot be stored is skipped and reported (problem)
// when the transaction is still usable; a failed statement aborts the page instead.
//
// Consecutive payment upserts go to the store as one batch (store.UpsertPaymentsBatch: links,
// checks and the multi-row upsert in one statement); other records are written one by one, in
// page order.
func applyRecords(ctx context.Context, db *store.DB, tx pgx.Tx, orgID, integrationID int64, recs []connector.Record) (store.SyncCounts, string, error) {
	var c store.SyncCounts
	var problem string
	for i := 0; i < len(recs); {
		if j := paymentRun(recs, i); j > i {
			if err := applyPayments(ctx, db, tx, orgID, integrationID, recs[i:j], &c, &problem); err != nil {
				return c, problem, err
			}
			i = j
			continue
		}
		rec := recs[i]
		i++
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
			skipped, abort := skipOrAbort(ctx, tx, rec, err)
			if abort != nil {
				return c, problem, abort
			}
			c.Skipped++
			problem = skipped
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

// skipOrAbort decides what a failed record does to its page: a statement that failed inside
// PostgreSQL has taken the transaction, and so the page, with it (bad_data); anything else
// skips the record with a problem message.
func skipOrAbort(ctx context.Context, tx pgx.Tx, rec connector.Record, err error) (problem string, abort error) {
	if _, probe := tx.Exec(ctx, "select 1"); probe != nil {
		return "", &connector.Error{Class: connector.ClassBadData, Err: fmt.Errorf("%s %s: %w", rec.Kind, rec.ExternalID, err)}
	}
	return fmt.Sprintf("%s %s skipped: %v", rec.Kind, rec.ExternalID, err), nil
}

// upsertRecord writes one record, resolving its links to other records first. (Payments go to
// applyPayments, in batches.)
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
		if row.BookingID == nil && row.Kind == "wedding" && row.Status != "cancelled" {
			cands, err := db.BookingsOnEventDate(ctx, tx, orgID, row.StartsAt, row.AllDay || row.LocalTime)
			if err != nil {
				return false, err
			}
			row.BookingID = MatchWeddingBooking(row.Title, cands)
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

// paymentRun returns the end of the run of records from i on that applyPayments writes in one
// batch: payment upserts, and records with a problem (which write nothing); i when recs[i] is
// neither.
func paymentRun(recs []connector.Record, i int) int {
	j := i
	for ; j < len(recs); j++ {
		rec := recs[j]
		if rec.Problem != "" {
			continue
		}
		if _, ok := rec.Row.(store.PaymentRow); !ok || rec.Deleted {
			break
		}
	}
	return j
}

// applyPayments writes a run of payment records with one batch upsert, which resolves their
// links as upsertRecord would: the invoice and booking the integration delivered under the
// linked external ids, else the supplier's booking reference, then the client's email.
func applyPayments(ctx context.Context, db *store.DB, tx pgx.Tx, orgID, iid int64, recs []connector.Record, c *store.SyncCounts, problem *string) error {
	problems := make([]string, len(recs))
	rows := make([]store.PaymentUpsert, 0, len(recs))
	at := make([]int, 0, len(recs)) // rows[k] is recs[at[k]]
	for i, rec := range recs {
		if rec.Problem != "" {
			problems[i] = rec.Problem
			continue
		}
		row := rec.Row.(store.PaymentRow)
		row.IntegrationID = iid
		if row.ExternalID == "" {
			row.ExternalID = rec.ExternalID
		}
		rows = append(rows, store.PaymentUpsert{PaymentRow: row, InvoiceExternalID: rec.Links[connector.KindInvoice],
			BookingExternalID: rec.Links[connector.KindBooking], BookingRef: rec.BookingRef, ClientEmail: rec.ClientEmail})
		at = append(at, i)
	}
	res, err := db.UpsertPaymentsBatch(ctx, tx, orgID, rows)
	if err != nil {
		if _, probe := tx.Exec(ctx, "select 1"); probe != nil {
			return &connector.Error{Class: connector.ClassBadData, Err: fmt.Errorf("%d payments from %s: %w", len(rows), recs[0].ExternalID, err)}
		}
		res = store.PaymentBatchResult{} // nothing was written: every payment of the run is skipped
		for k := range rows {
			res.Skipped = append(res.Skipped, store.SkippedPayment{Index: k, Err: err})
		}
	}
	for _, s := range res.Skipped {
		rec := recs[at[s.Index]]
		problems[at[s.Index]] = fmt.Sprintf("%s %s skipped: %v", rec.Kind, rec.ExternalID, s.Err)
	}
	c.Created += res.Created
	c.Updated += res.Updated
	for _, p := range problems {
		if p != "" {
			c.Skipped++
			*problem = p
		}
	}
	return nil
}

// MatchWeddingBooking picks the booking a wedding calendar event belongs to, among the counting
// bookings of its local date: the one whose client's name appears in the event's title, case
// aside. A couple's name ("Ana & Bo", "Ana Smith and Bo Jones") appears when every partner does,
// by full name or by first name; a single name must appear whole. Words match whole ("Bo" is not
// "Bob"). No match, or more than one booking matching, links nothing: a lone booking on that date
// is not assumed to be the event's.
func MatchWeddingBooking(title string, cands []store.BookingCandidate) *int64 {
	words := nameWords(title)
	var found *int64
	for _, c := range cands {
		partners := splitPartners(c.Name)
		if len(partners) == 0 {
			continue
		}
		all := true
		for _, p := range partners {
			if !containsRun(words, p) && !(len(partners) > 1 && containsRun(words, p[:1])) {
				all = false
				break
			}
		}
		if all {
			if found != nil {
				return nil // two bookings fit: linking either could be wrong
			}
			id := c.ID
			found = &id
		}
	}
	return found
}

// splitPartners splits a client's name into its people ("Ana Smith & Bo" → [ana smith] [bo]),
// on &, +, /, commas and the word "and".
func splitPartners(name string) [][]string {
	spaced := strings.NewReplacer("&", " & ", "+", " & ", "/", " & ", ",", " & ").Replace(strings.ToLower(name))
	var out [][]string
	var cur []string
	for _, f := range append(strings.Fields(spaced), "&") {
		if f == "&" || f == "and" {
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, nameWords(f)...)
	}
	return out
}

// nameWords lowercases s and splits it into words of letters and digits.
func nameWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// containsRun reports whether run appears in words as consecutive whole words.
func containsRun(words, run []string) bool {
	if len(run) == 0 {
		return false
	}
	for i := 0; i+len(run) <= len(words); i++ {
		if slices.Equal(words[i:i+len(run)], run) {
			return true
		}
	}
	return false
}
