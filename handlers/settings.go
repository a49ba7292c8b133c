package handlers

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/views"
)

func (s *Server) settingsForm(c echo.Context) error {
	o := viewerOf(c).Org
	f := views.SettingsForm{Name: o.Name, Timezone: o.Timezone, Currency: o.Currency,
		DailyCapacity: strconv.Itoa(o.DailyCapacity), WeddingDays: o.WeddingDays}
	return render(c, http.StatusOK, views.SettingsPage(s.page(c, "Settings", "settings"), f, nil))
}

func (s *Server) saveSettings(c echo.Context) error {
	v := viewerOf(c)
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	f := views.SettingsForm{Name: form.Get("org_name"), Timezone: form.Get("timezone"), Currency: form.Get("currency"),
		DailyCapacity: strings.TrimSpace(form.Get("daily_capacity"))}
	errs := views.FormErrors{}
	for _, d := range form["wedding_days"] {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 || n > 6 {
			errs["wedding_days"] = "Unknown weekday."
			continue
		}
		f.WeddingDays = append(f.WeddingDays, n)
	}
	capacity, err := strconv.Atoi(f.DailyCapacity)
	if err != nil {
		errs["daily_capacity"] = "Enter a whole number from 1 to 100."
	}
	if len(errs) == 0 {
		err = s.db.UpdateOrgSettings(c.Request().Context(), v.Org.ID, v.User.ID, store.OrgSettings{
			Name: f.Name, Timezone: f.Timezone, Currency: f.Currency, WeddingDays: f.WeddingDays, DailyCapacity: capacity})
		if fe, ok := formErrors(err); ok {
			errs = fe
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return render(c, http.StatusUnprocessableEntity, views.SettingsPage(s.page(c, "Settings", "settings"), f, errs))
	}
	s.flash(c, "Settings saved.")
	return redirect(c, "/settings")
}

func (s *Server) auditLog(c echo.Context) error {
	v := viewerOf(c)
	page, _ := strconv.Atoi(c.QueryParam("page"))
	page = max(page, 1)
	const per = 50
	entries, err := s.db.AuditLog(c.Request().Context(), v.Org.ID, per+1, (page-1)*per)
	if err != nil {
		return err
	}
	hasNext := len(entries) > per
	if hasNext {
		entries = entries[:per]
	}
	rows := make([]views.AuditRow, len(entries))
	loc := v.Org.Location()
	for i, e := range entries {
		rows[i] = views.AuditRow{At: e.At.In(loc), Who: e.UserEmail, Action: e.Action, Entity: e.Entity, EntityID: e.EntityID, Detail: e.Detail}
	}
	return render(c, http.StatusOK, views.AuditPage(s.page(c, "Audit log", "audit"), rows, page, hasNext))
}
