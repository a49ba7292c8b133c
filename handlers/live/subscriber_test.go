package live

import (
	"bytes"
	"testing"
)

// TestMailboxKeepsTheNewestFrameAndEventsInOrder checks the subscriber's mailbox as a writer sees
// it: events come before the frame, in the order they were offered; a newer frame replaces one
// not yet taken; the event queue holds maxEvents and drops the rest; a stream with its own
// goroutine is woken, and a revoked stream reports why it ended.
func TestMailboxKeepsTheNewestFrameAndEventsInOrder(t *testing.T) {
	s := newSubscriber(1, Variant{}, 7)
	v1 := &Frame{Version: 1, Bytes: []byte("full-1")}
	v2 := &Frame{Version: 2, Bytes: []byte("full-2"), deltas: []delta{{base: 1, bytes: []byte("delta-1-2")}}}
	var shown int64
	if got := s.take(nil, &shown); len(got) != 0 {
		t.Fatalf("an empty mailbox gave %q", got)
	}
	if s.offer(v1) {
		t.Fatal("the first frame replaced nothing")
	}
	select {
	case <-s.Ready():
	default:
		t.Fatal("a stream served by its own goroutine is not woken by a frame")
	}
	if got := s.take(nil, &shown); len(got) != 1 || string(got[0]) != "full-1" || shown != 1 {
		t.Fatalf("took %q, shown %d", got, shown)
	}

	// Two frames before a take: only the newer one, as the delta from the version shown.
	s.offer(&Frame{Version: 2, Bytes: []byte("stale")})
	if !s.offer(v2) {
		t.Fatal("an undelivered frame was not reported as replaced")
	}
	for i := range maxEvents + 3 {
		ok := s.offerEvent([]byte{'a' + byte(i)})
		if ok != (i < maxEvents) {
			t.Fatalf("event %d accepted %v with a queue of %d", i, ok, maxEvents)
		}
	}
	got := s.take(nil, &shown)
	if len(got) != maxEvents+1 {
		t.Fatalf("took %d buffers, want %d events and the frame", len(got), maxEvents)
	}
	for i, b := range got[:maxEvents] {
		if !bytes.Equal(b, []byte{'a' + byte(i)}) {
			t.Fatalf("event %d is %q", i, b)
		}
	}
	if string(got[maxEvents]) != "delta-1-2" || shown != 2 {
		t.Fatalf("frame %q, shown %d: want the delta from version 1", got[maxEvents], shown)
	}
	if got := s.take(nil, &shown); len(got) != 0 {
		t.Fatalf("the mailbox was not emptied: %q", got)
	}
	if !s.offerEvent([]byte("after")) {
		t.Fatal("the event queue did not empty when taken")
	}

	if ended, _ := s.ended(); ended {
		t.Fatal("an open stream reports ended")
	}
	s.closeWith(reasonRevoked)
	s.closeWith(reasonShutdown)
	if ended, why := s.ended(); !ended || why != reasonRevoked {
		t.Fatalf("ended %v, reason %v: want the first reason, revoked", ended, why)
	}
	select {
	case <-s.Closed():
	default:
		t.Fatal("Closed is not closed")
	}
}
