package handlers

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/views"
)

// recordKind describes one kind of record for its list and form pages.
type recordKind struct {
	entity   string // URL segment under /records
	title    string // list heading
	noun     string // "client", "inquiry", ...
	statuses []string
	// sourceLabel names the source filter ("" when the records have no source).
	sourceLabel string
	sources     []string
	dateLabel   string
	// sorts are the orders offered, the store's default first.
	sorts []views.Option
}

// maxRecordSearch bounds the search term of a list.
const maxRecordSearch = 200

// maxRecordPage bounds the page number of a list (far beyond any real list, well within an int).
const maxRecordPage = 1_000_000

// listURL is the kind's list page.
func (k recordKind) listURL() string { return "/records/" + k.entity }

// editURL is the edit page of record id.
func (k recordKind) editURL(id int64) string { return k.listURL() + "/" + strconv.FormatInt(id, 10) }

// query reads the list's query string. Values the list cannot use get a message for the toolbar
// and are left out of the store query, so the store sees only what it can answer.
func (k recordKind) query(c echo.Context) (store.ListQuery, views.RecordList) {
	qp := c.QueryParams()
	f := views.ListFilters{Status: qp.Get("status"), Source: qp.Get("source"), From: qp.Get("from"), To: qp.Get("to"),
		Sort: qp.Get("sort"), Q: qp.Get("q"), Sorts: k.sorts, DateLabel: k.dateLabel,
		SourceLabel: k.sourceLabel, Sources: k.sources}
	for _, s := range k.statuses {
		f.Statuses = append(f.Statuses, views.Option{Value: s, Label: s})
	}
	errs := views.FormErrors{}
	q := store.ListQuery{Page: 1}
	if p := strings.TrimSpace(qp.Get("page")); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > maxRecordPage {
			errs[""] = "Page numbers are whole numbers from 1."
		} else {
			q.Page = n
		}
	}
	if f.Status != "" {
		if slices.Contains(k.statuses, f.Status) {
			q.Status = f.Status
		} else {
			errs["status"] = "Choose one of the listed statuses."
		}
	}
	if k.sourceLabel != "" && f.Source != "" {
		if msg := badFilterText(f.Source, 50); msg != "" {
			errs["source"] = msg
		} else {
			q.Source = strings.TrimSpace(f.Source)
		}
	}
	q.From = listFilterDate(errs, "from", f.From)
	q.To = listFilterDate(errs, "to", f.To)
	if f.Sort != "" {
		if slices.ContainsFunc(k.sorts, func(o views.Option) bool { return o.Value == f.Sort }) {
			q.Sort = f.Sort
		} else {
			errs["sort"] = "Choose one of the listed orders."
		}
	}
	if f.Q != "" {
		if msg := badFilterText(f.Q, maxRecordSearch); msg != "" {
			errs["q"] = msg
		} else {
			q.Q = f.Q
		}
	}
	return q, views.RecordList{Entity: k.entity, Title: k.title, NewLabel: "New " + k.noun, NewURL: k.listURL() + "/new",
		Filters: f, Errs: errs, Page: q.Page, Pages: 1}
}

// listFilterDate checks a YYYY-MM-DD filter date; "" when empty or unusable.
func listFilterDate(errs views.FormErrors, field, v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil || d.Year() < 1900 || d.Year() > 2200 {
		errs[field] = "Enter a date like 2027-06-12."
		return ""
	}
	return v
}

// badFilterText explains why a typed filter value cannot be used ("" when it can).
func badFilterText(v string, maxLen int) string {
	switch {
	case !utf8.ValidString(v) || strings.ContainsRune(v, 0):
		return "Remove the unusual characters."
	case utf8.RuneCountInString(v) > maxLen:
		return "Use at most " + strconv.Itoa(maxLen) + " characters."
	}
	return ""
}

// listRecords renders a list page: the filters of the query string, one page of rows from fetch,
// and view. Filters that cannot be used re-render the page with their messages and status 422.
func listRecords[T any](s *Server, c echo.Context, k recordKind,
	fetch func(context.Context, int64, store.ListQuery) (store.Page[T], error),
	view func(views.Page, views.RecordList, []T) templ.Component) error {
	v := viewerOf(c)
	q, l := k.query(c)
	l.Loc = v.Org.Location()
	l.Today = orgToday(s.db.Now(), l.Loc)
	var rows []T
	if len(l.Errs) == 0 {
		page, err := fetch(c.Request().Context(), v.Org.ID, q)
		if errs, ok := formErrors(err); ok {
			l.Errs = errs
		} else if err != nil {
			return err
		} else {
			rows = page.Items
			l.Page, l.Pages, l.Total, l.Rows = page.Page, page.Pages(), page.Total, len(page.Items)
		}
	}
	status := http.StatusOK
	if len(l.Errs) > 0 {
		status = http.StatusUnprocessableEntity
	}
	return render(c, status, view(s.page(c, k.title, "records"), l, rows))
}

// orgToday is the calendar day of now in loc, as midnight UTC (how the store keeps dates).
func orgToday(now time.Time, loc *time.Location) time.Time {
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// recordsHome opens the records on the inquiries list.
func (s *Server) recordsHome(c echo.Context) error {
	return c.Redirect(http.StatusSeeOther, "/records/inquiries")
}
