package handlers

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/views"
)

// alertRoutes registers the alert pages. Every member sees and handles alerts; rules and
// channels are for owners and admins. Handlers only write: deliveries are River jobs.
func (s *Server) alertRoutes(member, admin []echo.MiddlewareFunc) {
	e := s.echo
	e.GET("/alerts", s.alertsPage, member...)
	e.GET("/alerts/history", s.alertHistory, member...)
	e.GET("/alerts/bell", s.alertBell, member...)
	e.GET("/alerts/me", s.notificationSettings, member...)
	e.POST("/alerts/me", s.saveNotificationSettings, member...)
	e.GET("/alerts/rules", s.alertRules, admin...)
	e.GET("/alerts/rules/new", s.newAlertRule, admin...)
	e.POST("/alerts/rules", s.createAlertRule, admin...)
	e.GET("/alerts/rules/:id", s.editAlertRule, admin...)
	e.POST("/alerts/rules/:id", s.updateAlertRule, admin...)
	e.POST("/alerts/rules/:id/delete", s.deleteAlertRule, admin...)
	e.GET("/alerts/channels", s.alertChannels, admin...)
	e.GET("/alerts/channels/new", s.newAlertChannel, admin...)
	e.POST("/alerts/channels", s.createAlertChannel, admin...)
	e.GET("/alerts/channels/:id", s.editAlertChannel, admin...)
	e.POST("/alerts/channels/:id", s.updateAlertChannel, admin...)
	e.POST("/alerts/channels/:id/rotate", s.rotateAlertChannelSecret, admin...)
	e.POST("/alerts/channels/:id/delete", s.deleteAlertChannel, admin...)
	e.GET("/alerts/:id", s.alertDetail, member...)
	e.POST("/alerts/:id/acknowledge", s.acknowledgeAlert, member...)
	e.POST("/alerts/:id/snooze", s.snoozeAlert, member...)
	e.POST("/alerts/:id/resolve", s.resolveAlert, member...)
}

// alertTime formats a time in the organization's timezone.
func alertTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon 2 Jan 2006, 15:04")
}

func alertRow(a store.Alert, loc *time.Location) views.AlertRow {
	r := views.AlertRow{ID: a.ID, Severity: a.Severity.String(), Title: a.Title, Status: a.Status, Count: a.Count,
		FirstSeen: alertTime(a.FirstSeenAt, loc), LastSeen: alertTime(a.LastSeenAt, loc), WeddingDay: a.WeddingDay}
	if a.ResolvedAt != nil {
		r.Resolved, r.ResolvedBy = alertTime(*a.ResolvedAt, loc), a.ResolvedBy
	}
	return r
}

func (s *Server) alertsPage(c echo.Context) error {
	v := viewerOf(c)
	alerts, err := s.db.ActiveAlerts(c.Request().Context(), v.Org.ID, 200)
	if err != nil {
		return err
	}
	rows := make([]views.AlertRow, len(alerts))
	for i, a := range alerts {
		rows[i] = alertRow(a, v.Org.Location())
	}
	return render(c, http.StatusOK, views.AlertsPage(s.page(c, "Alerts", "alerts"), "open", rows, 1, false))
}

func (s *Server) alertHistory(c echo.Context) error {
	v := viewerOf(c)
	page, _ := strconv.Atoi(c.QueryParam("page"))
	page = max(page, 1)
	const per = 50
	alerts, err := s.db.AlertHistory(c.Request().Context(), v.Org.ID, per+1, (page-1)*per)
	if err != nil {
		return err
	}
	hasNext := len(alerts) > per
	if hasNext {
		alerts = alerts[:per]
	}
	rows := make([]views.AlertRow, len(alerts))
	for i, a := range alerts {
		rows[i] = alertRow(a, v.Org.Location())
	}
	return render(c, http.StatusOK, views.AlertsPage(s.page(c, "Alert history", "alerts"), "history", rows, page, hasNext))
}

// alertBell is the bell's count, loaded by the top bar.
func (s *Server) alertBell(c echo.Context) error {
	n, err := s.db.UnreadAlertCount(c.Request().Context(), viewerOf(c).Org.ID)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := views.AlertBell(n).Render(c.Request().Context(), &buf); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}

func alertIDParam(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, store.ErrNotFound
	}
	return id, nil
}

func (s *Server) alertDetail(c echo.Context) error {
	id, err := alertIDParam(c)
	if err != nil {
		return err
	}
	return s.renderAlert(c, http.StatusOK, id, "", "", nil)
}

func (s *Server) renderAlert(c echo.Context, status int, id int64, until, note string, errs views.FormErrors) error {
	v := viewerOf(c)
	ctx := c.Request().Context()
	a, err := s.db.Alert(ctx, v.Org.ID, id)
	if err != nil {
		return err
	}
	events, err := s.db.AlertEvents(ctx, v.Org.ID, id)
	if err != nil {
		return err
	}
	dels, err := s.db.AlertDeliveries(ctx, v.Org.ID, id)
	if err != nil {
		return err
	}
	loc := v.Org.Location()
	d := views.AlertDetail{AlertRow: alertRow(a, loc), Body: a.Body, Link: a.Link, RuleLabel: a.Kind.Label(),
		SnoozeUntil: until, SnoozeNoteForm: note}
	if d.SnoozeUntil == "" {
		d.SnoozeUntil = s.db.Now().In(loc).Add(time.Hour).Format("2006-01-02T15:04")
	}
	if a.AcknowledgedAt != nil {
		d.Acknowledged = alertTime(*a.AcknowledgedAt, loc) + " by " + a.AcknowledgedBy
	}
	if a.SnoozedUntil != nil && a.Status == "snoozed" {
		d.Snoozed = "until " + alertTime(*a.SnoozedUntil, loc) + " by " + a.SnoozedBy
		if a.SnoozeNote != "" {
			d.Snoozed += ": " + a.SnoozeNote
		}
	}
	if a.WeddingDay {
		d.Escalation = fmt.Sprintf("Level %d", a.EscalationLevel)
		if a.NextEscalationAt != nil {
			d.Escalation += ", next SMS escalation at " + alertTime(*a.NextEscalationAt, loc)
		}
	}
	for _, e := range events {
		d.Events = append(d.Events, views.AlertEventRow{At: alertTime(e.At, loc), Action: e.Action, Who: e.Who, Note: e.Note})
	}
	for _, dl := range dels {
		row := views.DeliveryRow{Channel: dl.ChannelName, Kind: string(dl.Kind), Target: maskTarget(dl.Kind, dl.Target),
			Purpose: dl.Purpose, Status: dl.Status, LastError: dl.LastError, Attempts: dl.Attempts, Created: alertTime(dl.CreatedAt, loc)}
		if row.Channel == "" {
			row.Channel = dl.Kind.Label()
		}
		if dl.Purpose == "escalation" {
			row.Purpose = fmt.Sprintf("escalation %d", dl.EscalationLevel)
		}
		if dl.SentAt != nil {
			row.Sent = alertTime(*dl.SentAt, loc)
		}
		d.Deliveries = append(d.Deliveries, row)
	}
	return render(c, status, views.AlertDetailPage(s.page(c, a.Title, "alerts"), d, errs))
}

// maskTarget hides a webhook URL's path and query, which often carry a secret token.
func maskTarget(kind store.ChannelKind, target string) string {
	if kind != store.ChannelWebhook {
		return target
	}
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return "webhook"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// alertAction runs an acknowledge or resolve and goes back to the alert.
func (s *Server) alertAction(c echo.Context, do func(orgID, userID, id int64) error, done string) error {
	v := viewerOf(c)
	id, err := alertIDParam(c)
	if err != nil {
		return err
	}
	err = do(v.Org.ID, v.User.ID, id)
	if errs, ok := formErrors(err); ok {
		return s.renderAlert(c, http.StatusUnprocessableEntity, id, "", "", errs)
	} else if err != nil {
		return err
	}
	s.flash(c, done)
	return redirect(c, "/alerts/"+strconv.FormatInt(id, 10))
}

func (s *Server) acknowledgeAlert(c echo.Context) error {
	return s.alertAction(c, func(org, user, id int64) error {
		return s.db.AcknowledgeAlert(c.Request().Context(), org, user, id)
	}, "Alert acknowledged.")
}

func (s *Server) resolveAlert(c echo.Context) error {
	return s.alertAction(c, func(org, user, id int64) error {
		return s.db.ResolveAlert(c.Request().Context(), org, user, id)
	}, "Alert resolved.")
}

func (s *Server) snoozeAlert(c echo.Context) error {
	v := viewerOf(c)
	id, err := alertIDParam(c)
	if err != nil {
		return err
	}
	untilText, note := strings.TrimSpace(c.FormValue("until")), c.FormValue("note")
	var until time.Time
	if untilText != "" {
		until, err = time.ParseInLocation("2006-01-02T15:04", untilText, v.Org.Location())
		if err != nil {
			return s.renderAlert(c, http.StatusUnprocessableEntity, id, untilText, note,
				views.FormErrors{"until": "Enter a date and time like 2026-06-06T18:00."})
		}
	}
	err = s.db.SnoozeAlert(c.Request().Context(), v.Org.ID, v.User.ID, id, until, note)
	if errs, ok := formErrors(err); ok {
		return s.renderAlert(c, http.StatusUnprocessableEntity, id, untilText, note, errs)
	} else if err != nil {
		return err
	}
	s.flash(c, "Alert snoozed until "+alertTime(until, v.Org.Location())+".")
	return redirect(c, "/alerts/"+strconv.FormatInt(id, 10))
}

func (s *Server) notificationSettings(c echo.Context) error {
	v := viewerOf(c)
	phone, err := s.db.MemberPhone(c.Request().Context(), v.Org.ID, v.User.ID)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, views.NotificationSettingsPage(s.page(c, "Your notification settings", "alerts"), phone, v.Role.CanAdmin(), nil))
}

func (s *Server) saveNotificationSettings(c echo.Context) error {
	v := viewerOf(c)
	phone := c.FormValue("phone")
	err := s.db.SetMemberPhone(c.Request().Context(), v.Org.ID, v.User.ID, phone)
	if errs, ok := formErrors(err); ok {
		return render(c, http.StatusUnprocessableEntity,
			views.NotificationSettingsPage(s.page(c, "Your notification settings", "alerts"), phone, v.Role.CanAdmin(), errs))
	} else if err != nil {
		return err
	}
	s.flash(c, "Notification settings saved.")
	return redirect(c, "/alerts/me")
}
