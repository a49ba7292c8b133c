package csvimport

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/store"
)

// honeyBookExport is shaped like HoneyBook's project report: BOM, CRLF, a quoted cell with a
// line break, a ragged short row and a blank line.
const honeyBookExport = "\ufeffProject Name,Client Name,Client Email,Project Stage,Lead Source,Inquiry Date,Project Date,Total Project Value,Paid Amount,Project ID\r\n" +
	"Ada & Bo,Ada Lovelace,ADA@example.com,Retainer Paid,Instagram,01/15/2026,06/12/2027,\"$4,500.50\",\"1,000.25\",HB-1\r\n" +
	"\"Cy\r\nand Di\",Cy Young,cy@example.com,Proposal Sent,Referral,2026-02-01,,3000,,HB-2\r\n" +
	"\r\n" +
	"Ed,Ed Short,ed@example.com,Inquiry,Website,Feb 3 2026\r\n"

func TestParseHandlesBOMCRLFQuotedNewlinesAndRaggedRows(t *testing.T) {
	t.Parallel()
	tab, err := Parse(strings.NewReader(honeyBookExport))
	require.NoError(t, err)
	require.Equal(t, "Project Name", tab.Header[0], "the byte order mark is gone")
	require.Len(t, tab.Rows, 3)
	require.Equal(t, []int{2, 3, 6}, []int{tab.Rows[0].Line, tab.Rows[1].Line, tab.Rows[2].Line}, "lines of the file, quoted newline and blank line counted")
	require.Equal(t, "Cy\nand Di", tab.Rows[1].Cells[0], "a quoted line break is kept (CRLF read as LF)")
	require.Equal(t, "", tab.Rows[2].Cell(9), "a short row reads as empty cells")
}

func TestGuessFindsHoneyBookAndDubsadoColumns(t *testing.T) {
	t.Parallel()
	tab, err := Parse(strings.NewReader(honeyBookExport))
	require.NoError(t, err)
	m := Guess(tab.Header, HoneyBook())
	require.Equal(t, Mapping{ClientName: 1, Email: 2, Status: 3, Source: 4, InquiryDate: 5, WeddingDate: 6, Amount: 7, PaidAmount: 8, ProjectID: 9}, m)

	dub := []string{"Project Title", "Client", "Email", "Status", "Lead Source", "Date Created", "Start Date", "Total", "Paid", "Currency"}
	require.Equal(t, Mapping{ClientName: 1, Email: 2, Status: 3, Source: 4, InquiryDate: 5, WeddingDate: 6, Amount: 7, PaidAmount: 8, Currency: 9},
		Guess(dub, Dubsado()))
}

func TestMapRowMakesLinkedRecordsWithExactAmounts(t *testing.T) {
	t.Parallel()
	tab, err := Parse(strings.NewReader(honeyBookExport))
	require.NoError(t, err)
	m := Guess(tab.Header, HoneyBook())
	opt := Options{Provider: "honeybook", Currency: "USD"}

	it, err := MapRow(tab.Rows[0], m, opt)
	require.NoError(t, err)
	require.Equal(t, "HB-1", it.ExternalID)
	kinds := []connector.Kind{}
	for _, r := range it.Records {
		kinds = append(kinds, r.Kind)
	}
	require.Equal(t, []connector.Kind{connector.KindClient, connector.KindInquiry, connector.KindBooking, connector.KindPayment}, kinds)
	require.Equal(t, "ada@example.com", it.Records[0].Row.(store.ClientRow).Email)
	inq := it.Records[1].Row.(store.InquiryRow)
	require.Equal(t, "booked", inq.Status)
	require.Equal(t, "Instagram", inq.Source)
	require.Equal(t, time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), inq.ReceivedAt)
	b := it.Records[2].Row.(store.BookingRow)
	require.Equal(t, int64(450050), b.ContractAmount)
	require.Equal(t, time.Date(2027, 6, 12, 0, 0, 0, 0, time.UTC), b.WeddingDate)
	require.Equal(t, "e:ada@example.com", it.Records[2].Links[connector.KindClient])
	require.Equal(t, int64(100025), it.Records[3].Row.(store.PaymentRow).Amount)
	require.Equal(t, "HB-1", it.Records[3].Links[connector.KindBooking])

	it2, err := MapRow(tab.Rows[1], m, opt)
	require.NoError(t, err)
	require.Equal(t, "proposal", it2.Records[1].Row.(store.InquiryRow).Status)
	require.Len(t, it2.Records, 2, "no booking and no payment for a proposal")

	// The same row maps to the same id and hash; without an id column the id is a hash.
	again, _ := MapRow(tab.Rows[0], m, opt)
	require.Equal(t, it.Hash, again.Hash)
	delete(m, ProjectID)
	h1, err := MapRow(tab.Rows[2], m, opt)
	require.NoError(t, err)
	h2, _ := MapRow(tab.Rows[2], m, opt)
	require.True(t, strings.HasPrefix(h1.ExternalID, "h:"))
	require.Equal(t, h1.ExternalID, h2.ExternalID)
}

func TestMapRowErrorsNameTheLineAndReason(t *testing.T) {
	t.Parallel()
	m := Mapping{ClientName: 0, Email: 1, InquiryDate: 2, WeddingDate: 3, Amount: 4, Status: 5, Currency: 6}
	cases := map[string][]string{
		"no client name or email": {"", "", "2026-01-01"},
		"email":                   {"Ada", "not-an-email", "2026-01-01"},
		"inquiry date: \"31/31/2026\" is not a date": {"Ada", "", "31/31/2026"},
		"amount: \"12.345\"":                         {"Ada", "", "2026-01-01", "", "12.345"},
		"amount: \"-5\"":                             {"Ada", "", "2026-01-01", "", "-5"},
		"a booked project needs a wedding date":      {"Ada", "", "2026-01-01", "", "", "Booked"},
		"currency \"DOLLARS\"":                       {"Ada", "", "2026-01-01", "", "", "", "dollars"},
		"no inquiry date and no wedding date":        {"Ada"},
	}
	for want, cells := range cases {
		_, err := MapRow(Row{Line: 7, Cells: cells}, m, Options{Provider: "dubsado", Currency: "USD"})
		var re *RowError
		require.True(t, errors.As(err, &re), want)
		require.Equal(t, 7, re.Line)
		require.Contains(t, re.Error(), "line 7: "+want)
	}
}

func TestParseRefusesWhatIsNotCSV(t *testing.T) {
	t.Parallel()
	_, err := Parse(strings.NewReader("a,b\n1,2\n\xff\xfe,3\n"))
	var pe *ParseError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, 3, pe.Line)
	_, err = Parse(strings.NewReader(""))
	require.ErrorAs(t, err, &pe)
	_, err = Parse(strings.NewReader("a,b\n1,\"unterminated\n2,3\n"))
	if err != nil { // lazy quotes read the rest as one cell; if the reader refuses, it names a line
		require.ErrorAs(t, err, &pe)
		require.Positive(t, pe.Line)
	}
}

func TestStatusOf(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"Inquiry": "new", "Lead": "new", "Follow Up": "contacted", "Proposal Sent": "proposal",
		"Contract Sent": "proposal", "Proposal Signed": "booked", "Retainer Paid": "booked", "Job": "booked", "Planning": "booked",
		"Completed": "booked", "Archived": "lost", "Closed Lost": "lost", "": "new"} {
		got, _ := StatusOf(in)
		require.Equal(t, want, got, in)
	}
}
