package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"slices"
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

// sseClient is one stream over its own TCP connection. A goroutine reads it up to its first
// frame; then a reading stream moves to a reactor (one epoll set read by one goroutine for many
// streams, live_reactor_linux.go), and an idle stream is not read at all.
type sseClient struct {
	// The parser and what it records sit together in one object: a reactor reading 10,000
	// streams finds each stream's state in one place rather than in several cold ones.
	parser   frameParser
	mu       sync.Mutex
	receipts []frameReceipt // appended by the reading goroutine
	last     atomic.Int64   // the newest change counter read, for waiting
	group    int            // the organization's index
	conn     net.Conn
	rx       *reactor // the reactor reading the stream after its first frame, if any
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
// stream (the server hijacks and writes it as is), or chunked when the server did not hijack
// (raw is false then).
func openStream(ctx context.Context, d *net.Dialer, addr, path string) (conn net.Conn, br *bufio.Reader, raw bool, err error) {
	conn, err = d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, false, err
	}
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", path, addr); err != nil {
		conn.Close()
		return nil, nil, false, err
	}
	br = bufio.NewReaderSize(conn, 16<<10)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		conn.Close()
		return nil, nil, false, err
	}
	if resp.StatusCode != http.StatusOK {
		conn.Close()
		return nil, nil, false, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	raw = true
	if slices.Contains(resp.TransferEncoding, "chunked") {
		br, raw = bufio.NewReaderSize(resp.Body, 16<<10), false
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, br, raw, nil
}

// frameParser finds the frames of an event stream fed in pieces of any size and calls onFrame
// for every frame read to its end (the "snapshot" event closes every frame). It keeps only the
// start of a short unfinished line: long lines (chart HTML) matter only by where they end.
type frameParser struct {
	onFrame           func(frameReceipt) bool
	stop              bool   // onFrame returned false
	line              []byte // the start of an unfinished short line
	long              bool   // the unfinished line is long: skip to its end
	wantData, wantEnd bool
	size              int
	cur               frameReceipt
}

// receiptsCap is the receipts a reading stream has room for from its second frame on (the
// fan-out test writes 20 frames to each stream).
const receiptsCap = 32

// newReceipts makes room for a run's frames before any is measured: growing the slice frame by
// frame was a tenth of the load generator's CPU in the 10,000-stream fan-out, and making it at
// the first measured frame put the allocation and the page faults of every stream's room (some
// 30 MB for 10,000 streams) into the first write's latencies. The room is written once here so
// its pages are in memory before the writes.
func newReceipts() []frameReceipt {
	r := make([]frameReceipt, receiptsCap)
	for i := range r {
		r[i].size = -1
	}
	return r[:0]
}

// maxKeptLine is the longest line start kept; the lines that matter are far shorter.
const maxKeptLine = 512

func (p *frameParser) feed(b []byte) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			p.size += len(b)
			if !p.long && len(p.line)+len(b) > maxKeptLine {
				p.long, p.line = true, p.line[:0]
			} else if !p.long {
				p.line = append(p.line, b...)
			}
			return
		}
		seg := b[:i+1]
		b = b[i+1:]
		p.size += len(seg)
		if p.long {
			p.long = false
			continue
		}
		line := seg
		if len(p.line) > 0 {
			p.line = append(p.line, seg...)
			line = p.line
		}
		p.onLine(line)
		p.line = p.line[:0]
	}
}

func (p *frameParser) onLine(line []byte) {
	switch {
	case p.wantData:
		p.wantData = false
		p.cur.seq, p.cur.computed, p.cur.sent, p.wantEnd = parseSnapshot(line)
	case bytes.Equal(line, snapshotLine):
		p.wantData = true
	case p.wantEnd && len(line) == 1:
		p.cur.at, p.cur.size = time.Now(), p.size
		p.size, p.wantEnd = 0, false
		if !p.onFrame(p.cur) {
			p.stop = true
		}
	}
}

// readFrames feeds p from br until an error (the connection closed) or until p's onFrame
// returned false; then every byte br had read is fed too, so p can go on with another reader.
func readFrames(br *bufio.Reader, p *frameParser) error {
	buf := make([]byte, 16<<10)
	for !p.stop {
		n, err := br.Read(buf)
		p.feed(buf[:n])
		if err != nil {
			return err
		}
	}
	rest, _ := br.Peek(br.Buffered())
	p.feed(rest)
	return nil
}

// parseSnapshot reads the snapshot event's data line without a JSON decoder or time.Parse (the
// clients share the machine with the server: every microsecond they spend is taken from it).
func parseSnapshot(line []byte) (seq int64, computed, sent time.Time, ok bool) {
	seq, okSeq := atoi(jsonField(line, changeSeqKey))
	computed, ok1 := parseRFC3339(jsonField(line, computedAtKey))
	sent, ok2 := parseRFC3339(jsonField(line, sentAtKey))
	return seq, computed, sent, okSeq && ok1 && ok2
}

// The snapshot event's keys, made once (a key built per call was an allocation per frame).
var (
	changeSeqKey  = []byte(`"change_seq":`)
	computedAtKey = []byte(`"computed_at":`)
	sentAtKey     = []byte(`"sent_at":`)
)

// jsonField is the value of key (`"name":`) in a flat JSON object's line, without quotes; nil
// when the key is missing.
func jsonField(line, key []byte) []byte {
	_, rest, found := bytes.Cut(line, key)
	if !found {
		return nil
	}
	end := bytes.IndexAny(rest, ",}")
	if end < 0 {
		return nil
	}
	return bytes.Trim(rest[:end], `"`)
}

// atoi parses a non-negative decimal.
func atoi(b []byte) (int64, bool) {
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, len(b) > 0
}

// parseRFC3339 parses what encoding/json writes for a time.Time,
// "2006-01-02T15:04:05.999999999Z07:00", by hand; anything else goes to time.Parse.
func parseRFC3339(b []byte) (time.Time, bool) {
	slow := func() (time.Time, bool) {
		t, err := time.Parse(time.RFC3339Nano, string(b))
		return t, err == nil
	}
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return slow()
	}
	num := func(s []byte) int {
		v, ok := atoi(s)
		if !ok {
			return -1
		}
		return int(v)
	}
	year, month, day := num(b[0:4]), num(b[5:7]), num(b[8:10])
	hour, minute, sec := num(b[11:13]), num(b[14:16]), num(b[17:19])
	if year < 0 || month < 1 || day < 1 || hour < 0 || minute < 0 || sec < 0 {
		return slow()
	}
	rest, nsec := b[19:], 0
	if rest[0] == '.' {
		i, scale := 1, 100_000_000
		for ; i < len(rest) && rest[i] >= '0' && rest[i] <= '9'; i++ {
			nsec += int(rest[i]-'0') * scale
			scale /= 10
		}
		rest = rest[i:]
	}
	offset := 0
	switch {
	case len(rest) == 1 && rest[0] == 'Z':
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		h, m := num(rest[1:3]), num(rest[4:6])
		if h < 0 || m < 0 {
			return slow()
		}
		offset = h*3600 + m*60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return slow()
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	return t.Add(-time.Duration(offset) * time.Second), true
}

// openClients opens n streams (paths[i%len(paths)], group i%len(paths)) with at most 64
// connection attempts in flight. With read, every frame after the first is recorded until the
// connection is closed (by reactors, or a goroutine per stream where they are not available);
// without, each stops reading after the first frame (an idle stream). It returns once every
// stream has received its first frame or failed.
func openClients(ctx context.Context, ds dialers, addr string, paths []string, n int, read bool, wg *sync.WaitGroup) ([]*sseClient, error) {
	clients := make([]*sseClient, n)
	sem := make(chan struct{}, 64)
	ready := make(chan error, n)
	var rxs []*reactor
	if read {
		rxs = newReactors(runtime.GOMAXPROCS(0))
	}
	for i := range clients {
		c := &sseClient{group: i % len(paths)}
		clients[i] = c
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, br, raw, err := openStream(ctx, ds[i%len(ds)], addr, paths[c.group])
			if err != nil {
				<-sem
				ready <- err
				return
			}
			c.conn = conn
			if read {
				c.receipts = newReceipts()
			}
			first := true
			handoff := read && raw && len(rxs) > 0 // the stream moves to a reactor after its first frame
			p := &c.parser
			p.onFrame = func(r frameReceipt) bool {
				if first {
					first = false
					c.last.Store(r.seq)
					if handoff {
						return false
					}
					<-sem
					ready <- nil
					return read
				}
				return c.record(r)
			}
			err = readFrames(br, p)
			switch {
			case first:
				<-sem
				ready <- fmt.Errorf("stream ended before its first frame: %v", err)
			case handoff:
				if err == nil {
					// From here on every frame is measured: the reactor calls record directly.
					p.stop, p.onFrame = false, c.record
					err = rxs[i%len(rxs)].add(c, p)
				}
				<-sem
				ready <- err
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

// closeClients closes every connection and waits for the readers (again: a no-op).
func closeClients(clients []*sseClient, wg *sync.WaitGroup) {
	for _, c := range clients {
		if c != nil && c.conn != nil {
			c.conn.Close()
		}
	}
	wg.Wait()
	for _, c := range clients {
		if c != nil && c.rx != nil {
			c.rx.stop()
		}
	}
}

// record keeps a measured frame's receipt.
func (c *sseClient) record(r frameReceipt) bool {
	c.mu.Lock()
	c.receipts = append(c.receipts, r)
	c.mu.Unlock()
	c.last.Store(r.seq)
	return true
}

// receiptsCopy copies the receipts read so far.
func (c *sseClient) receiptsCopy() []frameReceipt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]frameReceipt(nil), c.receipts...)
}
