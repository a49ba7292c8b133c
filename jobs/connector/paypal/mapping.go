package paypal

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/store"
)

// money is PayPal's Money: a currency code and a decimal string ("-78.00", "1234").
type money struct {
	CurrencyCode string `json:"currency_code"`
	Value        string `json:"value"`
}

type transactionInfo struct {
	PaypalAccountID           string `json:"paypal_account_id"`
	TransactionID             string `json:"transaction_id"`
	PaypalReferenceID         string `json:"paypal_reference_id"`
	PaypalReferenceIDType     string `json:"paypal_reference_id_type"`
	TransactionEventCode      string `json:"transaction_event_code"`
	TransactionInitiationDate string `json:"transaction_initiation_date"`
	TransactionUpdatedDate    string `json:"transaction_updated_date"`
	TransactionAmount         *money `json:"transaction_amount"`
	FeeAmount                 *money `json:"fee_amount"`
	TransactionStatus         string `json:"transaction_status"`
	TransactionSubject        string `json:"transaction_subject"`
	TransactionNote           string `json:"transaction_note"`
	InvoiceID                 string `json:"invoice_id"`
	CustomField               string `json:"custom_field"`
}

type payerInfo struct {
	AccountID    string `json:"account_id"`
	EmailAddress string `json:"email_address"`
}

type transactionDetail struct {
	TransactionInfo transactionInfo `json:"transaction_info"`
	PayerInfo       *payerInfo      `json:"payer_info"`
}

// adjustmentCodes are the event codes that move money of an earlier payment back (negative: a
// PayPal reversal T1106, a merchant refund T1107, a chargeback T1201) or forth again (positive: a
// chargeback reversal T1202). They point at the payment through paypal_reference_id.
var adjustmentCodes = []string{"T1106", "T1107", "T1201", "T1202"}

// txn is one parsed transaction row.
type txn struct {
	id, ref, code, status, currency string
	amount, fee                     int64 // signed minor units
	at, updated                     time.Time
	email, bookingRef, note         string
}

// isPayment: money received (an incoming T00xx payment). isAdjustment: a refund-like row of an
// earlier payment. Anything else (withdrawals, payments the supplier sent, holds, currency
// conversions, fees) is not a payment to WedSync and is ignored.
func (t txn) isPayment() bool { return strings.HasPrefix(t.code, "T00") && t.amount > 0 }

func (t txn) isAdjustment() bool {
	return slices.Contains(adjustmentCodes, t.code) && t.ref != "" && t.ref != t.id
}

// parseTxn parses a row's amounts exactly and its dates; errors are of class bad_data.
func parseTxn(d transactionDetail) (txn, error) {
	ti := d.TransactionInfo
	bad := func(format string, args ...any) (txn, error) {
		return txn{}, &connector.Error{Class: connector.ClassBadData,
			Err: fmt.Errorf("paypal transaction %q: "+format, append([]any{ti.TransactionID}, args...)...)}
	}
	if ti.TransactionID == "" {
		return bad("no transaction_id")
	}
	if ti.TransactionAmount == nil {
		return bad("no transaction_amount")
	}
	t := txn{id: ti.TransactionID, code: ti.TransactionEventCode, status: ti.TransactionStatus,
		currency: strings.ToUpper(ti.TransactionAmount.CurrencyCode), note: ti.TransactionSubject,
		bookingRef: ti.InvoiceID}
	if ti.PaypalReferenceIDType == "" || ti.PaypalReferenceIDType == "TXN" {
		t.ref = ti.PaypalReferenceID
	}
	if !store.ValidCurrency(t.currency) {
		return bad("unknown currency %q", ti.TransactionAmount.CurrencyCode)
	}
	var err error
	if t.amount, err = ParseAmount(ti.TransactionAmount.Value, t.currency); err != nil {
		return bad("transaction_amount: %v", err)
	}
	if ti.FeeAmount != nil && ti.FeeAmount.Value != "" {
		if t.fee, err = ParseAmount(ti.FeeAmount.Value, t.currency); err != nil {
			return bad("fee_amount: %v", err)
		}
	}
	if t.at, err = ParseTime(ti.TransactionInitiationDate); err != nil {
		return bad("transaction_initiation_date: %v", err)
	}
	t.updated, _ = ParseTime(ti.TransactionUpdatedDate)
	if t.note == "" {
		t.note = ti.TransactionNote
	}
	if t.bookingRef == "" {
		t.bookingRef = ti.CustomField
	}
	if d.PayerInfo != nil {
		t.email = strings.TrimSpace(d.PayerInfo.EmailAddress)
	}
	return t, nil
}

// ParseTime reads PayPal's dates: "2019-06-04T01:27:43+0000" (no colon in the offset) or RFC 3339.
func ParseTime(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02T15:04:05-0700", s); err == nil {
		return t.UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t.UTC(), err
}

// ParseAmount converts a PayPal decimal string ("-78.00", "1234.5", "0.07", ".5", "1234") to
// minor units of currency exactly, without floating point. The currency's decimals come from
// store.MinorUnits (JPY 0, USD 2, BHD 3); extra decimal places are accepted only when they are
// zeros. Amounts beyond store.MaxMoney are refused.
func ParseAmount(value, currency string) (int64, error) {
	scale := store.MinorUnits(currency)
	s := strings.TrimSpace(value)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	whole, frac, dot := strings.Cut(s, ".")
	if (whole == "" && frac == "") || (dot && frac == "") || !allDigits(whole) || !allDigits(frac) {
		return 0, fmt.Errorf("%q is not a decimal amount", value)
	}
	if len(frac) > scale {
		if strings.Trim(frac[scale:], "0") != "" {
			return 0, fmt.Errorf("%q has more decimal places than %s allows (%d)", value, currency, scale)
		}
		frac = frac[:scale]
	}
	digits := strings.TrimLeft(whole+frac+strings.Repeat("0", scale-len(frac)), "0")
	if len(digits) > 15 {
		return 0, fmt.Errorf("%q is too large", value)
	}
	var v int64
	for _, c := range digits {
		v = v*10 + int64(c-'0')
	}
	if v > store.MaxMoney {
		return 0, fmt.Errorf("%q is too large", value)
	}
	if neg {
		v = -v
	}
	return v, nil
}

func allDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// prefer reports whether a should stand for a transaction id over b when PayPal lists the id twice:
// the later transaction_updated_date wins, then the later status (D < P < S < V), then the larger
// amount, so the choice does not depend on the order the rows came in.
func prefer(a, b txn) bool {
	if c := a.updated.Compare(b.updated); c != 0 {
		return c > 0
	}
	rank := func(s string) int { return strings.Index("DPSV", s) }
	if ra, rb := rank(a.status), rank(b.status); ra != rb {
		return ra > rb
	}
	if a.amount != b.amount {
		return a.amount > b.amount
	}
	return a.fee < b.fee
}

// collapse keeps one row per transaction id (see prefer), in the order ids first appear.
func collapse(ts []txn) []txn {
	var out []txn
	index := map[string]int{}
	for _, t := range ts {
		if i, ok := index[t.id]; ok {
			if prefer(t, out[i]) {
				out[i] = t
			}
			continue
		}
		index[t.id] = len(out)
		out = append(out, t)
	}
	return out
}

// paymentRecord maps payment p with the adjustments known for it (unique by id). The amount is the
// gross received; refunded is minus the sum of the adjustments in p's currency, clamped to
// [0, amount], or the whole amount when PayPal marks p reversed (V). Status: S succeeded (or
// partially_refunded/refunded by the refunds), V refunded, P pending, D failed. The fee is the
// absolute fee_amount of p.
func paymentRecord(p txn, adjustments []txn) (connector.Record, error) {
	row := store.PaymentRow{ExternalID: p.id, Provider: Name, Amount: p.amount, Fee: abs(p.fee),
		Currency: p.currency, PaidAt: p.at, Note: p.note}
	var refunded int64
	for _, a := range adjustments {
		if a.currency == p.currency {
			refunded -= a.amount
		}
	}
	refunded = min(max(refunded, 0), p.amount)
	switch p.status {
	case "S", "V":
		if p.status == "V" {
			refunded = p.amount
		}
		row.RefundedAmount = refunded
		switch {
		case refunded == 0:
			row.Status = "succeeded"
		case refunded == p.amount:
			row.Status = "refunded"
		default:
			row.Status = "partially_refunded"
		}
	case "P":
		row.Status = "pending"
	case "D":
		row.Status = "failed"
	default:
		return connector.Record{}, &connector.Error{Class: connector.ClassBadData,
			Err: fmt.Errorf("paypal transaction %q: unknown transaction_status %q", p.id, p.status)}
	}
	return connector.Record{Kind: connector.KindPayment, ExternalID: p.id, Row: row,
		BookingRef: p.bookingRef, ClientEmail: p.email}, nil
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
