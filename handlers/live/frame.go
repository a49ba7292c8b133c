package live

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/wedsync/wedsync/store"
)

// SnapshotEvent is the data of the "snapshot" event that opens every frame: the live badge shows
// its time, and the load generator measures commit-to-screen latency from it.
type SnapshotEvent struct {
	Version    int64     `json:"version"`
	ComputedAt time.Time `json:"computed_at"`
	SentAt     time.Time `json:"sent_at"`
}

// encodeFrame frames a snapshot's fragments as SSE events, each carrying the version as its id.
func encodeFrame(snap *store.Snapshot, frags []Fragment) []byte {
	var b bytes.Buffer
	id := strconv.FormatInt(snap.Version, 10)
	meta, _ := json.Marshal(SnapshotEvent{Version: snap.Version, ComputedAt: snap.ComputedAt, SentAt: time.Now()})
	writeEvent(&b, id, "snapshot", meta)
	for _, f := range frags {
		writeEvent(&b, id, f.Name, f.HTML)
	}
	return b.Bytes()
}

// writeEvent writes one SSE event; every line of data gets its own "data:" field.
func writeEvent(b *bytes.Buffer, id, event string, data []byte) {
	if id != "" {
		b.WriteString("id: ")
		b.WriteString(id)
		b.WriteByte('\n')
	}
	b.WriteString("event: ")
	b.WriteString(event)
	b.WriteByte('\n')
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		b.WriteString("data: ")
		b.Write(line)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
