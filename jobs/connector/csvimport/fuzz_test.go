package csvimport

import (
	"bytes"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/wedsync/wedsync/store"
)

// FuzzParseCSV feeds arbitrary bytes through the whole CSV path (parse, guess the columns, map
// every row): it never panics, every error names a line that exists, rows come in file order,
// and every amount that is accepted equals the decimal in the cell exactly.
func FuzzParseCSV(f *testing.F) {
	f.Add([]byte(honeyBookExport))
	f.Add([]byte("Client,Email,Status,Date Created,Start Date,Total,Paid,Currency\nAda,ada@example.com,Job,1/2/2026,6/12/2027,\"12,345.67\",100,USD\n"))
	f.Add([]byte("Client,Total,Currency,Created\nA,1000,JPY,2026-01-01\nB,12.5,BHD,2026-01-01\nC,$0.01,USD,2026-01-01\n"))
	f.Add([]byte("\ufeffa,\"b\nc\",d\r\n\"x\"\"y\",,\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := bytes.Count(data, []byte("\n")) + 1
		tab, err := Parse(bytes.NewReader(data))
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error without a line: %v", err)
			}
			if pe.Line < 1 || pe.Line > lines {
				t.Fatalf("error line %d outside 1..%d: %v", pe.Line, lines, err)
			}
			return
		}
		prev := 1
		for _, d := range []Dialect{HoneyBook(), Dubsado()} {
			m := Guess(tab.Header, d)
			prev = 1
			for _, row := range tab.Rows {
				if row.Line <= prev || row.Line > lines {
					t.Fatalf("row line %d after %d (file has %d lines)", row.Line, prev, lines)
				}
				prev = row.Line
				it, err := MapRow(row, m, Options{Provider: d.Name, Currency: "USD"})
				if err != nil {
					var re *RowError
					if !errors.As(err, &re) || re.Line != row.Line {
						t.Fatalf("row at line %d: error %v does not name it", row.Line, err)
					}
					continue
				}
				if it.ExternalID == "" || len(it.Hash) != 64 || len(it.Records) < 2 {
					t.Fatalf("row at line %d: incomplete item %+v", row.Line, it)
				}
				inq := it.Records[1].Row.(store.InquiryRow)
				if inq.EstimatedValue != nil {
					checkExact(t, row.Cell(m.Column(Amount)), inq.Currency, *inq.EstimatedValue)
				}
			}
		}
	})
}

// checkExact compares minor units with the cell's decimal computed independently (math/big).
func checkExact(t *testing.T, cell, currency string, minor int64) {
	t.Helper()
	s := strings.TrimSpace(cell)
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(s, currency), currency))
	s = strings.ReplaceAll(strings.TrimLeft(s, "$£€¥₹ "), ",", "")
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		t.Fatalf("accepted amount %q is not a decimal", cell)
	}
	scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(store.MinorUnits(currency))), nil))
	want := new(big.Rat).Mul(r, scale)
	if !want.IsInt() || want.Num().Int64() != minor || !want.Num().IsInt64() {
		t.Fatalf("amount %q in %s: got %d minor units, want %s", cell, currency, minor, want.RatString())
	}
}
