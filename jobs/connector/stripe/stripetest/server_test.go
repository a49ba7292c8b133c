package stripetest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestListWireFormatIsEncodingJSONs proves the pre-encoded list pages are byte for byte what
// encoding/json writes for the page object, before and after a charge changes (a refund).
func TestListWireFormatIsEncodingJSONs(t *testing.T) {
	s := New("sk_test_wire")
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	s.AddCharge(Charge{ID: "ch_a", Amount: 1000, Created: at, Email: "a&b@example.com", Fee: 59,
		Description: "Deposit <html>", Metadata: map[string]string{"booking_id": "7", "z": "ü"}})
	s.AddCharge(Charge{ID: "ch_b", Amount: 500, Created: at.Add(time.Second), Status: "failed"})
	s.AddCharge(Charge{ID: "ch_c", Amount: 700, Created: at.Add(2 * time.Second), Uncaptured: true})
	if _, err := s.Refund("ch_a", 250); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"limit=2", "limit=2&expand[]=data.balance_transaction", "limit=100&expand[0]=data.balance_transaction",
		"limit=10&created[gt]=2000000000"} {
		req := httptest.NewRequest(http.MethodGet, "/v1/charges?"+q, nil)
		req.Header.Set("Authorization", "Bearer sk_test_wire")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		got, _ := io.ReadAll(rec.Body)

		var page struct {
			Data    []json.RawMessage `json:"data"`
			HasMore bool              `json:"has_more"`
		}
		if err := json.Unmarshal(got, &page); err != nil {
			t.Fatalf("%s: %v: %s", q, err, got)
		}
		expand := bytes.Contains([]byte(q), []byte("expand"))
		var data []*chargeWire
		s.mu.Lock()
		for _, raw := range page.Data {
			var id struct{ ID string }
			_ = json.Unmarshal(raw, &id)
			data = append(data, chargeJSON(s.byID[id.ID], expand))
		}
		s.mu.Unlock()
		if data == nil {
			data = []*chargeWire{}
		}
		var want bytes.Buffer
		_ = json.NewEncoder(&want).Encode(map[string]any{"object": "list", "data": data, "has_more": page.HasMore, "url": "/v1/charges"})
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s:\n got %s\nwant %s", q, got, want.Bytes())
		}
		if q == "limit=2" && (len(data) != 2 || !page.HasMore) {
			t.Errorf("limit=2: %d charges, has_more %v", len(data), page.HasMore)
		}
	}
}
