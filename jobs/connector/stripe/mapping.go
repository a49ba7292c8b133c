package stripe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	stripeapi "github.com/stripe/stripe-go/v82"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/store"
)

// MapCharge turns a charge into a payment record: amounts stay in minor units, the currency is
// upper-cased, refunds come from amount_refunded, the fee from the expanded balance transaction,
// the booking reference from metadata.booking_id and the client's email from the billing details.
func MapCharge(ch *stripeapi.Charge) connector.Record {
	rec := connector.Record{Kind: connector.KindPayment, ExternalID: ch.ID}
	currency := strings.ToUpper(string(ch.Currency))
	if len(currency) != 3 || ch.Amount < 0 {
		rec.Problem = fmt.Sprintf("charge %s: currency %q or amount %d cannot be read", ch.ID, ch.Currency, ch.Amount)
		return rec
	}
	row := store.PaymentRow{
		ExternalID:     ch.ID,
		Provider:       Name,
		Amount:         ch.Amount,
		RefundedAmount: min(max(ch.AmountRefunded, 0), ch.Amount),
		Currency:       currency,
		Status:         chargeStatus(ch),
		PaidAt:         time.Unix(ch.Created, 0).UTC(),
		Note:           ch.Description,
	}
	if bt := ch.BalanceTransaction; bt != nil && bt.Fee > 0 {
		row.Fee = min(bt.Fee, ch.Amount)
	}
	rec.Row = row
	if ch.Metadata != nil {
		rec.BookingRef = strings.TrimSpace(ch.Metadata["booking_id"])
	}
	if ch.BillingDetails != nil && ch.BillingDetails.Email != "" {
		rec.ClientEmail = ch.BillingDetails.Email
	} else {
		rec.ClientEmail = ch.ReceiptEmail
	}
	return rec
}

// chargeStatus maps Stripe's status, capture and refunds to a payment status.
func chargeStatus(ch *stripeapi.Charge) string {
	switch ch.Status {
	case stripeapi.ChargeStatusFailed:
		return "failed"
	case stripeapi.ChargeStatusPending:
		return "pending"
	}
	if !ch.Captured {
		return "pending"
	}
	switch {
	case ch.Amount > 0 && (ch.Refunded || ch.AmountRefunded >= ch.Amount):
		return "refunded"
	case ch.AmountRefunded > 0:
		return "partially_refunded"
	}
	return "succeeded"
}

// classify turns a stripe-go error into a classified connector error.
func classify(ctx context.Context, err error, now time.Time) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var se *stripeapi.Error
	if errors.As(err, &se) {
		var retryAfter time.Duration
		if se.LastResponse != nil {
			retryAfter = connector.ParseRetryAfter(se.LastResponse.Header.Get("Retry-After"), now)
		}
		msg := se.Msg
		if msg == "" {
			msg = string(se.Type)
		}
		ce := connector.FromStatus(se.HTTPStatusCode, retryAfter, fmt.Errorf("stripe: %s", msg))
		if se.HTTPStatusCode == 400 || se.HTTPStatusCode == 404 {
			ce.Class = connector.ClassBug
		}
		return ce
	}
	var ue *url.Error
	var ne net.Error
	if errors.As(err, &ue) || errors.As(err, &ne) {
		return &connector.Error{Class: connector.ClassProviderDown, Err: fmt.Errorf("stripe: %w", err)}
	}
	return &connector.Error{Class: connector.ClassBug, Err: fmt.Errorf("stripe: %w", err)}
}
