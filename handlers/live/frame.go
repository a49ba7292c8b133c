package live

import (
	"bytes"
	"encoding/json"
	"errors"
	"hash/maphash"
	"strconv"
	"time"

	"github.com/wedsync/wedsync/store"
)

// SnapshotEvent is the data of the "snapshot" event that closes every frame: once it arrives,
// every region of that version is on screen. The load generator measures commit-to-screen
// latency from it. ChangeSeq is the organization's change counter the snapshot includes: every
// write counted before it is on screen.
type SnapshotEvent struct {
	Version    int64     `json:"version"`
	ChangeSeq  int64     `json:"change_seq"`
	ComputedAt time.Time `json:"computed_at"`
	SentAt     time.Time `json:"sent_at"`
}

// deltaDepth is how many older versions of a variant a new frame carries deltas from: a stream
// that fell up to this many versions behind (a slow client whose mailbox skipped versions) still
// gets only the changed regions, not the whole state.
const deltaDepth = 4

// rendition is what the hub remembers of one version's fragments to compute the deltas of the
// next versions: their names and a hash of each one's HTML (not the HTML: an instance may watch
// thousands of organizations).
type rendition struct {
	version int64
	names   []string
	hashes  []uint64
}

// fragmentSeed keys the fragment hashes of this process.
var fragmentSeed = maphash.MakeSeed()

func renditionOf(version int64, frags []Fragment) rendition {
	r := rendition{version: version, names: make([]string, len(frags)), hashes: make([]uint64, len(frags))}
	for i, f := range frags {
		r.names[i], r.hashes[i] = f.Name, maphash.Bytes(fragmentSeed, f.HTML)
	}
	return r
}

// delta is the part of a frame a stream showing version base needs.
type delta struct {
	base  int64
	bytes []byte
}

// newFrame frames a snapshot's fragments as SSE events, each carrying the version as its id, and
// for each recent older version in history (newest last), the delta from it: only the fragments
// whose HTML differs. Every frame and delta ends with the snapshot event. It returns the frame and
// its rendition.
func newFrame(snap *store.Snapshot, frags []Fragment, history []rendition) (*Frame, rendition) {
	id := strconv.FormatInt(snap.Version, 10)
	meta, _ := json.Marshal(SnapshotEvent{Version: snap.Version, ChangeSeq: snap.ChangeSeq, ComputedAt: snap.ComputedAt, SentAt: time.Now()})
	f := &Frame{Version: snap.Version, ComputedAt: snap.ComputedAt}
	r := renditionOf(snap.Version, frags)
	var full bytes.Buffer
	for _, fr := range frags {
		writeEvent(&full, id, fr.Name, fr.HTML)
	}
	writeEvent(&full, id, "snapshot", meta)
	f.Bytes = full.Bytes()
	for _, old := range history[max(0, len(history)-deltaDepth):] {
		if old.version >= snap.Version || len(old.names) > len(frags) {
			continue
		}
		var d bytes.Buffer
		for i, fr := range frags {
			if i >= len(old.names) || old.names[i] != fr.Name || old.hashes[i] != r.hashes[i] {
				writeEvent(&d, id, fr.Name, fr.HTML)
			}
		}
		writeEvent(&d, id, "snapshot", meta)
		f.deltas = append(f.deltas, delta{base: old.version, bytes: d.Bytes()})
	}
	return f, r
}

// bytesFor is what a stream showing version shown needs of f: the delta from shown when f has
// one, else the full frame (a new stream, one too far behind, or a resync of the same version).
func (f *Frame) bytesFor(shown int64) []byte {
	for _, d := range f.deltas {
		if d.base == shown {
			return d.bytes
		}
	}
	return f.Bytes
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
