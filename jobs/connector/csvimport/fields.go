package csvimport

import (
	"strings"
	"unicode"
)

// Field is one of our fields a column of an export can hold.
type Field string

// Our fields, in the order the mapping form shows them.
const (
	ClientName  Field = "client_name"
	Email       Field = "email"
	ProjectID   Field = "project_id"
	Status      Field = "status"
	Source      Field = "source"
	InquiryDate Field = "inquiry_date"
	WeddingDate Field = "wedding_date"
	Amount      Field = "amount"
	Currency    Field = "currency"
	PaidAmount  Field = "paid_amount"
)

// FieldInfo describes a field on the mapping form.
type FieldInfo struct {
	Field Field
	Label string
	Hint  string
}

// Fields lists our fields in form order.
func Fields() []FieldInfo {
	return []FieldInfo{
		{ClientName, "Client name", "The couple or contact. A row needs a name or an email."},
		{Email, "Email", "Links the client to payments from other integrations."},
		{ProjectID, "Project / lead id", "Makes re-imports update the same records. Without it, rows are matched by name, email and dates."},
		{Status, "Status", "Lead stages (inquiry, follow-up, proposal sent, booked, archived…) become our inquiry statuses."},
		{Source, "Source", "Where the lead came from."},
		{InquiryDate, "Inquiry date", "When the lead arrived (the wedding date is used when empty)."},
		{WeddingDate, "Wedding date", "Needed for booked projects."},
		{Amount, "Amount / contract value", "A decimal amount like 4,500.00."},
		{Currency, "Currency", "ISO code like USD; the organization's currency when not mapped."},
		{PaidAmount, "Paid amount", "Money received so far, stored as one payment per project."},
	}
}

// Mapping says which column (0-based) holds each field; a field that is absent is not imported.
type Mapping map[Field]int

// Column returns the column of f, or -1.
func (m Mapping) Column(f Field) int {
	if i, ok := m[f]; ok {
		return i
	}
	return -1
}

// Dialect is what one provider's exports call our fields, in order of preference.
type Dialect struct {
	Name    string
	Headers map[Field][]string
}

// common are header names any CRM export may use.
var common = map[Field][]string{
	ClientName:  {"client name", "client", "name", "full name", "contact name", "contact", "couple", "client full name"},
	Email:       {"email", "client email", "email address", "contact email", "primary email", "client email address"},
	ProjectID:   {"project id", "id", "lead id", "job id", "project number", "project #"},
	Status:      {"status", "project status", "stage", "project stage", "pipeline stage", "lead status"},
	Source:      {"source", "lead source", "project source", "referral source", "how did you hear about us"},
	InquiryDate: {"inquiry date", "created", "created date", "date created", "created at", "created on", "lead date", "inquiry received"},
	WeddingDate: {"wedding date", "event date", "project date", "date of event", "start date", "event start date"},
	Amount:      {"contract value", "total project value", "project value", "contract amount", "booked value", "total", "amount", "total amount"},
	Currency:    {"currency", "currency code"},
	PaidAmount:  {"paid amount", "amount paid", "total paid", "paid", "payments received", "received"},
}

// HoneyBook is the dialect of HoneyBook's project reports.
func HoneyBook() Dialect {
	return Dialect{Name: "honeybook", Headers: map[Field][]string{
		ClientName:  {"client name", "primary client"},
		ProjectID:   {"project id"},
		Status:      {"project stage", "pipeline stage"},
		Source:      {"lead source"},
		InquiryDate: {"inquiry date", "project created", "created date"},
		WeddingDate: {"project date", "event date"},
		Amount:      {"total project value", "booked value", "project value"},
		PaidAmount:  {"paid amount", "total paid"},
	}}
}

// Dubsado is the dialect of Dubsado's project exports.
func Dubsado() Dialect {
	return Dialect{Name: "dubsado", Headers: map[Field][]string{
		ClientName:  {"client", "client name", "full name"},
		ProjectID:   {"project id", "id"},
		Status:      {"status", "project status", "lead status"},
		Source:      {"lead source", "source"},
		InquiryDate: {"date created", "created"},
		WeddingDate: {"project date", "start date", "event date"},
		Amount:      {"total", "contract amount"},
		PaidAmount:  {"paid", "amount paid"},
	}}
}

// DialectFor returns the export dialect of a provider that imports CSV files ("honeybook",
// "dubsado"); false for providers that do not.
func DialectFor(provider string) (Dialect, bool) {
	switch provider {
	case HoneyBook().Name:
		return HoneyBook(), true
	case Dubsado().Name:
		return Dubsado(), true
	}
	return Dialect{}, false
}

// Guess maps each field to the first header matching the dialect's names, then the common
// ones (ignoring case, spaces and punctuation). A column is used for one field only.
func Guess(header []string, d Dialect) Mapping {
	norm := make([]string, len(header))
	for i, h := range header {
		norm[i] = normalize(h)
	}
	m := Mapping{}
	used := map[int]bool{}
	for _, fi := range Fields() {
		names := append(append([]string{}, d.Headers[fi.Field]...), common[fi.Field]...)
	search:
		for _, name := range names {
			for i, h := range norm {
				if !used[i] && h != "" && h == normalize(name) {
					m[fi.Field], used[i] = i, true
					break search
				}
			}
		}
	}
	return m
}

func normalize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '#' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
