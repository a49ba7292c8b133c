package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/secret"
	"github.com/wedsync/wedsync/store/storetest"
)

// evaluate computes a snapshot at now and evaluates the rules against it, queuing nothing.
func evaluate(t *testing.T, env *storetest.Env, org int64, now time.Time, queued *[]store.QueuedDelivery) store.EvalResult {
	t.Helper()
	ctx := context.Background()
	k, err := env.DB.ComputeKPIs(ctx, org, now)
	require.NoError(t, err)
	opts := store.AlertOptions{Now: now, EscalateAfter: 15 * time.Minute}
	if queued != nil {
		opts.Enqueue = func(_ context.Context, _ pgx.Tx, ds []store.QueuedDelivery) error {
			*queued = append(*queued, ds...)
			return nil
		}
	}
	res, err := env.DB.EvaluateAlerts(ctx, org, &store.Snapshot{OrgID: org, Version: 1, KPIs: k}, opts, true)
	require.NoError(t, err)
	return res
}

// TestAlertDedupeAndAutoResolve: an unanswered inquiry raises one alert; evaluating again only
// raises its count and last-seen time; answering it resolves the alert by the system; the same
// condition later is a new alert. Another organization sees none of it.
func TestAlertDedupeAndAutoResolve(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, _ := env.NewOrg(t, "Dedupe Studio", "Europe/London", "GBP")
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	var inq int64
	require.NoError(t, env.Admin.QueryRow(ctx, `insert into inquiries (org_id, source, received_at, currency) values ($1, 'website', $2, 'GBP')
		returning id`, org, now.Add(-30*time.Hour)).Scan(&inq))

	res := evaluate(t, env, org, now, nil)
	require.Equal(t, 1, res.Raised)
	later := now.Add(10 * time.Minute)
	res = evaluate(t, env, org, later, nil)
	require.Equal(t, store.EvalResult{Repeated: 1}, res)
	alerts, err := env.DB.ActiveAlerts(ctx, org, 10)
	require.NoError(t, err)
	require.Len(t, alerts, 1)
	a := alerts[0]
	require.Equal(t, 2, a.Count)
	require.True(t, a.LastSeenAt.Equal(later))
	require.True(t, a.FirstSeenAt.Equal(now))
	require.Equal(t, store.RuleUnansweredInquiry, a.Kind)
	require.Equal(t, store.SeverityMedium, a.Severity)
	n, err := env.DB.UnreadAlertCount(ctx, org)
	require.NoError(t, err)
	require.Equal(t, 1, n)

	orgB, _ := env.NewOrg(t, "Other", "UTC", "USD")
	other, err := env.DB.ActiveAlerts(ctx, orgB, 10)
	require.NoError(t, err)
	require.Empty(t, other)
	_, err = env.DB.Alert(ctx, orgB, a.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, env.DB.AcknowledgeAlert(ctx, orgB, 0, a.ID), store.ErrNotFound)

	_, err = env.Admin.Exec(ctx, `update inquiries set first_response_at = $2 where id = $1`, inq, later)
	require.NoError(t, err)
	res = evaluate(t, env, org, later.Add(time.Minute), nil)
	require.Equal(t, 1, res.Resolved)
	a, err = env.DB.Alert(ctx, org, a.ID)
	require.NoError(t, err)
	require.Equal(t, "resolved", a.Status)
	require.Equal(t, "system", a.ResolvedBy)
	events, err := env.DB.AlertEvents(ctx, org, a.ID)
	require.NoError(t, err)
	require.Len(t, events, 2)
	require.Equal(t, "resolved", events[1].Action)
	require.Equal(t, "system", events[1].Who)

	_, err = env.Admin.Exec(ctx, `update inquiries set first_response_at = null where id = $1`, inq)
	require.NoError(t, err)
	require.Equal(t, 1, evaluate(t, env, org, later.Add(2*time.Minute), nil).Raised, "a recurrence is a new alert")

	// Disabling the rule resolves its open alerts.
	r, err := env.DB.RuleOfKind(ctx, org, store.RuleUnansweredInquiry)
	require.NoError(t, err)
	r.Enabled = false
	require.NoError(t, env.DB.UpdateAlertRule(ctx, org, 0, r))
	require.Equal(t, 1, evaluate(t, env, org, later.Add(3*time.Minute), nil).Resolved)
}

// TestAlertDeliveriesFollowChannels: each enabled channel whose minimum severity the alert
// reaches gets a delivery (one per SMS number); quiet hours defer all but EMERGENCY.
func TestAlertDeliveriesFollowChannels(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, owner := env.NewOrg(t, "Channel Studio", "Europe/London", "GBP")
	require.NoError(t, env.DB.EnsureAlertDefaults(ctx, org))
	mk := func(in store.ChannelInput) {
		in.Enabled = true
		_, _, err := env.DB.CreateChannel(ctx, org, owner, keyring(t), in)
		require.NoError(t, err)
	}
	mk(store.ChannelInput{Kind: store.ChannelEmail, Name: "Inbox", Target: "a@example.test", MinSeverity: store.SeverityHigh})
	mk(store.ChannelInput{Kind: store.ChannelEmail, Name: "Critical only", Target: "b@example.test", MinSeverity: store.SeverityCritical})
	mk(store.ChannelInput{Kind: store.ChannelSMS, Name: "Phones", Target: "+447700900001, +447700900002", MinSeverity: store.SeverityLow,
		QuietStart: "22:00", QuietEnd: "07:00"})
	// 23:30 in London: inside the quiet hours.
	now := time.Date(2026, 6, 1, 22, 30, 0, 0, time.UTC)
	_, err := env.Admin.Exec(ctx, `insert into reviews (org_id, rating, received_at) values ($1, 1, $2)`, org, now.Add(-time.Hour))
	require.NoError(t, err)
	var queued []store.QueuedDelivery
	require.Equal(t, 1, evaluate(t, env, org, now, &queued).Raised)
	dels, err := env.DB.RecentDeliveries(ctx, org, 10)
	require.NoError(t, err)
	kinds := map[store.ChannelKind]int{}
	for _, d := range dels {
		kinds[d.Kind]++
		require.Equal(t, store.SeverityHigh, d.Severity)
	}
	require.Equal(t, map[store.ChannelKind]int{store.ChannelInApp: 1, store.ChannelEmail: 1, store.ChannelSMS: 2}, kinds)
	require.Len(t, queued, 3, "in-app is sent at once; email and two SMS are queued")
	var deferred int
	for _, q := range queued {
		if q.Delay > 0 {
			deferred++
			require.Equal(t, 30*time.Minute+7*time.Hour, q.Delay, "until 07:00 local")
		}
	}
	require.Equal(t, 2, deferred, "the SMS channel is in its quiet hours")
}

// TestRateLimitClaimsAndDigest: past the standard budget a claim records rate_limited; the digest
// waits for the window to reopen, then summarizes every held delivery once. EMERGENCY has its
// own budget.
func TestRateLimitClaimsAndDigest(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, owner := env.NewOrg(t, "Limit Studio", "UTC", "GBP")
	require.NoError(t, env.DB.EnsureAlertDefaults(ctx, org))
	_, _, err := env.DB.CreateChannel(ctx, org, owner, keyring(t), store.ChannelInput{Kind: store.ChannelEmail, Name: "Inbox",
		Target: "a@example.test", MinSeverity: store.SeverityLow, Enabled: true})
	require.NoError(t, err)
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for i := range 5 {
		_, err := env.Admin.Exec(ctx, `insert into reviews (org_id, rating, received_at) values ($1, 1, $2)`, org, now.Add(-time.Duration(i)*time.Minute))
		require.NoError(t, err)
	}
	var queued []store.QueuedDelivery
	require.Equal(t, 5, evaluate(t, env, org, now, &queued).Raised)
	lim := store.RateLimits{Window: time.Hour, Standard: 3, Emergency: 1}
	actions := map[store.ClaimAction]int{}
	for _, q := range queued {
		cl, err := env.DB.ClaimDelivery(ctx, org, q.ID, now, lim)
		require.NoError(t, err)
		actions[cl.Action]++
		if cl.Action == store.ClaimSend {
			require.NotNil(t, cl.Alert)
			require.NotNil(t, cl.Channel)
			require.NoError(t, env.DB.DeliverySent(ctx, org, q.ID, now))
		}
	}
	require.Equal(t, map[store.ClaimAction]int{store.ClaimSend: 3, store.ClaimDone: 2}, actions)
	cl, err := env.DB.ClaimDelivery(ctx, org, queued[0].ID, now, lim)
	require.NoError(t, err)
	require.Equal(t, store.ClaimDone, cl.Action, "a sent delivery is never claimed again")

	held, err := env.DB.HeldOrgs(ctx)
	require.NoError(t, err)
	require.Contains(t, held, org)
	made, err := env.DB.BuildDigests(ctx, org, now.Add(30*time.Minute), lim, nil)
	require.NoError(t, err)
	require.Zero(t, made, "the window has not reopened")
	made, err = env.DB.BuildDigests(ctx, org, now.Add(61*time.Minute), lim, nil)
	require.NoError(t, err)
	require.Equal(t, 1, made)
	made, err = env.DB.BuildDigests(ctx, org, now.Add(62*time.Minute), lim, nil)
	require.NoError(t, err)
	require.Zero(t, made, "each held delivery is summarized once")
	dels, err := env.DB.RecentDeliveries(ctx, org, 1)
	require.NoError(t, err)
	require.Equal(t, "digest", dels[0].Purpose)
	dg, err := dels[0].Digest()
	require.NoError(t, err)
	require.Equal(t, 2, dg.Held)
	require.Len(t, dg.Items, 2)
}

// TestAlertFormsValidate covers the rule and channel validation messages.
func TestAlertFormsValidate(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, owner := env.NewOrg(t, "Valid Studio", "UTC", "GBP")
	fields := func(err error) map[string]string {
		var ve *store.ValidationError
		require.True(t, errors.As(err, &ve), "got %v", err)
		return ve.Fields
	}
	_, err := env.DB.CreateAlertRule(ctx, org, owner, store.Rule{Kind: store.RuleSyncFailure, Severity: store.SeverityHigh,
		Params: store.RuleParams{Failures: 0, Hours: 9999}})
	require.Contains(t, fields(err), "failures")
	require.Contains(t, fields(err), "hours")
	_, err = env.DB.CreateAlertRule(ctx, org, owner, store.Rule{Kind: "nope", Severity: 9})
	require.Contains(t, fields(err), "kind")
	require.Contains(t, fields(err), "severity")
	_, _, err = env.DB.CreateChannel(ctx, org, owner, keyring(t), store.ChannelInput{Kind: store.ChannelSMS, Name: "x",
		Target: "+447700900001", MinSeverity: store.SeverityLow, TwilioSID: "AC" + "0123456789abcdef0123456789abcdef"})
	require.Contains(t, fields(err), "twilio_from")
	require.Contains(t, fields(err), "secret")
	require.ErrorContains(t, env.DB.SetMemberPhone(ctx, org, owner, "0770"), "international form")
}

// TestQuietUntil covers quiet hours that wrap past midnight and that do not.
func TestQuietUntil(t *testing.T) {
	t.Parallel()
	loc, _ := time.LoadLocation("America/New_York")
	at := func(h, m int) time.Time { return time.Date(2026, 1, 10, h, m, 0, 0, loc) }
	end, ok := store.QuietUntil(at(23, 0), loc, "22:00", "07:00")
	require.True(t, ok)
	require.Equal(t, time.Date(2026, 1, 11, 7, 0, 0, 0, loc), end)
	end, ok = store.QuietUntil(at(3, 0), loc, "22:00", "07:00")
	require.True(t, ok)
	require.Equal(t, at(7, 0), end)
	_, ok = store.QuietUntil(at(7, 0), loc, "22:00", "07:00")
	require.False(t, ok)
	_, ok = store.QuietUntil(at(12, 0), loc, "13:00", "14:00")
	require.False(t, ok)
	end, ok = store.QuietUntil(at(13, 30), loc, "13:00", "14:00")
	require.True(t, ok)
	require.Equal(t, at(14, 0), end)
	_, ok = store.QuietUntil(at(13, 30), loc, "", "")
	require.False(t, ok)
}

func keyring(t *testing.T) *secret.Keyring {
	t.Helper()
	k, err := secret.Parse(secret.Generate("t1"))
	require.NoError(t, err)
	return k
}

// TestWeddingDayCalendarConflict: two wedding events in a connected calendar on one day, with
// capacity for one and no booking at all, raise the wedding-day conflict alert as an EMERGENCY;
// with one of them cancelled there is no conflict and the alert resolves.
func TestWeddingDayCalendarConflict(t *testing.T) {
	t.Parallel()
	env := storetest.New(t)
	ctx := context.Background()
	org, _ := env.NewOrg(t, "Calendar Studio", "America/New_York", "USD")
	now := time.Date(2026, 6, 6, 14, 0, 0, 0, time.UTC) // Sat 6 Jun, 10:00 in New York
	var integ int64
	require.NoError(t, env.Admin.QueryRow(ctx, `insert into integrations (org_id, public_id, provider, name, credentials, config, next_run_at)
		values ($1, 'cal-conflict-1', 'ical', 'Studio calendar', '{}', '{}', now() + interval '1 day') returning id`, org).Scan(&integ))
	// 23:30 New York on the 6th is already the 7th in UTC: it still counts for the 6th.
	for i, at := range []time.Time{now.Add(2 * time.Hour), time.Date(2026, 6, 7, 3, 30, 0, 0, time.UTC)} {
		_, err := env.Admin.Exec(ctx, `insert into calendar_events (org_id, integration_id, external_id, title, starts_at, ends_at, kind)
			values ($1, $2, $3, 'Wedding', $4, $5, 'wedding')`, org, integ, "ev"+string(rune('a'+i)), at, at.Add(6*time.Hour))
		require.NoError(t, err)
	}
	// A wedding event of the next local day does not count.
	_, err := env.Admin.Exec(ctx, `insert into calendar_events (org_id, integration_id, external_id, title, starts_at, ends_at, kind)
		values ($1, $2, 'evz', 'Wedding', '2026-06-07 14:00Z', '2026-06-07 20:00Z', 'wedding')`, org, integ)
	require.NoError(t, err)

	require.Equal(t, 1, evaluate(t, env, org, now, nil).Raised)
	alerts, err := env.DB.ActiveAlerts(ctx, org, 10)
	require.NoError(t, err)
	require.Len(t, alerts, 1)
	require.Equal(t, store.RuleWeddingDay, alerts[0].Kind)
	require.Equal(t, store.SeverityEmergency, alerts[0].Severity)
	require.Equal(t, "Calendar conflict today: 2 weddings for 1 slot(s)", alerts[0].Title)

	_, err = env.Admin.Exec(ctx, `update calendar_events set status = 'cancelled' where external_id = 'evb'`)
	require.NoError(t, err)
	require.Equal(t, 1, evaluate(t, env, org, now.Add(time.Minute), nil).Resolved)
}
