// Package connector is the contract between the sync framework (jobs/sync*.go) and the
// provider packages under jobs/connector/<provider>. A connector knows its provider's API, paging
// and record shapes, and maps records to store rows; it knows nothing of HTTP routes, sessions,
// River or transactions. The framework upserts each page and advances the cursor in one
// transaction, classifies failures, retries, and records sync runs.
package connector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Class is the kind of trouble a sync ran into, as the integrations page explains it.
type Class string

// The classes of trouble, each with what the admin should do.
const (
	ClassCredentials  Class = "credentials"   // the key or token was refused: reconnect (needs_reauth, no retry)
	ClassPermission   Class = "permission"    // the key works but lacks a scope: grant it
	ClassProviderDown Class = "provider_down" // 5xx or timeouts: we retry with backoff
	ClassRateLimited  Class = "rate_limited"  // 429: we wait as long as the provider asks
	ClassBadData      Class = "bad_data"      // a record we cannot map: skipped and reported
	ClassBug          Class = "bug"           // our fault: reported, retried later
)

// Error is a classified connector failure.
type Error struct {
	Class Class
	// RetryAfter is how long the provider asked us to wait (429 Retry-After), if it said.
	RetryAfter time.Duration
	// Status is the HTTP status, when there was one.
	Status int
	Err    error
}

func (e *Error) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("%s (HTTP %d): %v", e.Class, e.Status, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Class, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// ClassOf returns the class of err: an *Error's class, provider_down for timeouts and network
// errors, bug otherwise.
func ClassOf(err error) Class {
	var ce *Error
	if errors.As(err, &ce) {
		return ce.Class
	}
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		return ClassProviderDown
	}
	return ClassBug
}

// FromStatus classifies an HTTP error response. retryAfter is the parsed Retry-After (0 if none).
func FromStatus(status int, retryAfter time.Duration, err error) *Error {
	c := ClassBug
	switch {
	case status == http.StatusUnauthorized:
		c = ClassCredentials
	case status == http.StatusForbidden:
		c = ClassPermission
	case status == http.StatusTooManyRequests:
		c = ClassRateLimited
	case status >= 500:
		c = ClassProviderDown
	}
	return &Error{Class: c, Status: status, RetryAfter: retryAfter, Err: err}
}

// ParseRetryAfter reads a Retry-After header (seconds or an HTTP date).
func ParseRetryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	var secs int
	if _, err := fmt.Sscanf(h, "%d", &secs); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// Connector syncs one integration of one provider.
type Connector interface {
	// Test checks the credentials with one cheap call ("Test connection").
	Test(ctx context.Context) error
	// Fetch returns the page of records after cursor (nil cursor: start, a full or initial sync).
	// The framework stores Page.Cursor with the page's rows in one transaction and calls Fetch
	// again with it until Page.Done. A cursor must be safe to resume from after a crash.
	Fetch(ctx context.Context, cursor json.RawMessage) (Page, error)
}

// Page is one page of mapped records. Rows carry ExternalID; the framework sets IntegrationID.
type Page struct {
	Records []Record
	// Cursor resumes after this page.
	Cursor json.RawMessage
	// Done means the sync is complete; Cursor is the starting point of the next incremental sync.
	Done bool
}

// Record is one upsert or delete. Exactly one of the row fields is set, or Deleted is true.
type Record struct {
	Kind Kind
	// ExternalID identifies the record at the provider (unique per integration).
	ExternalID string
	// Deleted removes the record (a cancelled calendar event may instead be upserted with status
	// cancelled, which keeps its history).
	Deleted bool
	// Row is the store row to upsert: store.PaymentRow, store.ClientRow, store.InquiryRow,
	// store.BookingRow, store.InvoiceRow, store.ReviewRow or store.CalendarEventRow.
	Row any
	// Links asks the framework to resolve references to other records of the same integration
	// (e.g. a payment's booking by the booking's external id) before the upsert.
	Links map[Kind]string
	// BookingRef is a booking reference the supplier put in the provider's metadata (Stripe
	// metadata.booking_id, an invoice number): the framework links to that booking if it exists.
	BookingRef string
	// ClientEmail lets the framework link a payment to a booking of the client with that email.
	ClientEmail string
	// Problem, when set, says why the record could not be mapped: the framework skips it,
	// counts it and reports the message in the sync run (class bad_data).
	Problem string
}

// Kind is the type of record.
type Kind string

// The kinds of records connectors produce (the store's ExternalRecordID kinds).
const (
	KindClient        Kind = "client"
	KindInquiry       Kind = "inquiry"
	KindBooking       Kind = "booking"
	KindInvoice       Kind = "invoice"
	KindPayment       Kind = "payment"
	KindReview        Kind = "review"
	KindCalendarEvent Kind = "calendar_event"
)
