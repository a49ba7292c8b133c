package handlers_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/handlers/webtest"
	"github.com/wedsync/wedsync/store"
)

// lowReview writes a one-star review through the store (a regular write) and waits for its alert.
func lowReview(t *testing.T, app *webtest.App, orgID int64, body string) int64 {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, app.DB.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `insert into reviews (org_id, rating, body, source, received_at) values ($1, 1, $2, 'google', now())`, orgID, body)
		return err
	}))
	var id int64
	require.Eventually(t, func() bool {
		return app.Env.Admin.QueryRow(ctx, `select id from alerts where org_id = $1 and body = $2 and status <> 'resolved'`,
			orgID, body).Scan(&id) == nil
	}, 15*time.Second, 20*time.Millisecond, "the alert is raised")
	return id
}

func ruleID(t *testing.T, app *webtest.App, orgID int64, kind store.RuleKind) int64 {
	t.Helper()
	require.NoError(t, app.DB.EnsureAlertDefaults(context.Background(), orgID))
	var id int64
	require.NoError(t, app.Env.Admin.QueryRow(context.Background(), `select id from alert_rules where org_id = $1 and kind = $2
		order by id limit 1`, orgID, kind).Scan(&id))
	return id
}

// TestAlertRuleFormsValidateAndAuthorize: the defaults are listed; bad parameters come back
// inline with 422; a plain member gets 403 on rules and channels; another organization gets 404.
func TestAlertRuleFormsValidateAndAuthorize(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	owner := app.SignupOwner(t, "Rule Studio", "Europe/London", "GBP")
	p := owner.Get("/alerts/rules")
	require.Equal(t, http.StatusOK, p.Status)
	require.Equal(t, len(store.RuleKinds), p.Doc.Find(`[data-table="rules"] tbody tr`).Length())

	low := ruleID(t, app, owner.OrgID, store.RuleLowReview)
	path := fmt.Sprintf("/alerts/rules/%d", low)
	form := url.Values{"kind": {"low_review"}, "severity": {"HIGH"}, "max_rating": {"9"}, "enabled": {"1"}}
	p = owner.Post(path, form)
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	require.Equal(t, "Enter a rating from 1 to 4.", p.Text(`[data-error-for="max_rating"]`))
	form.Set("max_rating", "two")
	p = owner.Post(path, form)
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	require.Equal(t, "Enter a whole number.", p.Text(`[data-error-for="max_rating"]`))
	form.Set("max_rating", "3")
	form.Set("severity", "LOW")
	p = owner.Post(path, form)
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	r, err := app.DB.AlertRule(context.Background(), owner.OrgID, low)
	require.NoError(t, err)
	require.Equal(t, 3, r.Params.MaxRating)
	require.Equal(t, store.SeverityLow, r.Severity)

	wd := fmt.Sprintf("/alerts/rules/%d", ruleID(t, app, owner.OrgID, store.RuleWeddingDay))
	p = owner.Post(wd, url.Values{"kind": {"wedding_day"}, "severity": {"MEDIUM"}, "enabled": {"1"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	require.Contains(t, p.Text(`[data-error-for="severity"]`), "CRITICAL or EMERGENCY")
	require.Equal(t, "Choose at least one thing to watch.", p.Text(`[data-error-for="watch"]`))

	require.Equal(t, http.StatusOK, owner.Get("/alerts/rules/new?kind=revenue_drop").Status)
	p = owner.Post("/alerts/rules", url.Values{"kind": {"revenue_drop"}, "severity": {"HIGH"}, "days": {"3"}, "drop_pct": {"30"}, "enabled": {"1"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	require.Equal(t, "Enter a number of days from 7 to 365.", p.Text(`[data-error-for="days"]`))
	p = owner.Post("/alerts/rules", url.Values{"kind": {"revenue_drop"}, "name": {"Quarter"}, "severity": {"HIGH"}, "days": {"90"}, "drop_pct": {"30"}, "enabled": {"1"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	require.Contains(t, owner.Get("/alerts/rules").Body, "Quarter")

	member := app.AddMember(t, owner.OrgID, store.RoleMember)
	require.Equal(t, http.StatusForbidden, member.Get("/alerts/rules").Status)
	require.Equal(t, http.StatusForbidden, member.Get(path).Status)
	require.Equal(t, http.StatusForbidden, member.Post(path, form).Status)
	require.Equal(t, http.StatusForbidden, member.Get("/alerts/channels").Status)
	require.Equal(t, http.StatusForbidden, member.Post("/alerts/channels", url.Values{"kind": {"email"}}).Status)
	require.Equal(t, http.StatusOK, member.Get("/alerts").Status)

	other := app.SignupOwner(t, "Other Org", "UTC", "USD")
	require.Equal(t, http.StatusNotFound, other.Get(path).Status)
	require.Equal(t, http.StatusNotFound, other.Post(path, form).Status)
	require.Equal(t, http.StatusNotFound, other.Post(path+"/delete", nil).Status)
	r, err = app.DB.AlertRule(context.Background(), owner.OrgID, low)
	require.NoError(t, err)
	require.Equal(t, 3, r.Params.MaxRating, "another organization changed nothing")
}

// TestAlertChannelForms: a webhook channel's generated signing secret is shown once and stored
// sealed; invalid targets and quiet hours come back inline with 422.
func TestAlertChannelForms(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	owner := app.SignupOwner(t, "Channel Studio", "Europe/London", "GBP")
	p := owner.Get("/alerts/channels")
	require.Equal(t, http.StatusOK, p.Status)
	require.Equal(t, 1, p.Doc.Find(`[data-table="channels"] tr[data-kind="inapp"]`).Length(), "the default in-app channel")

	require.Equal(t, http.StatusOK, owner.Get("/alerts/channels/new?kind=webhook").Status)
	p = owner.Post("/alerts/channels", url.Values{"kind": {"webhook"}, "name": {"Zapier"}, "target": {"ftp://example.test"},
		"min_severity": {"HIGH"}, "enabled": {"1"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	require.NotEmpty(t, p.Text(`[data-error-for="target"]`))
	p = owner.Post("/alerts/channels", url.Values{"kind": {"webhook"}, "name": {"Zapier"}, "target": {"https://hooks.example.test/abc?token=s3cr3t"},
		"min_severity": {"HIGH"}, "enabled": {"1"}})
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	secret, ok := p.Doc.Find(`[data-signing-secret]`).Attr("value")
	require.True(t, ok)
	require.True(t, strings.HasPrefix(secret, "whsec_"))
	var id int64
	var sealed string
	require.NoError(t, app.Env.Admin.QueryRow(context.Background(), `select id, secret from channels where org_id = $1 and kind = 'webhook'`,
		owner.OrgID).Scan(&id, &sealed))
	require.NotContains(t, sealed, secret)
	p = owner.Get(fmt.Sprintf("/alerts/channels/%d", id))
	require.NotContains(t, p.Body, secret, "the secret is shown once")
	require.NotContains(t, owner.Get("/alerts/channels").Body, "s3cr3t", "webhook URLs are masked in lists")

	p = owner.Post(fmt.Sprintf("/alerts/channels/%d", id), url.Values{"name": {"Zapier"}, "target": {"https://hooks.example.test/abc"},
		"min_severity": {"HIGH"}, "quiet_start": {"22:00"}, "quiet_end": {""}, "enabled": {"1"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	require.NotEmpty(t, p.Text(`[data-error-for="quiet_end"]`))
	p = owner.Post("/alerts/channels", url.Values{"kind": {"email"}, "name": {"Inbox"}, "target": {"not-an-address"}, "min_severity": {"LOW"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	require.Contains(t, p.Text(`[data-error-for="target"]`), "not an email address")
	p = owner.Post("/alerts/channels", url.Values{"kind": {"sms"}, "name": {"Mobile"}, "target": {"07700 900123"}, "min_severity": {"LOW"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	require.Contains(t, p.Text(`[data-error-for="target"]`), "international form")
	p = owner.Post("/alerts/channels", url.Values{"kind": {"email"}, "name": {"Inbox"}, "target": {"studio@example.test"},
		"min_severity": {"MEDIUM"}, "quiet_start": {"22:00"}, "quiet_end": {"07:00"}, "enabled": {"1"}})
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)

	p = owner.Post("/alerts/me", url.Values{"phone": {"12345"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	require.NotEmpty(t, p.Text(`[data-error-for="phone"]`))
	require.Equal(t, http.StatusSeeOther, owner.Post("/alerts/me", url.Values{"phone": {"+44 7700 900123"}}).Status)
	phone, err := app.DB.MemberPhone(context.Background(), owner.OrgID, owner.UserID)
	require.NoError(t, err)
	require.Equal(t, "+447700900123", phone)
}

// TestAlertLifecycleThroughPages: an alert appears on the alerts page; another organization sees
// none of it (404); a member acknowledges, snoozes (validated) and resolves it, and the history
// records who did what.
func TestAlertLifecycleThroughPages(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	owner := app.SignupOwner(t, "Lifecycle Studio", "Europe/London", "GBP")
	id := lowReview(t, app, owner.OrgID, "Quibbled over every invoice")
	alertPath := fmt.Sprintf("/alerts/%d", id)
	p := owner.Get("/alerts")
	require.Equal(t, 1, p.Doc.Find(fmt.Sprintf(`tr[data-alert-id="%d"]`, id)).Length())

	other := app.SignupOwner(t, "Nosy Florals", "UTC", "USD")
	require.NotContains(t, other.Get("/alerts").Body, "1-star")
	require.Equal(t, http.StatusNotFound, other.Get(alertPath).Status)
	require.Equal(t, http.StatusNotFound, other.Post(alertPath+"/acknowledge", nil).Status)
	require.Equal(t, http.StatusNotFound, other.Post(alertPath+"/resolve", nil).Status)
	require.Equal(t, http.StatusNotFound, other.Post(alertPath+"/snooze", url.Values{"until": {"2099-01-01T10:00"}}).Status)

	member := app.AddMember(t, owner.OrgID, store.RoleMember)
	require.Equal(t, http.StatusSeeOther, member.Post(alertPath+"/acknowledge", nil).Status)
	p = owner.Get(alertPath)
	require.Equal(t, "acknowledged", p.Text(`[data-field="status"]`))
	require.Contains(t, p.Text(`[data-field="acknowledged"]`), "by Member")

	p = owner.Post(alertPath+"/snooze", url.Values{"until": {"2001-01-01T10:00"}, "note": {"later"}})
	require.Equal(t, http.StatusUnprocessableEntity, p.Status)
	require.Equal(t, "Choose a time in the future.", p.Text(`[data-error-for="until"]`))
	until := time.Now().In(mustLoc(t, "Europe/London")).Add(2 * time.Hour).Format("2006-01-02T15:04")
	require.Equal(t, http.StatusSeeOther, owner.Post(alertPath+"/snooze", url.Values{"until": {until}, "note": {"Calling them at 4"}}).Status)
	p = owner.Get(alertPath)
	require.Contains(t, p.Text(`[data-field="snoozed"]`), "Calling them at 4")

	require.Equal(t, http.StatusSeeOther, owner.Post(alertPath+"/resolve", nil).Status)
	p = owner.Get(alertPath)
	require.Equal(t, "resolved", p.Text(`[data-field="status"]`))
	require.Contains(t, p.Text(`[data-field="resolved"]`), "by Owner")
	var actions []string
	p.Doc.Find(`[data-list="events"] li`).Each(func(_ int, li *goquery.Selection) { actions = append(actions, li.AttrOr("data-action", "")) })
	require.Equal(t, []string{"raised", "acknowledged", "snoozed", "resolved"}, actions)
	require.Equal(t, 1, p.Doc.Find(`[data-table="deliveries"] tr[data-kind="inapp"]`).Length(), "the bell is in the delivery log")
	require.Equal(t, http.StatusUnprocessableEntity, owner.Post(alertPath+"/acknowledge", nil).Status, "a resolved alert stays resolved")
	require.Equal(t, 1, owner.Get("/alerts/history").Doc.Find(fmt.Sprintf(`tr[data-alert-id="%d"]`, id)).Length())
}

// TestAlertBellUpdatesLive reads a member's SSE stream: the first frame carries the bell (0),
// and a new alert sends an "alert-bell" event with the new count. A share link's stream never
// carries the bell.
func TestAlertBellUpdatesLive(t *testing.T) {
	t.Parallel()
	app := webtest.New(t)
	owner := app.SignupOwner(t, "Bell Studio", "Europe/London", "GBP")
	app.WaitForSnapshot(t, owner.OrgID)
	require.Contains(t, owner.Get("/alerts/bell").Body, `data-unread="0"`)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	events := openStream(t, ctx, owner.Client, app.URL+"/dashboard/stream")
	waitEvent(t, events, "alert-bell", `data-unread="0"`)
	lowReview(t, app, owner.OrgID, "The bell should ring")
	waitEvent(t, events, "alert-bell", `data-unread="1"`)
	require.Contains(t, owner.Get("/alerts/bell").Body, `data-unread="1"`)

	token, err := app.DB.CreateShareLink(context.Background(), owner.OrgID, owner.UserID, store.ShareLinkInput{Label: "Planner"})
	require.NoError(t, err)
	first := firstStreamFrame(t, app, app.Client(t), "/s/"+token+"/stream")
	require.NotContains(t, first, "alert-bell")
}

type sseEvent struct{ name, data string }

// openStream reads an SSE stream in the background and sends each event on the channel.
func openStream(t *testing.T, ctx context.Context, c *webtest.Client, u string) <-chan sseEvent {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	require.NoError(t, err)
	resp, err := c.HTTP.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	out := make(chan sseEvent, 256)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data += strings.TrimPrefix(line, "data: ") + "\n"
			case line == "":
				if ev.name != "" {
					out <- ev
				}
				ev = sseEvent{}
			}
		}
	}()
	return out
}

func waitEvent(t *testing.T, events <-chan sseEvent, name, contains string) {
	t.Helper()
	for ev := range events {
		if ev.name == name && strings.Contains(ev.data, contains) {
			return
		}
	}
	t.Fatalf("the stream ended without a %q event containing %q", name, contains)
}

func mustLoc(t *testing.T, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}
