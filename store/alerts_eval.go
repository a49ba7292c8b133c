package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Finding is one condition a rule sees right now. Its dedupe key is the rule and the subject.
type Finding struct {
	RuleID     int64
	Kind       RuleKind
	Subject    string
	Severity   Severity
	Title      string
	Body       string
	Link       string
	WeddingDay bool
}

// DedupeKey is "<rule id>:<subject>".
func (f Finding) DedupeKey() string { return strconv.FormatInt(f.RuleID, 10) + ":" + f.Subject }

// sight is what evaluating one rule saw: its findings, and subjects whose state is unknown
// (a paused integration), whose open alerts must be left alone rather than resolved.
type sight struct {
	findings []Finding
	keep     []string
}

// unansweredHorizon bounds how far back unanswered inquiries are looked for.
const unansweredHorizon = 90 * 24 * time.Hour

// lowReviewHorizon bounds how far back low reviews raise alerts.
const lowReviewHorizon = 30 * 24 * time.Hour

// calendarProviders are the providers whose integrations are calendars (an integration that has
// written calendar events counts too).
var calendarProviders = []string{"google", "google_calendar", "gcal", "outlook", "microsoft", "graph", "calendly", "ical", "icalendar"}

// evaluateRule computes a rule's findings from the snapshot and the current data.
func evaluateRule(ctx context.Context, tx pgx.Tx, orgID int64, r Rule, k *KPIs, now time.Time) (sight, error) {
	var s sight
	add := func(subject, title, body, link string, sev Severity, wd bool) {
		s.findings = append(s.findings, Finding{RuleID: r.ID, Kind: r.Kind, Subject: subject, Severity: sev,
			Title: clip(title, 300), Body: clip(body, 4000), Link: link, WeddingDay: wd})
	}
	p := r.Params
	today, _ := time.Parse("2006-01-02", k.Today)
	switch r.Kind {
	case RuleRevenueDrop:
		lo, ly := now.Add(-time.Duration(p.Days)*24*time.Hour), now.AddDate(-1, 0, 0)
		var cur, prev int64
		err := tx.QueryRow(ctx, `select
			coalesce(sum(amount - refunded_amount) filter (where paid_at >= $2 and paid_at < $3), 0)::bigint,
			coalesce(sum(amount - refunded_amount) filter (where paid_at >= $4 and paid_at < $5), 0)::bigint
			from payments where org_id = $1 and currency = $6::bpchar and status in `+netStatuses+`
			and ((paid_at >= $2 and paid_at < $3) or (paid_at >= $4 and paid_at < $5))`,
			orgID, lo, now, lo.AddDate(-1, 0, 0), ly, k.Currency).Scan(&cur, &prev)
		if err != nil {
			return s, fmt.Errorf("revenue_drop: %w", err)
		}
		if prev > 0 && (prev-cur)*100 >= int64(p.DropPct)*prev {
			pct := (prev - cur) * 100 / prev
			add("revenue", fmt.Sprintf("Revenue is down %d%% on last year (last %d days)", pct, p.Days),
				fmt.Sprintf("%s in the last %d days, against %s in the same days last year.",
					FormatMoney(cur, k.Currency), p.Days, FormatMoney(prev, k.Currency)), "/dashboard", r.Severity, false)
		}
	case RuleCapacity:
		capacity := max(k.DailyCapacity, 1)
		type month struct{ used, slots int }
		months, order := map[string]*month{}, []string{}
		for _, d := range k.CapacityCalendar {
			day := fmtDate(d.Date)
			switch {
			case d.Bookings > capacity:
				add("date:"+d.Date, fmt.Sprintf("Double-booked: %d bookings on %s", d.Bookings, day),
					fmt.Sprintf("%s has %d counting bookings and you take %d a day.", day, d.Bookings, capacity),
					"/records/bookings", r.Severity, false)
			case p.FullDates && d.Bookings == capacity:
				add("date:"+d.Date, "Fully booked on "+day,
					fmt.Sprintf("%s has reached your capacity of %d.", day, capacity), "/records/bookings", r.Severity, false)
			}
			if !d.IsWeddingDay {
				continue
			}
			m := months[d.Date[:7]]
			if m == nil {
				m = &month{}
				months[d.Date[:7]] = m
				order = append(order, d.Date[:7])
			}
			m.used += min(d.Bookings, capacity)
			m.slots += capacity
		}
		for _, ym := range order {
			m := months[ym]
			if p.MonthPct > 0 && m.slots > 0 && m.used*100 >= p.MonthPct*m.slots {
				t, _ := time.Parse("2006-01", ym)
				add("month:"+ym, fmt.Sprintf("%s is %d%% booked", t.Format("January 2006"), m.used*100/m.slots),
					fmt.Sprintf("%d of %d wedding-day slots left in %s are taken.", m.used, m.slots, t.Format("January 2006")),
					"/dashboard", r.Severity, false)
			}
		}
	case RuleOverduePayment:
		rows, err := tx.Query(ctx, `select i.id, i.number, i.due_date, i.amount - i.amount_paid, b.currency,
			coalesce(nullif(c.name, ''), nullif(b.title, ''), 'a client')
			from invoices i join bookings b on b.id = i.booking_id left join clients c on c.id = b.client_id
			where i.org_id = $1 and i.status = 'open' and i.amount > i.amount_paid and i.due_date <= $2::date - $3::int
			order by i.due_date, i.id`, orgID, today, p.Days)
		if err != nil {
			return s, fmt.Errorf("overdue_payment: %w", err)
		}
		var id, owed int64
		var number, cur, who string
		var due time.Time
		_, err = pgx.ForEachRow(rows, []any{&id, &number, &due, &owed, &cur, &who}, func() error {
			days := int(today.Sub(due).Hours() / 24)
			label := "An invoice"
			if number != "" {
				label = "Invoice " + number
			}
			add("invoice:"+strconv.FormatInt(id, 10), fmt.Sprintf("%s for %s is %d days overdue", label, who, days),
				fmt.Sprintf("%s is still owed; it was due on %s.", FormatMoney(owed, cur), fmtDate(due.Format("2006-01-02"))),
				"/records/invoices/"+strconv.FormatInt(id, 10), r.Severity, false)
			return nil
		})
		if err != nil {
			return s, fmt.Errorf("overdue_payment: %w", err)
		}
	case RuleUnansweredInquiry:
		rows, err := tx.Query(ctx, `select i.id, i.source, i.received_at, coalesce(c.name, '')
			from inquiries i left join clients c on c.id = i.client_id
			where i.org_id = $1 and i.first_response_at is null and i.status not in ('booked', 'lost')
			and i.received_at <= $2 and i.received_at > $3 order by i.received_at, i.id`,
			orgID, now.Add(-time.Duration(p.Hours)*time.Hour), now.Add(-unansweredHorizon))
		if err != nil {
			return s, fmt.Errorf("unanswered_inquiry: %w", err)
		}
		var id int64
		var source, who string
		var at time.Time
		_, err = pgx.ForEachRow(rows, []any{&id, &source, &at, &who}, func() error {
			if who == "" {
				who = "a new lead"
			}
			hours := int(now.Sub(at).Hours())
			add("inquiry:"+strconv.FormatInt(id, 10), fmt.Sprintf("Inquiry from %s unanswered for %d hours", who, hours),
				fmt.Sprintf("It came in through %s and nobody has replied yet.", source),
				"/records/inquiries/"+strconv.FormatInt(id, 10), r.Severity, false)
			return nil
		})
		if err != nil {
			return s, fmt.Errorf("unanswered_inquiry: %w", err)
		}
	case RuleLowReview:
		rows, err := tx.Query(ctx, `select r.id, r.rating, r.source, left(r.body, 300), coalesce(c.name, '')
			from reviews r left join clients c on c.id = r.client_id
			where r.org_id = $1 and r.rating <= $2 and r.received_at > $3 order by r.received_at, r.id`,
			orgID, p.MaxRating, now.Add(-lowReviewHorizon))
		if err != nil {
			return s, fmt.Errorf("low_review: %w", err)
		}
		var id int64
		var rating int
		var source, body, who string
		_, err = pgx.ForEachRow(rows, []any{&id, &rating, &source, &body, &who}, func() error {
			from := ""
			if who != "" {
				from = " from " + who
			}
			add("review:"+strconv.FormatInt(id, 10), fmt.Sprintf("A %d-star review%s on %s", rating, from, source),
				body, "/records/reviews/"+strconv.FormatInt(id, 10), r.Severity, false)
			return nil
		})
		if err != nil {
			return s, fmt.Errorf("low_review: %w", err)
		}
	case RuleSyncFailure:
		return syncFailureSight(ctx, tx, orgID, r, now)
	case RuleWeddingDay:
		return weddingDaySight(ctx, tx, orgID, r, k)
	}
	return s, nil
}

func syncFailureSight(ctx context.Context, tx pgx.Tx, orgID int64, r Rule, now time.Time) (sight, error) {
	var s sight
	rows, err := tx.Query(ctx, `select id, public_id, provider, name, status, consecutive_failures,
		coalesce(last_success_at, created_at), last_success_at is null, last_error
		from integrations where org_id = $1 order by id`, orgID)
	if err != nil {
		return s, fmt.Errorf("sync_failure: %w", err)
	}
	var id int64
	var publicID, provider, name, status, lastErr string
	var failures int
	var since time.Time
	var never bool
	_, err = pgx.ForEachRow(rows, []any{&id, &publicID, &provider, &name, &status, &failures, &since, &never, &lastErr}, func() error {
		subject := "integration:" + strconv.FormatInt(id, 10)
		if status == "paused" {
			s.keep = append(s.keep, subject)
			return nil
		}
		label := integrationLabel(provider, name)
		var title string
		switch {
		case failures >= r.Params.Failures:
			title = fmt.Sprintf("%s sync failing: %d failures in a row", label, failures)
		case now.Sub(since) >= time.Duration(r.Params.Hours)*time.Hour:
			title = fmt.Sprintf("%s has not synced for %d hours", label, int(now.Sub(since).Hours()))
			if never {
				title = fmt.Sprintf("%s has never synced (connected %d hours ago)", label, int(now.Sub(since).Hours()))
			}
		default:
			return nil
		}
		body := "The last error: " + lastErr
		if lastErr == "" {
			body = "Check the integration's page for details."
		}
		s.findings = append(s.findings, Finding{RuleID: r.ID, Kind: r.Kind, Subject: subject, Severity: r.Severity,
			Title: clip(title, 300), Body: clip(body, 4000), Link: "/integrations/" + publicID})
		return nil
	})
	if err != nil {
		return s, fmt.Errorf("sync_failure: %w", err)
	}
	return s, nil
}

func integrationLabel(provider, name string) string {
	if name != "" {
		return name
	}
	if provider == "" {
		return "An integration"
	}
	return strings.ToUpper(provider[:1]) + provider[1:]
}

func weddingDaySight(ctx context.Context, tx pgx.Tx, orgID int64, r Rule, k *KPIs) (sight, error) {
	var s sight
	var todays []UpcomingWedding
	var ids []int64
	for _, u := range k.UpcomingWeddings {
		if u.Date == k.Today {
			todays = append(todays, u)
			ids = append(ids, u.BookingID)
		}
	}
	p, day := r.Params, k.Today
	// A day without a counting booking can still hold a conflict: weddings only in a calendar.
	if len(todays) == 0 && !p.WatchConflict {
		return s, nil
	}
	add := func(subject, title, body, link string, sev Severity) {
		s.findings = append(s.findings, Finding{RuleID: r.ID, Kind: r.Kind, Subject: "wedding:" + day + ":" + subject,
			Severity: sev, Title: clip(title, 300), Body: clip(body, 4000), Link: link, WeddingDay: true})
	}
	if p.WatchBalance {
		for _, u := range todays {
			if u.BalanceDue > 0 {
				add("balance:"+strconv.FormatInt(u.BookingID, 10),
					fmt.Sprintf("Wedding today: %s still owes %s", u.ClientName, FormatMoney(u.BalanceDue, u.Currency)),
					fmt.Sprintf("The balance of the %s contract is unpaid on the wedding day.", FormatMoney(u.ContractAmount, u.Currency)),
					"/records/bookings/"+strconv.FormatInt(u.BookingID, 10), r.Severity)
			}
		}
	}
	if p.WatchConflict {
		var extra int
		err := tx.QueryRow(ctx, `select count(*) from calendar_events e
			where e.org_id = $1 and e.kind = 'wedding' and e.status <> 'cancelled'
			and e.starts_at >= ($3::date)::timestamp at time zone $2
			and e.starts_at < ($3::date + 1)::timestamp at time zone $2
			and (e.booking_id is null or not (e.booking_id = any($4::bigint[])))`, orgID, k.Timezone, day, ids).Scan(&extra)
		if err != nil {
			return s, fmt.Errorf("wedding_day conflict: %w", err)
		}
		if n := len(todays) + extra; n > max(k.DailyCapacity, 1) {
			add("conflict", fmt.Sprintf("Calendar conflict today: %d weddings for %d slot(s)", n, max(k.DailyCapacity, 1)),
				fmt.Sprintf("%d counting bookings and %d other wedding calendar events fall on today.", len(todays), extra),
				"/records/bookings", SeverityEmergency)
		}
	}
	if len(todays) == 0 {
		return s, nil // the checks below are about a booked wedding today
	}
	if p.WatchCalendar {
		rows, err := tx.Query(ctx, `select i.id, i.public_id, i.provider, i.name, i.status, i.consecutive_failures
			from integrations i where i.org_id = $1
			and (i.status in ('failing', 'needs_reauth') or i.consecutive_failures >= 3)
			and (i.provider = any($2::text[]) or exists (select 1 from calendar_events e where e.integration_id = i.id))
			order by i.id`, orgID, calendarProviders)
		if err != nil {
			return s, fmt.Errorf("wedding_day calendar: %w", err)
		}
		var id int64
		var publicID, provider, name, status string
		var failures int
		_, err = pgx.ForEachRow(rows, []any{&id, &publicID, &provider, &name, &status, &failures}, func() error {
			add("calendar:"+strconv.FormatInt(id, 10),
				fmt.Sprintf("Wedding today and the %s calendar is not syncing", integrationLabel(provider, name)),
				fmt.Sprintf("Its status is %s after %d failed syncs: today's schedule may be out of date.", status, failures),
				"/integrations/"+publicID, r.Severity)
			return nil
		})
		if err != nil {
			return s, fmt.Errorf("wedding_day calendar: %w", err)
		}
	}
	if p.WatchOpenAlerts {
		var n int
		var titles string
		err := tx.QueryRow(ctx, `select count(*), coalesce(string_agg(title, '; ' order by severity desc, id), '')
			from alerts where status = 'open' and not wedding_day and severity >= $1`, SeverityHigh).Scan(&n, &titles)
		if err != nil {
			return s, fmt.Errorf("wedding_day open alerts: %w", err)
		}
		if n > 0 {
			add("open_alerts", fmt.Sprintf("Wedding today and %d alert(s) are still open", n), titles, "/alerts", r.Severity)
		}
	}
	return s, nil
}

// fmtDate renders "2026-06-06" as "Sat 6 Jun 2026".
func fmtDate(ymd string) string {
	t, err := time.Parse("2006-01-02", ymd)
	if err != nil {
		return ymd
	}
	return t.Format("Mon 2 Jan 2006")
}
