//go:build unix

package live

import (
	"io"
	"log/slog"
	"net"
	"testing"
	"time"
)

// TestKillWhileAWriterHoldsTheSocketLeavesTheCloseToTheWriter: a pool writer writes a stream's
// descriptor number directly, so a kill from elsewhere (a revocation, shutdown) must not close
// the descriptor under it, or the number could be reused by a new connection and get this
// stream's bytes. The stream is marked dead at once and closed when the writer lets go.
func TestKillWhileAWriterHoldsTheSocketLeavesTheCloseToTheWriter(t *testing.T) {
	h := NewHub(nil, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer h.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := server.(*net.TCPConn).SyscallConn()
	fd := -1
	_ = raw.Control(func(f uintptr) { fd = int(f) })

	sub := newSubscriber(1, Variant{}, 0)
	p := h.writersWith(StreamOptions{Heartbeat: time.Hour})
	c := &streamConn{nc: server, fd: fd, sub: sub, pool: p, lastBeat: time.Now()}
	p.open.Add(1)
	p.wheel.add(c)

	if !c.acquire(jobFlush) {
		t.Fatal("a fresh stream could not be acquired")
	}
	c.kill(nil)
	if c.acquire(jobFlush) {
		t.Fatal("a killed stream was acquired again")
	}
	// The writer still holds the descriptor: it is open and writes reach the client.
	if n, err := (&rawWriter{}).writeAll(c.fd, [][]byte{[]byte("still mine\n")}); err != nil || n != 11 {
		t.Fatalf("write while held after kill: %d, %v", n, err)
	}
	buf := make([]byte, 11)
	_ = client.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := io.ReadFull(client, buf); err != nil || string(buf) != "still mine\n" {
		t.Fatalf("client read %q, %v", buf, err)
	}
	if got := p.open.Load(); got != 0 {
		t.Fatalf("%d open streams after the kill, want 0", got)
	}

	c.leavePool()
	_ = client.SetReadDeadline(time.Now().Add(time.Second))
	if n, err := client.Read(buf); err != io.EOF {
		t.Fatalf("after the writer let go the client reads %d, %v; want EOF (closed)", n, err)
	}
}
