package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// DefaultPerPage and MaxPerPage bound the size of a list page.
const (
	DefaultPerPage = 25
	MaxPerPage     = 100
	// optionLimit caps the choices offered in a form's select box.
	optionLimit = 200
)

// ListQuery is what a list page asks for, straight from its query string. Unknown sorts fall back
// to the list's default; From and To are local dates (YYYY-MM-DD, inclusive) applied to the
// record's main date.
type ListQuery struct {
	Page, PerPage int
	Status        string
	Source        string
	From, To      string
	Sort          string
	Q             string
	// now is the clock for named status filters that depend on today (zero means time.Now).
	now time.Time
}

// Page is one page of a list.
type Page[T any] struct {
	Items   []T
	Page    int
	PerPage int
	Total   int
	// Sort is the sort that was applied (the default when the query's was unknown).
	Sort string
}

// Pages is the number of pages (at least 1).
func (p Page[T]) Pages() int {
	if p.PerPage <= 0 || p.Total == 0 {
		return 1
	}
	return (p.Total + p.PerPage - 1) / p.PerPage
}

// HasNext reports whether a later page exists.
func (p Page[T]) HasNext() bool { return p.Page < p.Pages() }

// HasPrev reports whether an earlier page exists.
func (p Page[T]) HasPrev() bool { return p.Page > 1 }

// Option is one choice of a form's select box.
type Option struct {
	ID    int64
	Label string
}

// listSpec describes one entity's list: its select, which columns the filters apply to, and the
// whitelisted sorts. Every piece of SQL here is a constant of this package.
type listSpec struct {
	cols, from string
	idCol      string
	dateCol    string // the main date; a date column unless dateIsTime
	dateIsTime bool   // the main date is a timestamptz, compared with local days of the org
	statusCol  string
	statuses   []string
	// named are extra status filters: a name and its SQL condition, in which {today} stands for
	// the organization's local date (e.g. "overdue" invoices).
	named       map[string]string
	sourceCol   string
	search      []string
	sorts       map[string]string
	defaultSort string
}

// list runs a filtered, sorted, paginated select inside tx.
func list[T any](ctx context.Context, tx pgx.Tx, s listSpec, q ListQuery, scan pgx.RowToFunc[T]) (Page[T], error) {
	page := Page[T]{Page: max(q.Page, 1), PerPage: q.PerPage, Sort: q.Sort}
	if page.PerPage <= 0 {
		page.PerPage = DefaultPerPage
	}
	page.PerPage = min(page.PerPage, MaxPerPage)
	order, ok := s.sorts[page.Sort]
	if !ok {
		page.Sort = s.defaultSort
		order = s.sorts[s.defaultSort]
	}
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	conds := []string{"true"}
	p := Problems{}
	from := dateField(p, "from", q.From, false)
	to := dateField(p, "to", q.To, false)
	if from != nil && to != nil && to.Before(*from) {
		p.Add("to", "The end date must be on or after the start date.")
	}
	named, isNamed := s.named[q.Status]
	if q.Status != "" && !isNamed {
		if s.statusCol == "" || !contains(s.statuses, q.Status) {
			p.Add("status", "Choose one of the listed statuses.")
		} else {
			conds = append(conds, s.statusCol+" = "+arg(q.Status))
		}
	}
	if err := p.Err(); err != nil {
		return page, err
	}
	if isNamed {
		org, err := orgTx(ctx, tx)
		if err != nil {
			return page, err
		}
		now := q.now
		if now.IsZero() {
			now = time.Now()
		}
		today := arg(localDate(now, org.Location()).Format(time.DateOnly)) + "::date"
		conds = append(conds, "("+strings.ReplaceAll(named, "{today}", today)+")")
	}
	if (from != nil || to != nil) && s.dateIsTime {
		org, err := orgTx(ctx, tx)
		if err != nil {
			return page, err
		}
		tz := arg(org.Timezone)
		if from != nil {
			conds = append(conds, fmt.Sprintf("%s >= (%s::date::timestamp at time zone %s)", s.dateCol, arg(q.From), tz))
		}
		if to != nil {
			conds = append(conds, fmt.Sprintf("%s < ((%s::date + 1)::timestamp at time zone %s)", s.dateCol, arg(q.To), tz))
		}
	} else {
		if from != nil {
			conds = append(conds, s.dateCol+" >= "+arg(q.From)+"::date")
		}
		if to != nil {
			conds = append(conds, s.dateCol+" <= "+arg(q.To)+"::date")
		}
	}
	if q.Source != "" && s.sourceCol != "" {
		conds = append(conds, s.sourceCol+" = "+arg(q.Source))
	}
	if term := strings.TrimSpace(q.Q); term != "" && len(s.search) > 0 {
		n := arg(strings.ToLower(term))
		var ors []string
		for _, c := range s.search {
			ors = append(ors, fmt.Sprintf("strpos(lower(%s), %s) > 0", c, n))
		}
		conds = append(conds, "("+strings.Join(ors, " or ")+")")
	}
	where := " where " + strings.Join(conds, " and ")
	if err := tx.QueryRow(ctx, "select count(*) from "+s.from+where, args...).Scan(&page.Total); err != nil {
		return page, err
	}
	sql := fmt.Sprintf("select %s from %s%s order by %s, %s desc limit %d offset %d",
		s.cols, s.from, where, order, s.idCol, page.PerPage, (page.Page-1)*page.PerPage)
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return page, err
	}
	page.Items, err = pgx.CollectRows(rows, scan)
	if page.Items == nil {
		page.Items = []T{}
	}
	return page, err
}

// getOne selects the row with id using a list's select.
func getOne[T any](ctx context.Context, tx pgx.Tx, s listSpec, id int64, scan pgx.RowToFunc[T]) (T, error) {
	rows, err := tx.Query(ctx, "select "+s.cols+" from "+s.from+" where "+s.idCol+" = $1", id)
	if err != nil {
		var zero T
		return zero, err
	}
	return pgx.CollectExactlyOneRow(rows, scan)
}

// options lists id and label pairs, most recent first.
func options(ctx context.Context, tx pgx.Tx, sql string, label func(id int64, parts []string) string) ([]Option, error) {
	rows, err := tx.Query(ctx, sql+" limit "+strconv.Itoa(optionLimit))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Option, error) {
		var id int64
		var parts []string
		err := r.Scan(&id, &parts)
		return Option{ID: id, Label: label(id, parts)}, err
	})
}

// recordErr wraps a failed record operation; a *ValidationError comes back unwrapped so the
// handler can show its field messages.
func recordErr(op string, err error) error {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve
	}
	return wrap(op, err)
}

func contains(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// changes lists the fields whose values differ, as field -> [old, new], for the audit log.
func changes(was, now map[string]any) map[string][2]any {
	out := map[string][2]any{}
	for k, v := range now {
		if fmt.Sprint(was[k]) != fmt.Sprint(v) {
			out[k] = [2]any{was[k], v}
		}
	}
	return out
}

// deref renders an optional value for the audit log (nil stays nil).
func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// dateString renders an optional local date as YYYY-MM-DD ("" for none).
func dateString(d *time.Time) string {
	if d == nil {
		return ""
	}
	return d.Format(time.DateOnly)
}

// Form parsing shared by the record files. Each helper trims its input, records a message for
// the field in p when the value is unusable, and returns the parsed value (nil when empty).

// textField checks a free-text field's length in characters; required is the message for an
// empty value ("" when the field may be empty).
func textField(p Problems, field, v string, maxLen int, required string) string {
	v = strings.TrimSpace(v)
	switch {
	case v == "" && required != "":
		p.Add(field, required)
	case !utf8.ValidString(v) || strings.ContainsRune(v, 0):
		p.Add(field, "Remove the unusual characters.")
	case utf8.RuneCountInString(v) > maxLen:
		p.Add(field, fmt.Sprintf("Use at most %d characters.", maxLen))
	}
	return v
}

// dateField parses a local date (YYYY-MM-DD) into midnight UTC.
func dateField(p Problems, field, v string, required bool) *time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		if required {
			p.Add(field, "Enter a date like 2027-06-12.")
		}
		return nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		p.Add(field, "Enter a date like 2027-06-12.")
		return nil
	}
	if d.Year() < 1900 || d.Year() > 2200 {
		p.Add(field, "Enter a date between the years 1900 and 2200.")
		return nil
	}
	return &d
}

// dateTimeField parses an HTML datetime-local value ("2027-06-12T14:30") in the org's timezone.
func dateTimeField(p Problems, field, v string, loc *time.Location, required bool) *time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		if required {
			p.Add(field, "Enter a date and time like 2027-06-12T14:30.")
		}
		return nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			if t.Year() < 1900 || t.Year() > 2200 {
				p.Add(field, "Enter a date between the years 1900 and 2200.")
				return nil
			}
			return &t
		}
	}
	p.Add(field, "Enter a date and time like 2027-06-12T14:30.")
	return nil
}

// idField parses an optional reference chosen in a select box; msg explains a bad one.
func idField(p Problems, field, v, msg string) *int64 {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		p.Add(field, msg)
		return nil
	}
	return &id
}

// refExists checks a reference is a row of table visible in the org's scope (other orgs' rows
// are invisible under row level security). table is always a constant of this package.
func refExists(ctx context.Context, tx pgx.Tx, p Problems, field, table string, id *int64, msg string) error {
	if id == nil {
		return nil
	}
	var ok bool
	if err := tx.QueryRow(ctx, "select exists(select 1 from "+table+" where id = $1)", *id).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		p.Add(field, msg)
	}
	return nil
}

// enumField checks v is one of allowed; an empty value becomes def.
func enumField(p Problems, field, v, def string, allowed []string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		v = def
	}
	if !contains(allowed, v) {
		p.Add(field, "Choose one of: "+strings.Join(allowed, ", ")+".")
	}
	return v
}

// moneyField parses an amount in minor units of code; nil when empty and not required.
func moneyField(p Problems, field, v, code string, required bool) *int64 {
	if strings.TrimSpace(v) == "" && !required {
		return nil
	}
	m, err := ParseMoney(v, code)
	if err != nil {
		p.Add(field, err.Error())
		return nil
	}
	return &m
}

// localDate is the calendar day of t in loc, as midnight UTC (how dates come from PostgreSQL).
func localDate(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
