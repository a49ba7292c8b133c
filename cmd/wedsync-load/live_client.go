package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// frameReceipt is one frame a client has read to its end.
type frameReceipt struct {
	seq      int64     // the snapshot's change counter: every write up to it is on screen
	computed time.Time // the snapshot's computed_at (the recompute started)
	sent     time.Time // the frame's sent_at (the hub rendered it)
	at       time.Time // the client had read the whole frame
	size     int
}

// sseClient is one stream over its own TCP connection, read by one goroutine with a small
// buffer (or, for idle streams, not read at all after the first frame).
type sseClient struct {
	group    int // the organization's index
	conn     net.Conn
	mu       sync.Mutex
	receipts []frameReceipt // appended by the reading goroutine
	last     atomic.Int64   // the newest change counter read, for waiting
	err      error
}

// snapshotLine starts the event that closes every frame.
var snapshotLine = []byte("event: snapshot\n")

// dialers spread connections over 127.0.0.x source addresses, since one source address runs
// out of ephemeral ports towards one server address.
type dialers []*net.Dialer

func newDialers(n, first int) dialers {
	ds := make(dialers, n)
	for i := range ds {
		ds[i] = &net.Dialer{Timeout: 20 * time.Second,
			LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, byte((first+i)/250), byte(1+(first+i)%250))}}
	}
	return ds
}

// openStream connects, sends the GET and reads the response header. The body is the raw event
// stream (the server hijacks and writes it as is), or chunked when the server did not hijack.
func openStream(ctx context.Context, d *net.Dialer, addr, path string) (net.Conn, *bufio.Reader, error) {
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", path, addr); err != nil {
		conn.Close()
		return nil, nil, err
	}
	br := bufio.NewReaderSize(conn, 16<<10)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		conn.Close()
		return nil, nil, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	if slices.Contains(resp.TransferEncoding, "chunked") {
		br = bufio.NewReaderSize(resp.Body, 16<<10)
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, br, nil
}

// readFrames reads events and calls onFrame for every frame read to its end (the "snapshot"
// event closes every frame), until an error (the connection closed) or onFrame returns false.
func readFrames(br *bufio.Reader, onFrame func(frameReceipt) bool) error {
	atStart, wantData, wantEnd := true, false, false
	size := 0
	var cur frameReceipt
	for {
		line, err := br.ReadSlice('\n')
		size += len(line)
		if err == bufio.ErrBufferFull { // a long line (chart SVG): skip to its end
			atStart = false
			continue
		}
		if err != nil {
			return err
		}
		if !atStart {
			atStart = true
			continue
		}
		switch {
		case wantData:
			wantData = false
			cur.seq, cur.computed, cur.sent, wantEnd = parseSnapshot(line)
		case bytes.Equal(line, snapshotLine):
			wantData = true
		case wantEnd && len(line) == 1:
			cur.at, cur.size = time.Now(), size
			size, wantEnd = 0, false
			if !onFrame(cur) {
				return nil
			}
		}
	}
}

// parseSnapshot reads the snapshot event's data line without a JSON decoder (the clients share
// the machine with the server: every microsecond they spend is taken from it).
func parseSnapshot(line []byte) (seq int64, computed, sent time.Time, ok bool) {
	field := func(name string) []byte {
		_, rest, found := bytes.Cut(line, []byte(`"`+name+`":`))
		if !found {
			return nil
		}
		end := bytes.IndexAny(rest, ",}")
		if end < 0 {
			return nil
		}
		return bytes.Trim(rest[:end], `"`)
	}
	seq, err := strconv.ParseInt(string(field("change_seq")), 10, 64)
	if err != nil {
		return 0, computed, sent, false
	}
	computed, err1 := time.Parse(time.RFC3339Nano, string(field("computed_at")))
	sent, err2 := time.Parse(time.RFC3339Nano, string(field("sent_at")))
	return seq, computed, sent, err1 == nil && err2 == nil
}

// openClients opens n streams (paths[i%len(paths)], group i%len(paths)) with at most 64
// connection attempts in flight. With read, each keeps a goroutine recording every frame until
// its connection is closed; without, each stops reading after the first frame (an idle stream).
// It returns once every stream has received its first frame or failed.
func openClients(ctx context.Context, ds dialers, addr string, paths []string, n int, read bool, wg *sync.WaitGroup) ([]*sseClient, error) {
	clients := make([]*sseClient, n)
	sem := make(chan struct{}, 64)
	ready := make(chan error, n)
	for i := range clients {
		c := &sseClient{group: i % len(paths)}
		clients[i] = c
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, br, err := openStream(ctx, ds[i%len(ds)], addr, paths[c.group])
			if err != nil {
				<-sem
				ready <- err
				return
			}
			c.conn = conn
			first := true
			err = readFrames(br, func(r frameReceipt) bool {
				if first {
					first = false
					c.last.Store(r.seq)
					<-sem
					ready <- nil
					return read
				}
				c.mu.Lock()
				c.receipts = append(c.receipts, r)
				c.mu.Unlock()
				c.last.Store(r.seq)
				return true
			})
			if first {
				<-sem
				ready <- fmt.Errorf("stream ended before its first frame: %v", err)
			}
			c.err = err
		}()
	}
	var firstErr error
	failed := 0
	for range n {
		if err := <-ready; err != nil {
			failed++
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	if failed > 0 {
		return clients, fmt.Errorf("%d of %d streams failed, first: %w", failed, n, firstErr)
	}
	return clients, nil
}

// closeClients closes every connection and waits for the readers.
func closeClients(clients []*sseClient, wg *sync.WaitGroup) {
	for _, c := range clients {
		if c != nil && c.conn != nil {
			c.conn.Close()
		}
	}
	wg.Wait()
}

// receiptsCopy copies the receipts read so far.
func (c *sseClient) receiptsCopy() []frameReceipt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]frameReceipt(nil), c.receipts...)
}
