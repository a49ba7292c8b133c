// Package stripetest is an in-process fake of the parts of Stripe's API WedSync uses, speaking
// Stripe's real wire format: GET /v1/charges (newest first, limit ≤ 100, starting_after,
// has_more, created[gte|gt|lte|lt], expand[]=data.balance_transaction), GET /v1/charges/{id},
// Bearer keys, Stripe's error bodies, 429 with Stripe-Should-Retry and Retry-After, plus the
// unpleasant things real providers do: duplicates across pages and empty pages with has_more.
// Helpers add charges and refunds and build signed webhook events.
//
// A Server is an http.Handler: mount it, or Start it on a loopback port.
package stripetest

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Charge is a charge as the fake stores it. Zero fields get defaults from AddCharge.
type Charge struct {
	ID             string
	Amount         int64 // minor units
	AmountRefunded int64
	Currency       string // lower case, as Stripe sends it ("usd")
	Created        time.Time
	Status         string // succeeded (default), pending or failed
	Uncaptured     bool   // an authorised charge not yet captured
	Description    string
	Email          string // billing_details.email
	Metadata       map[string]string
	// Fee is the balance transaction's fee (minor units); expanded on request.
	Fee int64

	// encoded is the charge's JSON as the list answers it, without and with the balance
	// transaction expanded, encoded whenever the charge changes (see encodeLocked).
	encoded [2][]byte
}

// AddCharge stores a charge and returns it with its defaults filled in (id, created now,
// currency usd, status succeeded).
func (s *Server) AddCharge(c Charge) Charge {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.addLocked(c)
}

// AddCharges stores n charges made by mk(i), for bulk fixtures (20,000 in the crash test), and
// orders them for listing at once, as a set-up step, rather than on the first list request.
func (s *Server) AddCharges(n int, mk func(i int) Charge) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < n; i++ {
		s.addLocked(mk(i))
	}
	s.sortedLocked()
}

func (s *Server) addLocked(c Charge) *Charge {
	s.seq++
	if c.ID == "" {
		c.ID = fmt.Sprintf("ch_fake%010d", s.seq)
	}
	if c.Created.IsZero() {
		c.Created = s.now()
	}
	c.Created = c.Created.Truncate(time.Second)
	if c.Currency == "" {
		c.Currency = "usd"
	}
	c.Currency = strings.ToLower(c.Currency)
	if c.Status == "" {
		c.Status = "succeeded"
	}
	if old, ok := s.byID[c.ID]; ok {
		*old = c
		old.encodeLocked()
		s.dirty = true
		return old
	}
	p := &c
	p.encodeLocked()
	s.charges = append(s.charges, p)
	s.byID[c.ID] = p
	s.dirty = true
	return p
}

// encodeLocked encodes the charge's list entry with the balance transaction expanded (how the
// connector lists) ahead of the requests, and forgets the other: a page is then the
// concatenation of its charges' bytes (what encoding/json would have written for the page), so a
// sync's measured loop does not pay for the fake's encoding.
func (c *Charge) encodeLocked() {
	c.encoded = [2][]byte{nil, c.marshal(true)}
}

// listEntry is the charge's JSON in a list (encoded on first use, then kept until it changes).
func (c *Charge) listEntry(expandFee bool) []byte {
	i := 0
	if expandFee {
		i = 1
	}
	if c.encoded[i] == nil {
		c.encoded[i] = c.marshal(expandFee)
	}
	return c.encoded[i]
}

func (c *Charge) marshal(expandFee bool) []byte {
	b, err := json.Marshal(chargeJSON(c, expandFee))
	if err != nil {
		panic(fmt.Sprintf("stripetest: encode charge %s: %v", c.ID, err)) // strings, numbers and a string map
	}
	return b
}

// Refund refunds amount more of a charge (capped at what is left) and returns the charge.
func (s *Server) Refund(id string, amount int64) (Charge, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.byID[id]
	if !ok {
		return Charge{}, fmt.Errorf("stripetest: no charge %s", id)
	}
	c.AmountRefunded = min(c.Amount, c.AmountRefunded+amount)
	c.encodeLocked()
	return *c, nil
}

// Get returns a stored charge.
func (s *Server) Get(id string) (Charge, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.byID[id]
	if !ok {
		return Charge{}, false
	}
	return *c, true
}

// Len is the number of stored charges.
func (s *Server) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.charges)
}

// sortedLocked orders charges newest first (created desc, then id desc), like Stripe's lists.
func (s *Server) sortedLocked() []*Charge {
	if s.dirty {
		sort.SliceStable(s.charges, func(i, j int) bool {
			a, b := s.charges[i], s.charges[j]
			if !a.Created.Equal(b.Created) {
				return a.Created.After(b.Created)
			}
			return a.ID > b.ID
		})
		s.pos = make(map[string]int, len(s.charges))
		for i, c := range s.charges {
			s.pos[c.ID] = i
		}
		s.dirty = false
	}
	return s.charges
}

// chargeJSON renders a charge in Stripe's shape. (A struct, not a map: a page of a hundred
// charges encodes several times faster, which the sync benchmark notices.)
func chargeJSON(c *Charge, expandFee bool) *chargeWire {
	w := &chargeWire{
		ID: c.ID, Object: "charge", Amount: c.Amount, AmountRefunded: c.AmountRefunded,
		Captured: c.Status == "succeeded" && !c.Uncaptured, Created: c.Created.Unix(), Currency: c.Currency,
		Description: c.Description, Metadata: c.Metadata, Paid: c.Status == "succeeded",
		Refunded: c.Amount > 0 && c.AmountRefunded >= c.Amount, Status: c.Status,
	}
	if w.Metadata == nil {
		w.Metadata = map[string]string{}
	}
	if w.Captured {
		w.AmountCaptured = c.Amount
	}
	if c.Email != "" {
		email := c.Email // a copy: the page is encoded after the lock is released
		w.BillingDetails.Email, w.ReceiptEmail = &email, &email
	}
	if c.Status == "succeeded" {
		txn := "txn_" + strings.TrimPrefix(c.ID, "ch_")
		if expandFee {
			w.BalanceTransaction = &balanceTransactionWire{ID: txn, Object: "balance_transaction", Amount: c.Amount,
				Currency: c.Currency, Fee: c.Fee, Net: c.Amount - c.Fee, Status: "available", Type: "charge"}
		} else {
			w.BalanceTransaction = txn
		}
	}
	return w
}

// chargeWire is a charge object as Stripe sends it (the fields WedSync reads, and a few more).
type chargeWire struct {
	ID                 string `json:"id"`
	Object             string `json:"object"`
	Amount             int64  `json:"amount"`
	AmountCaptured     int64  `json:"amount_captured"`
	AmountRefunded     int64  `json:"amount_refunded"`
	BalanceTransaction any    `json:"balance_transaction"` // id, expanded object or null
	BillingDetails     struct {
		Email *string `json:"email"`
		Name  *string `json:"name"`
		Phone *string `json:"phone"`
	} `json:"billing_details"`
	Captured     bool              `json:"captured"`
	Created      int64             `json:"created"`
	Currency     string            `json:"currency"`
	Description  string            `json:"description"`
	Livemode     bool              `json:"livemode"`
	Metadata     map[string]string `json:"metadata"`
	Paid         bool              `json:"paid"`
	ReceiptEmail *string           `json:"receipt_email"`
	Refunded     bool              `json:"refunded"`
	Status       string            `json:"status"`
}

type balanceTransactionWire struct {
	ID       string `json:"id"`
	Object   string `json:"object"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	Fee      int64  `json:"fee"`
	Net      int64  `json:"net"`
	Status   string `json:"status"`
	Type     string `json:"type"`
}
