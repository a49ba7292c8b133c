package square

import (
	"fmt"
	"strings"
	"time"

	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/store"
)

// money is Square's Money object: an integer amount in the currency's smallest unit.
type money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

type processingFee struct {
	EffectiveAt string `json:"effective_at"`
	Type        string `json:"type"`
	AmountMoney *money `json:"amount_money"`
}

// payment is the part of Square's Payment object that WedSync uses.
type payment struct {
	ID                string          `json:"id"`
	CreatedAt         string          `json:"created_at"`
	UpdatedAt         string          `json:"updated_at"`
	AmountMoney       *money          `json:"amount_money"`
	TipMoney          *money          `json:"tip_money"`
	TotalMoney        *money          `json:"total_money"`
	RefundedMoney     *money          `json:"refunded_money"`
	ProcessingFee     []processingFee `json:"processing_fee"`
	Status            string          `json:"status"`
	SourceType        string          `json:"source_type"`
	LocationID        string          `json:"location_id"`
	OrderID           string          `json:"order_id"`
	ReferenceID       string          `json:"reference_id"`
	BuyerEmailAddress string          `json:"buyer_email_address"`
	Note              string          `json:"note"`
	RefundIDs         []string        `json:"refund_ids"`
}

// refund is the part of Square's PaymentRefund object that WedSync uses.
type refund struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	AmountMoney *money `json:"amount_money"`
	PaymentID   string `json:"payment_id"`
	CreatedAt   string `json:"created_at"`
}

// unsettled reports whether a payment may still change status (authorized or pending).
func (p payment) unsettled() bool { return p.Status == "APPROVED" || p.Status == "PENDING" }

// createdAt parses created_at (RFC 3339 with fractional seconds).
func (p payment) createdAt() (time.Time, error) {
	return time.Parse(time.RFC3339Nano, p.CreatedAt)
}

// mapPayment turns a Square payment into a payment record. The amount is total_money (amount plus
// tip), falling back to amount_money; the fee is the sum of processing_fee[] (adjustments included,
// never below zero); refunded_money decides refunded or partially_refunded for COMPLETED payments.
// Errors are *connector.Error of class bad_data.
func mapPayment(p payment) (connector.Record, error) {
	bad := func(format string, args ...any) (connector.Record, error) {
		return connector.Record{}, &connector.Error{Class: connector.ClassBadData,
			Err: fmt.Errorf("square payment %q: "+format, append([]any{p.ID}, args...)...)}
	}
	if p.ID == "" {
		return bad("no id")
	}
	total := p.TotalMoney
	if total == nil {
		total = p.AmountMoney
	}
	if total == nil {
		return bad("no total_money or amount_money")
	}
	cur := strings.ToUpper(total.Currency)
	if !store.ValidCurrency(cur) {
		return bad("unknown currency %q", total.Currency)
	}
	if total.Amount < 0 || total.Amount > store.MaxMoney {
		return bad("amount %d out of range", total.Amount)
	}
	paid, err := p.createdAt()
	if err != nil {
		return bad("created_at %q: %v", p.CreatedAt, err)
	}
	row := store.PaymentRow{ExternalID: p.ID, Provider: Name, Amount: total.Amount, Currency: cur,
		PaidAt: paid.UTC(), Note: p.Note}
	for _, f := range p.ProcessingFee {
		if f.AmountMoney != nil {
			row.Fee += f.AmountMoney.Amount
		}
	}
	row.Fee = max(row.Fee, 0)
	if p.RefundedMoney != nil {
		row.RefundedAmount = min(max(p.RefundedMoney.Amount, 0), row.Amount)
	}
	switch p.Status {
	case "APPROVED", "PENDING":
		row.Status, row.RefundedAmount = "pending", 0
	case "COMPLETED":
		switch {
		case row.RefundedAmount > 0 && row.RefundedAmount == row.Amount:
			row.Status = "refunded"
		case row.RefundedAmount > 0:
			row.Status = "partially_refunded"
		default:
			row.Status = "succeeded"
		}
	case "CANCELED", "FAILED":
		row.Status, row.RefundedAmount = "failed", 0
	default:
		return bad("unknown status %q", p.Status)
	}
	return connector.Record{Kind: connector.KindPayment, ExternalID: p.ID, Row: row,
		BookingRef: p.ReferenceID, ClientEmail: strings.TrimSpace(p.BuyerEmailAddress)}, nil
}
