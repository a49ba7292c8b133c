package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/jobs/connector"
	"github.com/wedsync/wedsync/jobs/connector/calmap"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/views"
)

// formOf builds the form model of provider p with the typed (or stored) plain values. Secret
// values are never put back in a form, not even after a mistake.
func (h *integrationPages) formOf(p connector.Provider, name, interval string, values url.Values, hints map[string]string) views.IntegrationForm {
	f := views.IntegrationForm{Provider: p.Name, ProviderLabel: p.Label, Name: name, Interval: interval, WebhookHelp: p.WebhookHelp}
	for _, fld := range p.Fields {
		ff := views.FormField{Name: fld.Name, Label: fld.Label, Hint: fld.Hint, Secret: fld.Secret, Optional: fld.Optional, Stored: hints[fld.Name]}
		if !fld.Secret {
			ff.Value = values.Get(fld.Name)
		}
		for _, ch := range fld.Choices {
			ff.Choices = append(ff.Choices, views.Option{Value: ch.Value, Label: ch.Label})
		}
		f.Fields = append(f.Fields, ff)
	}
	if p.OAuth != nil {
		_, f.OAuthReady = h.cfg.OAuth.Config(p, "")
		f.OAuth = p.Label
	}
	return f
}

func (h *integrationPages) providerOptions() []views.Option {
	var out []views.Option
	for _, p := range h.reg.All() {
		label := p.Label
		if p.Category != "" {
			label += " (" + p.Category + ")"
		}
		out = append(out, views.Option{Value: p.Name, Label: label})
	}
	return out
}

func (h *integrationPages) newForm(c echo.Context) error {
	p, ok := h.reg.Lookup(c.QueryParam("provider"))
	if !ok {
		f := views.IntegrationForm{Providers: h.providerOptions()}
		var errs views.FormErrors
		if c.QueryParam("provider") != "" {
			errs = views.FormErrors{"provider": "Choose one of the listed providers."}
		}
		return render(c, http.StatusOK, views.IntegrationFormPage(h.page(c, "Add an integration", "integrations"), f, errs))
	}
	f := h.formOf(p, p.Label, strconv.Itoa(store.DefaultSyncInterval), url.Values{}, nil)
	return render(c, http.StatusOK, views.IntegrationFormPage(h.page(c, "Add "+p.Label, "integrations"), f, nil))
}

// readForm splits the posted provider fields into plain config and secrets and checks them.
func readForm(p connector.Provider, form url.Values, keepSecrets bool) (store.IntegrationInput, views.FormErrors) {
	in := store.IntegrationInput{Provider: p.Name, Name: strings.TrimSpace(form.Get("name")),
		IntervalMinutes: strings.TrimSpace(form.Get("interval_minutes")), Config: map[string]string{}, Secrets: map[string]string{}}
	values := map[string]string{}
	for _, f := range p.Fields {
		v := strings.TrimSpace(form.Get(f.Name))
		values[f.Name] = v
		if f.Secret {
			in.Secrets[f.Name] = v
		} else {
			in.Config[f.Name] = v
		}
	}
	if in.Name == "" {
		in.Name = p.Label
	}
	errs := views.FormErrors{}
	if fe, ok := formErrors(in.Check()); ok {
		errs = fe
	}
	for k, m := range p.CheckFields(values, keepSecrets) {
		if _, seen := errs[k]; !seen {
			errs[k] = m
		}
	}
	return in, errs
}

func (h *integrationPages) create(c echo.Context) error {
	v := viewerOf(c)
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	p, ok := h.reg.Lookup(form.Get("provider"))
	if !ok {
		f := views.IntegrationForm{Providers: h.providerOptions()}
		return render(c, http.StatusUnprocessableEntity, views.IntegrationFormPage(h.page(c, "Add an integration", "integrations"), f,
			views.FormErrors{"provider": "Choose one of the listed providers."}))
	}
	in, errs := readForm(p, form, false)
	if len(errs) == 0 {
		secret := generatedSecret(p, in.Secrets) // HoneyBook, Dubsado: shown once below
		created, err := h.db.CreateIntegration(c.Request().Context(), v.Org.ID, v.User.ID, h.keys, in)
		if fe, ok := formErrors(err); ok {
			errs = fe
		} else if err != nil {
			return err
		} else if secret != "" {
			return h.renderNewIntegrationSecret(c, created, secret)
		} else {
			h.flash(c, p.Label+" connected. Press Test connection, then Sync now; scheduled syncs start within a minute.")
			return redirect(c, "/integrations/"+created.PublicID)
		}
	}
	f := h.formOf(p, form.Get("name"), form.Get("interval_minutes"), form, nil)
	return render(c, http.StatusUnprocessableEntity, views.IntegrationFormPage(h.page(c, "Add "+p.Label, "integrations"), f, errs))
}

// editable loads the integration of the URL and its provider.
func (h *integrationPages) editable(c echo.Context) (store.Integration, connector.Provider, error) {
	in, err := h.db.Integration(c.Request().Context(), viewerOf(c).Org.ID, c.Param("id"))
	if err != nil {
		return in, connector.Provider{}, err
	}
	p, ok := h.reg.Lookup(in.Provider)
	if !ok {
		return in, p, echo.NewHTTPError(http.StatusConflict, "This build has no connector for "+in.Provider+"; it can only be deleted.")
	}
	return in, p, nil
}

func (h *integrationPages) editForm(c echo.Context) error {
	in, p, err := h.editable(c)
	if err != nil {
		return err
	}
	values := url.Values{}
	for k, v := range in.Config {
		values.Set(k, v)
	}
	f := h.formOf(p, in.Name, strconv.Itoa(in.IntervalMinutes), values, in.CredentialHints)
	f.PublicID = in.PublicID
	if p.Category == calendarCategory {
		if f.Mapping, err = h.mappingPreview(c, in, values); err != nil {
			return err
		}
	}
	return render(c, http.StatusOK, views.IntegrationFormPage(h.page(c, "Edit "+in.Name, "integrations"), f, nil))
}

func (h *integrationPages) update(c echo.Context) error {
	v := viewerOf(c)
	in, p, err := h.editable(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	input, errs := readForm(p, form, true)
	for k, val := range in.Config { // keep values set outside the form (api_base)
		if _, declared := input.Config[k]; !declared {
			input.Config[k] = val
		}
	}
	if len(errs) == 0 {
		err := h.db.UpdateIntegration(c.Request().Context(), v.Org.ID, v.User.ID, h.keys, in.PublicID, input)
		if fe, ok := formErrors(err); ok {
			errs = fe
		} else if err != nil {
			return err
		} else {
			n, err := h.reclassify(c, in, p, input.Config)
			if err != nil {
				return err
			}
			msg := "Saved."
			if n > 0 {
				msg += " " + strconv.Itoa(n) + " stored events were re-classified with the new rules."
			}
			h.flash(c, msg)
			return redirect(c, "/integrations/"+in.PublicID)
		}
	}
	f := h.formOf(p, form.Get("name"), form.Get("interval_minutes"), form, in.CredentialHints)
	f.PublicID = in.PublicID
	if p.Category == calendarCategory {
		if f.Mapping, err = h.mappingPreview(c, in, form); err != nil {
			return err
		}
	}
	return render(c, http.StatusUnprocessableEntity, views.IntegrationFormPage(h.page(c, "Edit "+in.Name, "integrations"), f, errs))
}

func (h *integrationPages) test(c echo.Context) error {
	v := viewerOf(c)
	in, err := h.db.Integration(c.Request().Context(), v.Org.ID, c.Param("id"))
	if err != nil {
		return err
	}
	j, err := h.jobsOf()
	if err != nil {
		return err
	}
	if err := j.RequestConnectionTest(c.Request().Context(), v.Org.ID, in.ID); err != nil {
		return err
	}
	if c.Request().Header.Get("HX-Request") != "" {
		return render(c, http.StatusOK, views.TestResult(views.TestResultView{State: "queued"}))
	}
	h.flash(c, "Testing the connection; the result appears on this page in a moment.")
	return redirect(c, "/integrations/"+in.PublicID)
}

func (h *integrationPages) syncNow(c echo.Context) error {
	v := viewerOf(c)
	in, err := h.db.Integration(c.Request().Context(), v.Org.ID, c.Param("id"))
	if err != nil {
		return err
	}
	if in.Status == store.IntegrationPaused {
		return echo.NewHTTPError(http.StatusConflict, "This integration is paused. Resume it to sync.")
	}
	j, err := h.jobsOf()
	if err != nil {
		return err
	}
	queued, err := j.RequestSync(c.Request().Context(), v.Org.ID, in.ID)
	if err != nil {
		return err
	}
	msg := "Sync queued; progress appears on this page."
	if !queued {
		msg = "A sync of this integration is already queued or running."
	}
	if c.Request().Header.Get("HX-Request") != "" {
		state := map[bool]string{true: "queued", false: "already"}[queued]
		return render(c, http.StatusOK, views.SyncProgress(views.SyncProgressView{State: state}))
	}
	h.flash(c, msg)
	return redirect(c, "/integrations/"+in.PublicID)
}

func (h *integrationPages) pause(c echo.Context) error {
	v := viewerOf(c)
	if err := h.db.PauseIntegration(c.Request().Context(), v.Org.ID, v.User.ID, c.Param("id")); err != nil {
		return err
	}
	h.flash(c, "Paused: no scheduled syncs and no webhooks until you resume.")
	return redirect(c, "/integrations/"+c.Param("id"))
}

func (h *integrationPages) resume(c echo.Context) error {
	v := viewerOf(c)
	if err := h.db.ResumeIntegration(c.Request().Context(), v.Org.ID, v.User.ID, c.Param("id")); err != nil {
		return err
	}
	h.flash(c, "Resumed: a sync catches up within a minute.")
	return redirect(c, "/integrations/"+c.Param("id"))
}

func (h *integrationPages) confirmDelete(c echo.Context) error {
	in, err := h.db.Integration(c.Request().Context(), viewerOf(c).Org.ID, c.Param("id"))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.IntegrationDeletePage(h.page(c, "Delete "+in.Name, "integrations"), in.Name, h.reg.Label(in.Provider), in.PublicID))
}

func (h *integrationPages) delete(c echo.Context) error {
	v := viewerOf(c)
	if err := h.db.DeleteIntegration(c.Request().Context(), v.Org.ID, v.User.ID, c.Param("id")); err != nil {
		return err
	}
	h.flash(c, "Integration deleted.")
	return redirect(c, "/integrations")
}

// calendarCategory is the provider category whose integrations have mapping rules (calmap).
const calendarCategory = "Calendars"

// mappingPreview builds the preview of an integration's stored events under the rules in
// values (the typed form, or the stored config).
func (h *integrationPages) mappingPreview(c echo.Context, in store.Integration, values url.Values) (*views.MappingPreview, error) {
	v := viewerOf(c)
	now := h.db.Now()
	events, err := h.db.CalendarPreview(c.Request().Context(), v.Org.ID, in.ID, now)
	if err != nil {
		return nil, err
	}
	rules := map[string]string{calmap.WeddingKey: values.Get(calmap.WeddingKey), calmap.ConsultationKey: values.Get(calmap.ConsultationKey)}
	m := &views.MappingPreview{URL: "/integrations/" + in.PublicID + "/preview", Errors: views.FormErrors{}}
	for k, msg := range calmap.Validate(rules) {
		m.Errors[k] = msg
	}
	classify := calmap.FromConfig(rules).Classify
	loc := v.Org.Location()
	for _, e := range events {
		r := views.MappingRow{Title: e.Title, Current: e.Kind, Upcoming: !e.StartsAt.Before(now), Cancelled: e.Status == "cancelled"}
		if e.AllDay {
			r.When = e.StartsAt.In(loc).Format("Mon 2 Jan 2006") + ", all day"
		} else {
			r.When = e.StartsAt.In(loc).Format("Mon 2 Jan 2006, 15:04")
		}
		if len(m.Errors) == 0 {
			r.Proposed = classify(e.Title)
			if r.Proposed != r.Current {
				m.Changes++
			}
		}
		m.Rows = append(m.Rows, r)
	}
	return m, nil
}

// previewMapping answers the form's preview request (htmx, as the admin types) with the preview's
// body. It changes nothing; being a POST, it is CSRF-checked like any other.
func (h *integrationPages) previewMapping(c echo.Context) error {
	in, p, err := h.editable(c)
	if err != nil {
		return err
	}
	if p.Category != calendarCategory {
		return echo.NewHTTPError(http.StatusNotFound, "This integration has no event mapping.")
	}
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	m, err := h.mappingPreview(c, in, form)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.MappingPreviewBody(*m))
}

// reclassify applies saved mapping rules to the integration's stored events when they changed,
// linking new wedding events to bookings as a sync would; the write queues a recompute.
func (h *integrationPages) reclassify(c echo.Context, in store.Integration, p connector.Provider, saved map[string]string) (int, error) {
	if p.Category != calendarCategory || (saved[calmap.WeddingKey] == in.Config[calmap.WeddingKey] &&
		saved[calmap.ConsultationKey] == in.Config[calmap.ConsultationKey]) {
		return 0, nil
	}
	return h.db.ReclassifyCalendarEvents(c.Request().Context(), viewerOf(c).Org.ID, in.ID, calmap.FromConfig(saved).Classify, jobs.MatchWeddingBooking)
}
