package jobs

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/wedsync/wedsync/jobs/connector"
)

// readAhead fetches the next page of a sync while the current one is being written, so the
// provider call and its decoding overlap the database work. At most one fetch is in flight and
// it starts only after the previous one returned, so a connector still sees its calls one after
// another, each with the cursor of the page before. Nothing it fetched is stored until the sync
// loop writes it in its own transaction, so a crash loses nothing but the early fetch.
type readAhead struct {
	conn connector.Connector
	// The fetch in flight (nil when none) and its cursor.
	done   chan struct{}
	cursor json.RawMessage
	cancel context.CancelFunc
	page   connector.Page
	err    error
}

// start fetches the page after cursor in the background.
func (r *readAhead) start(ctx context.Context, cursor json.RawMessage) {
	r.stop()
	ctx, r.cancel = context.WithCancel(ctx)
	r.done, r.cursor = make(chan struct{}), cursor
	go func() {
		defer close(r.done)
		r.page, r.err = r.conn.Fetch(ctx, cursor)
	}()
}

// fetch returns the page after cursor: the one fetched ahead when it was for this cursor,
// otherwise a fresh fetch.
func (r *readAhead) fetch(ctx context.Context, cursor json.RawMessage) (connector.Page, error) {
	if r.done != nil && bytes.Equal(r.cursor, cursor) {
		<-r.done
		r.cancel()
		r.done, r.cancel = nil, nil
		return r.page, r.err
	}
	r.stop()
	return r.conn.Fetch(ctx, cursor)
}

// stop abandons a fetch in flight and waits for it to return.
func (r *readAhead) stop() {
	if r.done == nil {
		return
	}
	r.cancel()
	<-r.done
	r.done, r.cancel = nil, nil
}
