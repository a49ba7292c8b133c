// Package csvimport reads the CSV exports of CRMs without an API (HoneyBook, Dubsado): it parses
// the file (byte order mark, CRLF, quoted newlines, ragged rows), guesses which column holds
// which of our fields from the export's headers, and maps each row to client, inquiry, booking
// and payment records with an idempotent external id. The same row mapping serves the Zapier
// webhooks of those providers (package zapier), so a project looks the same whichever way it
// arrives.
package csvimport

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// MaxRows is the most data rows one file may hold.
const MaxRows = 50_000

// MaxCell is the longest cell kept (longer ones are cut; no field of ours needs more).
const MaxCell = 5000

// Table is a parsed export: the header row and the data rows.
type Table struct {
	Header []string
	Rows   []Row
}

// Row is one data row with the line of the file it starts on (1 is the header).
type Row struct {
	Line  int
	Cells []string
}

// Cell returns column i of the row, trimmed; "" when the row is shorter (a ragged row) or i < 0.
func (r Row) Cell(i int) string {
	if i < 0 || i >= len(r.Cells) {
		return ""
	}
	return strings.TrimSpace(r.Cells[i])
}

// ParseError is a file that cannot be read as CSV, with the line where reading stopped.
type ParseError struct {
	Line int
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Parse reads a whole export. It strips a UTF-8 byte order mark, accepts CRLF and LF line ends,
// quoted cells spanning lines and rows with more or fewer cells than the header, drops NUL
// characters and skips blank lines. A file that is not CSV, not UTF-8, has no header or too many rows is a
// *ParseError naming the line.
func Parse(r io.Reader) (Table, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Table{}, fmt.Errorf("read csv: %w", err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		return Table{}, &ParseError{Line: firstInvalidLine(data), Msg: "the file is not UTF-8 text; export it again as CSV (UTF-8)"}
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = false
	var t Table
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return Table{}, &ParseError{Line: max(pe.StartLine, 1), Msg: pe.Err.Error()}
			}
			return Table{}, fmt.Errorf("read csv: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if t.Header == nil {
			t.Header = trimAll(rec)
			if !hasText(t.Header) {
				return Table{}, &ParseError{Line: line, Msg: "the first row must name the columns"}
			}
			continue
		}
		if !hasText(rec) {
			continue
		}
		if len(t.Rows) == MaxRows {
			return Table{}, &ParseError{Line: line, Msg: fmt.Sprintf("the file has more than %d rows; split it", MaxRows)}
		}
		for i, c := range rec {
			c = strings.ReplaceAll(c, "\x00", "") // PostgreSQL text cannot hold NUL
			if len(c) > MaxCell {
				c = strings.ToValidUTF8(c[:MaxCell], "")
			}
			rec[i] = c
		}
		t.Rows = append(t.Rows, Row{Line: line, Cells: rec})
	}
	if t.Header == nil {
		return Table{}, &ParseError{Line: 1, Msg: "the file is empty"}
	}
	return t, nil
}

func trimAll(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = strings.TrimSpace(c)
	}
	return out
}

func hasText(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return true
		}
	}
	return false
}

func firstInvalidLine(data []byte) int {
	line := 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size <= 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		data = data[size:]
	}
	return line
}
