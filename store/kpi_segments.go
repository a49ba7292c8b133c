package store

import (
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// segments are the per-segment sums of one segment query (see segmentsFrom in kpi_sql.go):
// segment i covers the local dates bounds[i] .. bounds[i+1] (exclusive). Every window a KPI
// needs starts and ends on a bound, so its sum is the sum of the segments inside it.
type segments struct {
	bounds []time.Time // ascending, distinct civil dates
	vals   [][3]int64  // one entry per segment (len(bounds)-1)
}

// newSegments cuts time at the given civil dates (any order, duplicates allowed).
func newSegments(dates ...time.Time) *segments {
	b := slices.Clone(dates)
	slices.SortFunc(b, func(x, y time.Time) int { return x.Compare(y) })
	b = slices.CompactFunc(b, func(x, y time.Time) bool { return x.Equal(y) })
	return &segments{bounds: b, vals: make([][3]int64, max(len(b)-1, 0))}
}

// read returns a batch callback that reads rows of (1-based segment number, n values).
func (s *segments) read(what string, n int) func(pgx.Rows) error {
	return func(rows pgx.Rows) error {
		var i int
		var v [3]int64
		dest := []any{&i}
		for j := range n {
			dest = append(dest, &v[j])
		}
		_, err := pgx.ForEachRow(rows, dest, func() error {
			if i < 1 || i > len(s.vals) {
				return fmt.Errorf("segment %d out of range", i)
			}
			s.vals[i-1] = v
			return nil
		})
		return wrap(what, err)
	}
}

// sum adds value j over the segments of the dates from .. to (inclusive). from and to+1 must be
// bounds; a window outside the bounds panics, as it is a programming error.
func (s *segments) sum(from, to time.Time, j int) int64 {
	end := to.AddDate(0, 0, 1)
	lo, okLo := slices.BinarySearchFunc(s.bounds, from, func(x, y time.Time) int { return x.Compare(y) })
	hi, okHi := slices.BinarySearchFunc(s.bounds, end, func(x, y time.Time) int { return x.Compare(y) })
	if !okLo || !okHi {
		panic(fmt.Sprintf("store: window %s .. %s is not cut by the segment bounds", ymd(from), ymd(to)))
	}
	var total int64
	for i := lo; i < hi; i++ {
		total += s.vals[i][j]
	}
	return total
}
