package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseRFC3339MatchesTimeParse(t *testing.T) {
	for _, s := range []string{
		"2026-11-26T17:54:36.123456789Z", "2026-11-26T17:54:36Z", "2026-11-26T17:54:36.5-05:00",
		"2026-01-02T03:04:05.000001+05:30", "2026-11-26T17:54:36.12Z",
	} {
		want, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := parseRFC3339([]byte(s))
		if !ok || !got.Equal(want) {
			t.Errorf("parseRFC3339(%q) = %v, %v; want %v", s, got, ok, want)
		}
	}
	if _, ok := parseRFC3339([]byte("yesterday")); ok {
		t.Error("a non-time parses")
	}
}

// TestFrameParserFindsFramesInAnyPieces feeds two frames (one with a chart line far longer than
// any kept line, and a heartbeat between them) in pieces of every size from 1 byte.
func TestFrameParserFindsFramesInAnyPieces(t *testing.T) {
	snap := func(seq string) string {
		return "id: " + seq + "\nevent: snapshot\ndata: {\"version\":" + seq + ",\"change_seq\":" + seq +
			",\"computed_at\":\"2026-11-26T17:54:36.1Z\",\"sent_at\":\"2026-11-26T17:54:36.2Z\"}\n\n"
	}
	first := "id: 7\nevent: chart-revenue\ndata: <figure>" + strings.Repeat("<path d=\"M1 2\"></path>", 200) + "</figure>\n\n" + snap("7")
	stream := first + ": heartbeat\n\n" + "id: 8\nevent: kpi-revenue\ndata: <p>$1</p>\n\n" + snap("8")
	for piece := 1; piece <= len(stream); piece += 1 + piece/3 {
		var got []frameReceipt
		p := &frameParser{onFrame: func(r frameReceipt) bool { got = append(got, r); return true }}
		for i := 0; i < len(stream); i += piece {
			p.feed([]byte(stream[i:min(i+piece, len(stream))]))
		}
		if len(got) != 2 || got[0].seq != 7 || got[1].seq != 8 || got[0].size != len(first) {
			t.Fatalf("pieces of %d: frames %+v", piece, got)
		}
		if want := time.Date(2026, 11, 26, 17, 54, 36, 200_000_000, time.UTC); !got[1].sent.Equal(want) {
			t.Fatalf("sent_at %v, want %v", got[1].sent, want)
		}
	}
}
