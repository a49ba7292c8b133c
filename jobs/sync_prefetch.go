package jobs

import (
	"context"
	"encoding/json"

	"github.com/wedsync/wedsync/jobs/connector"
)

// feedAhead is how many fetched pages may wait for the writer.
const feedAhead = 16

// pageFeed fetches a sync's pages in the background while the sync loop writes earlier ones, so
// the provider calls and their decoding overlap the database work. The fetches run one after
// another, each with the cursor of the page before, as a connector expects; at most feedAhead
// pages wait. Nothing fetched is stored until the sync loop writes it in its own transaction,
// so a crash loses only fetched pages, which the next attempt fetches again from the saved
// cursor.
type pageFeed struct {
	pages  chan fetched
	held   *fetched // taken from pages but not yet handed out
	cancel context.CancelFunc
	done   chan struct{}
}

// fetched is one Fetch's answer.
type fetched struct {
	page connector.Page
	err  error
}

// startFeed starts fetching from cursor; it stops after a page that is done, after an error, or
// when stopped.
func startFeed(ctx context.Context, conn connector.Connector, cursor json.RawMessage) *pageFeed {
	ctx, cancel := context.WithCancel(ctx)
	f := &pageFeed{pages: make(chan fetched, feedAhead), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(f.done)
		for {
			page, err := conn.Fetch(ctx, cursor)
			if ctx.Err() != nil {
				return
			}
			select {
			case f.pages <- fetched{page, err}:
			case <-ctx.Done():
				return
			}
			if err != nil || page.Done {
				return
			}
			cursor = page.Cursor
		}
	}()
	return f
}

// next waits for the next page, then adds the pages already fetched behind it while they are
// free of errors and hold at most maxRecords records in all (the first page counts whatever its
// size). The error of a failed fetch comes alone: pages fetched before it come first.
func (f *pageFeed) next(ctx context.Context, maxRecords int) ([]connector.Page, error) {
	first, err := f.take(ctx)
	if err != nil {
		return nil, err
	}
	if first.err != nil {
		return nil, first.err
	}
	group, records := []connector.Page{first.page}, len(first.page.Records)
	for !group[len(group)-1].Done {
		var more fetched
		select {
		case more = <-f.pages:
		default:
			return group, nil
		}
		if more.err != nil || records+len(more.page.Records) > maxRecords {
			f.held = &more
			return group, nil
		}
		group, records = append(group, more.page), records+len(more.page.Records)
	}
	return group, nil
}

// take returns the held page, else waits for the next one.
func (f *pageFeed) take(ctx context.Context) (fetched, error) {
	if f.held != nil {
		h := *f.held
		f.held = nil
		return h, nil
	}
	select {
	case p := <-f.pages:
		return p, nil
	case <-ctx.Done():
		return fetched{}, ctx.Err()
	}
}

// stop abandons the fetches and waits for the one in flight to return.
func (f *pageFeed) stop() {
	f.cancel()
	<-f.done
}
