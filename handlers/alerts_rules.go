package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/views"
)

// ruleSummary describes a rule's parameters in a few words.
func ruleSummary(r store.Rule) string {
	p := r.Params
	switch r.Kind {
	case store.RuleRevenueDrop:
		return fmt.Sprintf("last %d days down %d%% or more on last year", p.Days, p.DropPct)
	case store.RuleCapacity:
		s := "dates past capacity"
		if p.FullDates {
			s = "dates at or past capacity"
		}
		if p.MonthPct > 0 {
			s += fmt.Sprintf("; months %d%% booked", p.MonthPct)
		}
		return s
	case store.RuleOverduePayment:
		return fmt.Sprintf("invoices overdue %d days or more", p.Days)
	case store.RuleUnansweredInquiry:
		return fmt.Sprintf("inquiries unanswered after %d hours", p.Hours)
	case store.RuleLowReview:
		return fmt.Sprintf("reviews of %d stars or fewer", p.MaxRating)
	case store.RuleSyncFailure:
		return fmt.Sprintf("%d failures in a row, or no success in %d hours", p.Failures, p.Hours)
	case store.RuleWeddingDay:
		var parts []string
		for _, w := range []struct {
			on   bool
			what string
		}{{p.WatchBalance, "balance"}, {p.WatchConflict, "conflicts"}, {p.WatchCalendar, "calendar sync"}, {p.WatchOpenAlerts, "open alerts"}} {
			if w.on {
				parts = append(parts, w.what)
			}
		}
		return "on the day: " + strings.Join(parts, ", ")
	}
	return ""
}

func (s *Server) alertRules(c echo.Context) error {
	v := viewerOf(c)
	ctx := c.Request().Context()
	if err := s.db.EnsureAlertDefaults(ctx, v.Org.ID); err != nil {
		return err
	}
	rules, err := s.db.AlertRules(ctx, v.Org.ID)
	if err != nil {
		return err
	}
	rows := make([]views.RuleRow, len(rules))
	for i, r := range rules {
		rows[i] = views.RuleRow{ID: r.ID, Name: r.DisplayName(), Kind: string(r.Kind), KindLabel: r.Kind.Label(), Severity: r.Severity.String(),
			Summary: ruleSummary(r), Enabled: r.Enabled}
	}
	return render(c, http.StatusOK, views.RulesPage(s.page(c, "Alert rules", "alerts"), rows))
}

func ruleForm(r store.Rule) views.RuleForm {
	p := r.Params
	itoa := strconv.Itoa
	return views.RuleForm{ID: r.ID, Kind: string(r.Kind), KindLabel: r.Kind.Label(), Name: r.Name, Severity: r.Severity.String(),
		Days: itoa(p.Days), DropPct: itoa(p.DropPct), MonthPct: itoa(p.MonthPct), Hours: itoa(p.Hours), MaxRating: itoa(p.MaxRating),
		Failures: itoa(p.Failures), FullDates: p.FullDates, Enabled: r.Enabled, WatchBalance: p.WatchBalance,
		WatchConflict: p.WatchConflict, WatchCalendar: p.WatchCalendar, WatchOpenAlerts: p.WatchOpenAlerts}
}

func (s *Server) newAlertRule(c echo.Context) error {
	kind := store.RuleKind(c.QueryParam("kind"))
	for _, r := range store.DefaultRules() {
		if r.Kind == kind {
			return render(c, http.StatusOK, views.RuleFormPage(s.page(c, "New rule", "alerts"), ruleForm(r), nil))
		}
	}
	return echo.NewHTTPError(http.StatusNotFound, "There is no rule type of that name.")
}

// parseRuleForm reads the rule form; numbers that are not whole numbers become field errors.
func parseRuleForm(c echo.Context, id int64) (store.Rule, views.RuleForm, views.FormErrors) {
	kind := store.RuleKind(c.FormValue("kind"))
	f := views.RuleForm{ID: id, Kind: string(kind), KindLabel: kind.Label(), Name: c.FormValue("name"),
		Severity: c.FormValue("severity"), Days: strings.TrimSpace(c.FormValue("days")),
		DropPct: strings.TrimSpace(c.FormValue("drop_pct")), MonthPct: strings.TrimSpace(c.FormValue("month_pct")),
		Hours: strings.TrimSpace(c.FormValue("hours")), MaxRating: strings.TrimSpace(c.FormValue("max_rating")),
		Failures: strings.TrimSpace(c.FormValue("failures")), FullDates: c.FormValue("full_dates") != "",
		Enabled: c.FormValue("enabled") != "", WatchBalance: c.FormValue("watch_balance") != "",
		WatchConflict: c.FormValue("watch_conflict") != "", WatchCalendar: c.FormValue("watch_calendar") != "",
		WatchOpenAlerts: c.FormValue("watch_open_alerts") != ""}
	errs := views.FormErrors{}
	sev, _ := store.ParseSeverity(f.Severity)
	r := store.Rule{ID: id, Kind: kind, Name: f.Name, Severity: sev, Enabled: f.Enabled, Params: store.RuleParams{
		FullDates: f.FullDates, WatchBalance: f.WatchBalance, WatchConflict: f.WatchConflict,
		WatchCalendar: f.WatchCalendar, WatchOpenAlerts: f.WatchOpenAlerts}}
	num := func(field, text string, dst *int) {
		if text == "" {
			return
		}
		n, err := strconv.Atoi(text)
		if err != nil {
			errs[field] = "Enter a whole number."
			return
		}
		*dst = n
	}
	num("days", f.Days, &r.Params.Days)
	num("drop_pct", f.DropPct, &r.Params.DropPct)
	num("month_pct", f.MonthPct, &r.Params.MonthPct)
	num("hours", f.Hours, &r.Params.Hours)
	num("max_rating", f.MaxRating, &r.Params.MaxRating)
	num("failures", f.Failures, &r.Params.Failures)
	return r, f, errs
}

// mergeErrs adds the store's messages to the form's own (the form's win per field).
func mergeErrs(errs views.FormErrors, err error) (views.FormErrors, error) {
	fe, ok := formErrors(err)
	if !ok {
		return errs, err
	}
	for k, v := range fe {
		if _, dup := errs[k]; !dup {
			errs[k] = v
		}
	}
	return errs, nil
}

func (s *Server) createAlertRule(c echo.Context) error {
	v := viewerOf(c)
	r, f, errs := parseRuleForm(c, 0)
	if !r.Kind.Valid() {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "Choose a rule type.")
	}
	_, err := s.db.CreateAlertRule(c.Request().Context(), v.Org.ID, v.User.ID, r)
	if errs, err = mergeErrs(errs, err); err != nil {
		return err
	}
	if len(errs) > 0 {
		return render(c, http.StatusUnprocessableEntity, views.RuleFormPage(s.page(c, "New rule", "alerts"), f, errs))
	}
	s.flash(c, "Rule added. It is evaluated right away.")
	return redirect(c, "/alerts/rules")
}

func (s *Server) editAlertRule(c echo.Context) error {
	v := viewerOf(c)
	id, err := alertIDParam(c)
	if err != nil {
		return err
	}
	r, err := s.db.AlertRule(c.Request().Context(), v.Org.ID, id)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.RuleFormPage(s.page(c, "Edit rule", "alerts"), ruleForm(r), nil))
}

func (s *Server) updateAlertRule(c echo.Context) error {
	v := viewerOf(c)
	id, err := alertIDParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	old, err := s.db.AlertRule(ctx, v.Org.ID, id)
	if err != nil {
		return err
	}
	r, f, errs := parseRuleForm(c, id)
	r.Kind, f.Kind, f.KindLabel = old.Kind, string(old.Kind), old.Kind.Label()
	if len(errs) == 0 {
		if errs, err = mergeErrs(errs, s.db.UpdateAlertRule(ctx, v.Org.ID, v.User.ID, r)); err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return render(c, http.StatusUnprocessableEntity, views.RuleFormPage(s.page(c, "Edit rule", "alerts"), f, errs))
	}
	s.flash(c, "Rule saved.")
	return redirect(c, "/alerts/rules")
}

func (s *Server) deleteAlertRule(c echo.Context) error {
	v := viewerOf(c)
	id, err := alertIDParam(c)
	if err != nil {
		return err
	}
	if err := s.db.DeleteAlertRule(c.Request().Context(), v.Org.ID, v.User.ID, id); err != nil {
		return err
	}
	s.flash(c, "Rule deleted.")
	return redirect(c, "/alerts/rules")
}
