package stripe

import (
	"encoding/json"

	stripeapi "github.com/stripe/stripe-go/v82"
)

// chargePage is a page of GET /v1/charges, decoded once, into the fields MapCharge reads.
// stripe-go's own ChargeList, and even its CallRaw into a custom type, scan a page several times
// (every level with an UnmarshalJSON of its own is validated and skipped again, and
// Charge.UnmarshalJSON re-parses each charge), and most of the big Charge struct is never read:
// on a full sync that decoding cost more CPU than writing the payments. The HTTP call, the key,
// the errors and the response bookkeeping stay stripe-go's (Backend.RawRequest).
type chargePage struct {
	Data    []*chargeFields `json:"data"`
	HasMore bool            `json:"has_more"`
}

// chargeFields are the fields of a charge object that MapCharge reads, as Stripe sends them.
type chargeFields struct {
	ID                 string             `json:"id"`
	Amount             int64              `json:"amount"`
	AmountRefunded     int64              `json:"amount_refunded"`
	BalanceTransaction *balanceFields     `json:"balance_transaction"`
	BillingDetails     *billingFields     `json:"billing_details"`
	Captured           bool               `json:"captured"`
	Created            int64              `json:"created"`
	Currency           stripeapi.Currency `json:"currency"`
	Description        string             `json:"description"`
	Metadata           map[string]string  `json:"metadata"`
	ReceiptEmail       string             `json:"receipt_email"`
	Refunded           bool               `json:"refunded"`
	Status             string             `json:"status"`
}

type billingFields struct {
	Email string `json:"email"`
}

// balanceFields is balance_transaction: an id, or the expanded object (whose fee is read).
type balanceFields struct {
	ID  string
	Fee int64
}

// UnmarshalJSON reads an id (a JSON string) or an expanded balance transaction, as stripe-go's
// BalanceTransaction does.
func (b *balanceFields) UnmarshalJSON(data []byte) error {
	if id, ok := stripeapi.ParseID(data); ok {
		b.ID = id
		return nil
	}
	var v struct {
		ID  string `json:"id"`
		Fee int64  `json:"fee"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	b.ID, b.Fee = v.ID, v.Fee
	return nil
}

// charge is the stripe-go Charge holding these fields, for MapCharge (the one mapping of a
// charge, shared with webhooks).
func (f *chargeFields) charge() *stripeapi.Charge {
	ch := &stripeapi.Charge{
		ID: f.ID, Amount: f.Amount, AmountRefunded: f.AmountRefunded, Captured: f.Captured, Created: f.Created,
		Currency: f.Currency, Description: f.Description, Metadata: f.Metadata, ReceiptEmail: f.ReceiptEmail,
		Refunded: f.Refunded, Status: stripeapi.ChargeStatus(f.Status),
	}
	if f.BalanceTransaction != nil {
		ch.BalanceTransaction = &stripeapi.BalanceTransaction{ID: f.BalanceTransaction.ID, Fee: f.BalanceTransaction.Fee}
	}
	if f.BillingDetails != nil {
		ch.BillingDetails = &stripeapi.ChargeBillingDetails{Email: f.BillingDetails.Email}
	}
	return ch
}
