package live

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store"
)

func TestFrameDeltasAreForTheVersionsTheyStartFrom(t *testing.T) {
	snap := func(v int64) *store.Snapshot {
		return &store.Snapshot{Version: v, ChangeSeq: v * 10, ComputedAt: time.Now()}
	}
	frags := func(a, b string) []Fragment { return []Fragment{{"a", []byte(a)}, {"b", []byte(b)}} }
	f1, r1 := newFrame(snap(1), frags("one", "same\nlines"), nil)
	require.Empty(t, f1.deltas)
	_, r2 := newFrame(snap(2), frags("two", "changed"), []rendition{r1})
	f3, _ := newFrame(snap(3), frags("three", "same\nlines"), []rendition{r1, r2})

	fromV1 := string(f3.bytesFor(1))
	require.Equal(t, "id: 3\nevent: a\ndata: three\n\n", fromV1[:strings.Index(fromV1, "id: 3\nevent: snapshot")],
		"from version 1 only a changed")
	require.Contains(t, fromV1, `"change_seq":30`)
	fromV2 := string(f3.bytesFor(2))
	require.Contains(t, fromV2, "event: a\n")
	require.Contains(t, fromV2, "event: b\ndata: same\ndata: lines\n\n", "from version 2 both changed")
	require.True(t, strings.HasSuffix(fromV2, "}\n\n"), "the snapshot event closes the delta")

	require.Equal(t, f3.Bytes, f3.bytesFor(0), "a new stream gets everything")
	require.Equal(t, f3.Bytes, f3.bytesFor(3), "a resync of the same version gets everything")
	require.Contains(t, string(f3.Bytes), "event: b\ndata: same\ndata: lines\n\n")

	var long []rendition
	for v := int64(1); v <= 10; v++ {
		long = append(long, renditionOf(v, frags("x", "y")))
	}
	f11, _ := newFrame(snap(11), frags("x", "z"), long)
	require.Len(t, f11.deltas, deltaDepth)
	require.Equal(t, f11.Bytes, f11.bytesFor(10-deltaDepth), "too far behind: everything")
	require.NotEqual(t, f11.Bytes, f11.bytesFor(11-deltaDepth))
}
