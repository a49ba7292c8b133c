package paypal

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/wedsync/wedsync/jobs/connector"
)

// Cursor is the sync position: the window being read and the next page of it (1-based). WindowEnd
// is fixed when a window's first page is read, so its later pages answer the same query. Windows
// are at most MaxWindow long and each starts LateData before the previous one ended (or before
// last_refreshed_datetime, if PayPal had not caught up); the window that reaches now ends the
// sync, and the next sync starts LateData before its end.
type Cursor struct {
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end,omitzero"`
	Page        int       `json:"page"`
}

type searchResponse struct {
	TransactionDetails    []transactionDetail `json:"transaction_details"`
	AccountNumber         string              `json:"account_number"`
	StartDate             string              `json:"start_date"`
	EndDate               string              `json:"end_date"`
	LastRefreshedDatetime string              `json:"last_refreshed_datetime"`
	Page                  int                 `json:"page"`
	TotalItems            int                 `json:"total_items"`
	TotalPages            int                 `json:"total_pages"`
}

// search reads one page of transactions initiated in [start, end].
func (c *Client) search(ctx context.Context, start, end time.Time, page, size int, extra url.Values) (searchResponse, error) {
	q := url.Values{"start_date": {start.UTC().Format(time.RFC3339)}, "end_date": {end.UTC().Format(time.RFC3339)},
		"fields": {"all"}, "balance_affecting_records_only": {"Y"}, "page_size": {strconv.Itoa(size)}, "page": {strconv.Itoa(page)}}
	for k, v := range extra {
		q[k] = v
	}
	var out searchResponse
	err := c.call(ctx, "GET", "/v1/reporting/transactions", q, nil, &out)
	return out, err
}

// Fetch returns the records of one search page after cursor (nil: a first sync from
// Config.Since). Refunds whose payment is not on the page cost extra searches (see resolve).
func (c *Client) Fetch(ctx context.Context, raw json.RawMessage) (connector.Page, error) {
	now := c.now().UTC().Truncate(time.Second)
	var cur Cursor
	if len(raw) == 0 || string(raw) == "null" {
		cur.WindowStart = c.cfg.Since
		if cur.WindowStart.IsZero() {
			cur.WindowStart = now.Add(-DefaultLookback)
		}
		cur.WindowStart = latest(cur.WindowStart, now.Add(-MaxHistory+24*time.Hour)).UTC()
	} else if err := json.Unmarshal(raw, &cur); err != nil {
		return connector.Page{}, &connector.Error{Class: connector.ClassBug, Err: fmt.Errorf("paypal: bad cursor %s: %w", raw, err)}
	}
	cur.Page = max(cur.Page, 1)
	if cur.WindowEnd.IsZero() {
		cur.WindowEnd = earliest(cur.WindowStart.Add(MaxWindow), now)
	}
	var page connector.Page
	if !cur.WindowEnd.After(cur.WindowStart) { // the clock has not moved past the start yet
		cur.WindowEnd = time.Time{}
		page.Done = true
		var err error
		page.Cursor, err = json.Marshal(cur)
		return page, err
	}
	resp, err := c.search(ctx, cur.WindowStart, cur.WindowEnd, cur.Page, c.cfg.PageSize, nil)
	if err != nil {
		return connector.Page{}, err
	}
	if page.Records, err = c.mapPage(ctx, resp.TransactionDetails); err != nil {
		return connector.Page{}, err
	}
	switch {
	case cur.Page < resp.TotalPages:
		cur.Page++
	case cur.WindowEnd.Before(cur.WindowStart.Add(MaxWindow)): // the window reached now: done
		base := cur.WindowEnd
		if refreshed, err := ParseTime(resp.LastRefreshedDatetime); err == nil && refreshed.Before(base) {
			base = refreshed
		}
		cur = Cursor{WindowStart: latest(base.Add(-LateData), cur.WindowStart), Page: 1}
		page.Done = true
	default:
		cur = Cursor{WindowStart: cur.WindowEnd.Add(-LateData), Page: 1}
	}
	page.Cursor, err = json.Marshal(cur)
	return page, err
}

// mapPage maps one page: rows are parsed (bad ones reported and skipped) and collapsed to one per
// transaction id; payments become records with the refunds found on the same page; refunds whose
// payment is not on the page are resolved by searching (resolve) and their payment is emitted
// again with every refund known for it. Other rows are not payments and are ignored.
func (c *Client) mapPage(ctx context.Context, details []transactionDetail) ([]connector.Record, error) {
	var payments, adjustments []txn
	for _, d := range details {
		t, err := parseTxn(d)
		switch {
		case err != nil:
			c.bad(err)
		case t.isPayment():
			payments = append(payments, t)
		case t.isAdjustment():
			adjustments = append(adjustments, t)
		}
	}
	payments, adjustments = collapse(payments), collapse(adjustments)
	byPayment := map[string][]txn{}
	for _, a := range adjustments {
		byPayment[a.ref] = append(byPayment[a.ref], a)
	}
	onPage := map[string]bool{}
	for _, p := range payments {
		onPage[p.id] = true
	}
	orphans := map[string]time.Time{}
	var orphanOrder []string
	for _, a := range adjustments {
		if onPage[a.ref] {
			continue
		}
		if _, ok := orphans[a.ref]; !ok {
			orphanOrder = append(orphanOrder, a.ref)
		}
		orphans[a.ref] = latest(orphans[a.ref], a.at)
	}
	resolved, err := c.resolve(ctx, orphans)
	if err != nil {
		return nil, err
	}
	recs := make([]connector.Record, 0, len(payments)+len(orphans))
	emit := func(p txn, adj []txn) {
		rec, err := paymentRecord(p, adj)
		if err != nil {
			c.bad(err)
			return
		}
		recs = append(recs, rec)
	}
	for _, p := range payments {
		emit(p, byPayment[p.id])
	}
	for _, id := range orphanOrder {
		r, ok := resolved[id]
		if !ok {
			c.bad(&connector.Error{Class: connector.ClassBadData, Err: fmt.Errorf(
				"paypal: refund of %q: the payment was not found within %s before the refund", id, c.cfg.RefundHorizon)})
			continue
		}
		emit(r.payment, collapse(append(r.adjustments, byPayment[id]...)))
	}
	return recs, nil
}

type resolution struct {
	payment     txn
	adjustments []txn
}

// resolve finds the payments of orphan refunds (payment id → latest refund time on the page) by
// reading transaction search backwards from the latest refund, window by window, until every
// payment is found or RefundHorizon (or search's history) is exhausted. Every adjustment of a
// found payment lies between it and the refund, so the scan sees them all. It costs one search
// per window and page walked back; a refund usually follows its payment within one window.
func (c *Client) resolve(ctx context.Context, orphans map[string]time.Time) (map[string]resolution, error) {
	out := map[string]resolution{}
	if len(orphans) == 0 {
		return out, nil
	}
	var upTo time.Time
	for _, at := range orphans {
		upTo = latest(upTo, at)
	}
	limit := latest(upTo.Add(-c.cfg.RefundHorizon), c.now().Add(-MaxHistory+24*time.Hour))
	found := map[string]txn{}
	adjustments := map[string][]txn{}
	for end := upTo.Add(time.Second); end.After(limit) && len(found) < len(orphans); end = end.Add(-MaxWindow) {
		start := latest(end.Add(-MaxWindow), limit)
		for page, pages := 1, 1; page <= pages; page++ {
			resp, err := c.search(ctx, start, end, page, MaxPageSize, nil)
			if err != nil {
				return nil, err
			}
			pages = resp.TotalPages
			for _, d := range resp.TransactionDetails {
				t, err := parseTxn(d)
				if err != nil {
					continue
				}
				if _, want := orphans[t.id]; want && t.isPayment() {
					if f, ok := found[t.id]; !ok || prefer(t, f) {
						found[t.id] = t
					}
				}
				if _, want := orphans[t.ref]; want && t.isAdjustment() {
					adjustments[t.ref] = append(adjustments[t.ref], t)
				}
			}
		}
	}
	for id, p := range found {
		adj := slices.DeleteFunc(adjustments[id], func(a txn) bool { return a.at.Before(p.at) })
		out[id] = resolution{payment: p, adjustments: adj}
	}
	return out, nil
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
