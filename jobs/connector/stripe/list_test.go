package stripe

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
	stripeapi "github.com/stripe/stripe-go/v82"
	"github.com/wedsync/wedsync/store"
)

// TestChargePageMapsAsStripeGo proves the single-pass page decoding gives every charge the
// record stripe-go's own ChargeList decoding gives: amounts, refunds, currency, status, fee (an
// expanded balance transaction or a bare id), booking reference, email (billing details, else the
// receipt email), description, and null entries skipped.
func TestChargePageMapsAsStripeGo(t *testing.T) {
	body := []byte(`{"object":"list","url":"/v1/charges","has_more":true,"data":[
		{"id":"ch_1","object":"charge","amount":120000,"amount_refunded":20000,"captured":true,"created":1767225600,
		 "currency":"eur","description":"Deposit \u00e9","metadata":{"booking_id":" 42 "},"refunded":false,"status":"succeeded",
		 "billing_details":{"email":"ana@example.com","name":null},"receipt_email":"other@example.com",
		 "balance_transaction":{"id":"txn_1","object":"balance_transaction","fee":3510,"net":116490}},
		{"id":"ch_2","object":"charge","amount":5000,"amount_refunded":5000,"captured":true,"created":1767225601,
		 "currency":"usd","description":null,"metadata":{},"refunded":true,"status":"succeeded",
		 "billing_details":{"email":null},"receipt_email":"bo@example.com","balance_transaction":"txn_2"},
		{"id":"ch_3","object":"charge","amount":700,"amount_refunded":0,"captured":false,"created":1767225602,
		 "currency":"gbp","metadata":null,"refunded":false,"status":"succeeded","balance_transaction":null},
		{"id":"ch_4","object":"charge","amount":900,"captured":false,"created":1767225603,"currency":"jpy","status":"failed"},
		{"id":"ch_5","object":"charge","amount":-1,"currency":"us","status":"pending"},
		null
	]}`)
	var ours chargePage
	require.NoError(t, json.Unmarshal(body, &ours))
	var theirs stripeapi.ChargeList
	require.NoError(t, json.Unmarshal(body, &theirs))
	require.True(t, ours.HasMore)
	require.Len(t, ours.Data, len(theirs.Data))
	for i, ch := range theirs.Data {
		if ch == nil {
			require.Nil(t, ours.Data[i])
			continue
		}
		require.Equal(t, MapCharge(ch), MapCharge(ours.Data[i].charge()), ch.ID)
	}
	require.Equal(t, int64(3510), MapCharge(ours.Data[0].charge()).Row.(store.PaymentRow).Fee)
}
