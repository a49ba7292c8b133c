package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/wedsync/wedsync/jobs"
	"github.com/wedsync/wedsync/jobs/channel/email"
	"github.com/wedsync/wedsync/jobs/channel/email/smtptest"
	"github.com/wedsync/wedsync/jobs/channel/webhook/webhooktest"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/secret"
)

// runAlertsBench is `wedsync-load alerts`: on a private throwaway cluster it runs the real job
// runner against real receivers in this process (an SMTP server and a signature-verifying
// webhook receiver), gives each of -orgs organizations an email and a webhook channel, and
// writes -per-org one-star reviews per organization, one every -every (by default 40 alerts
// and 80 notifications a second in all). Each review goes the
// whole way: write → recompute → rule evaluation → alert → deliver_notification jobs. It
// measures from the moment the alert was raised (its first_seen_at) to the webhook received
// and to the email accepted by the SMTP server. Per organization the default load stays
// within the 50-per-hour notification budget (two channels × 25 alerts), so nothing is held back.
func runAlertsBench(args []string) error {
	fs := flag.NewFlagSet("alerts", flag.ContinueOnError)
	orgs := fs.Int("orgs", 20, "organizations")
	perOrg := fs.Int("per-org", 25, "alerts per organization (two notifications each)")
	every := fs.Duration("every", 500*time.Millisecond, "pause between one organization's reviews")
	timeout := fs.Duration("timeout", 3*time.Minute, "give up waiting for deliveries after this")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	started := time.Now()
	bdb, err := startBenchDB(ctx, "wedsync_alerts_bench", benchDBOptions{MaxConnections: 200, AppConns: 40})
	if err != nil {
		return err
	}
	defer bdb.Close()
	admin, db := bdb.Admin, bdb.DB
	keys, err := secret.Parse(secret.Generate("bench1"))
	if err != nil {
		return err
	}
	smtpSrv, err := smtptest.New("bench@example.test", "bench-pass")
	if err != nil {
		return err
	}
	defer smtpSrv.Close()
	const hookSecret = "whsec_bench_0123456789abcdef"
	recv := webhooktest.New(hookSecret)
	defer recv.Close()

	runner, err := jobs.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)), jobs.Config{Work: true, Keys: keys,
		Alerts: jobs.AlertConfig{BaseURL: "https://bench.wedsync.test", AllowPrivateURLs: true, SMTP: email.Config{Host: smtpSrv.Host, Port: smtpSrv.Port,
			Username: "bench@example.test", Password: "bench-pass", From: "WedSync <alerts@bench.test>", TLS: "none"}}})
	if err != nil {
		return err
	}
	jobsCtx, stopJobs := context.WithCancel(ctx)
	defer stopJobs()
	if err := runner.Start(jobsCtx); err != nil {
		return err
	}
	defer func() {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = runner.Stop(c)
	}()

	ids := make([]int64, *orgs)
	for i := range ids {
		org, owner, err := db.Signup(ctx, store.SignupInput{OrgName: fmt.Sprintf("Bench Studio %d", i+1), Timezone: "Europe/London",
			Currency: "GBP", Email: fmt.Sprintf("owner%d@bench.test", i+1), Name: "Owner", Password: "correct-horse-battery"})
		if err != nil {
			return fmt.Errorf("signup: %w", err)
		}
		ids[i] = org
		for _, in := range []store.ChannelInput{
			{Kind: store.ChannelWebhook, Name: "Ops", Target: recv.URL, Secret: hookSecret, MinSeverity: store.SeverityLow, Enabled: true},
			{Kind: store.ChannelEmail, Name: "Inbox", Target: "studio@bench.test", MinSeverity: store.SeverityLow, Enabled: true},
		} {
			if _, _, err := db.CreateChannel(ctx, org, owner, keys, in); err != nil {
				return fmt.Errorf("channel: %w", err)
			}
		}
	}
	want := *orgs * *perOrg
	fmt.Printf("load: %d organizations × %d one-star reviews (one every %s each) → %d alerts, %d webhooks, %d emails\n",
		*orgs, *perOrg, *every, want, want, want)
	var wg sync.WaitGroup
	errs := make(chan error, len(ids))
	for _, org := range ids {
		wg.Add(1)
		go func(org int64) {
			defer wg.Done()
			for i := range *perOrg {
				err := db.WriteOrg(ctx, org, func(tx pgx.Tx) error {
					_, err := tx.Exec(ctx, `insert into reviews (org_id, rating, body, source, received_at) values ($1, 1, $2, 'google', now())`,
						org, fmt.Sprintf("Bench review %d", i))
					return err
				})
				if err != nil {
					errs <- err
					return
				}
				time.Sleep(*every)
			}
		}(org)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return err
	}
	okHook, okMail := recv.Wait(want, *timeout), smtpSrv.Wait(want, *timeout)
	time.Sleep(500 * time.Millisecond) // anything extra (a duplicate) would arrive now
	if !okHook || !okMail {
		return fmt.Errorf("only %d of %d webhooks and %d of %d emails arrived within %s", recv.Count(), want, len(smtpSrv.Messages()), want, *timeout)
	}

	raised, err := alertsBenchRaisedAt(ctx, admin)
	if err != nil {
		return err
	}
	var hook, mail []time.Duration
	for _, d := range recv.Accepted() {
		if at, ok := raised[d.ID]; ok {
			hook = append(hook, d.ReceivedAt.Sub(at))
		}
	}
	for _, m := range smtpSrv.Messages() {
		if at, ok := raised[m.Header.Get("X-WedSync-Delivery")]; ok {
			mail = append(mail, m.ReceivedAt.Sub(at))
		}
	}
	if len(hook) != want || len(mail) != want {
		return fmt.Errorf("matched %d webhooks and %d emails to their alerts, want %d each", len(hook), len(mail), want)
	}
	fmt.Printf("delivered: %d webhooks (%d duplicates, %d bad signatures), %d emails\n", recv.Count(), recv.Duplicates(), recv.BadSignatures(), len(smtpSrv.Messages()))
	fmt.Printf("RESULT alert_to_webhook_p50_ms %.1f ms\n", alertsBenchMS(alertsBenchPct(hook, 0.50)))
	fmt.Printf("RESULT alert_to_webhook_p99_ms %.1f ms\n", alertsBenchMS(alertsBenchPct(hook, 0.99)))
	fmt.Printf("RESULT alert_to_email_p50_ms %.1f ms\n", alertsBenchMS(alertsBenchPct(mail, 0.50)))
	fmt.Printf("RESULT alert_to_email_p99_ms %.1f ms\n", alertsBenchMS(alertsBenchPct(mail, 0.99)))
	fmt.Printf("total: %s\n", time.Since(started).Round(time.Second))
	return nil
}

// alertsBenchRaisedAt maps each delivery's idempotency key to its alert's first_seen_at.
func alertsBenchRaisedAt(ctx context.Context, admin *pgxpool.Pool) (map[string]time.Time, error) {
	rows, err := admin.Query(ctx, `select d.idempotency_key, a.first_seen_at from deliveries d join alerts a on a.id = d.alert_id
		where d.kind in ('webhook', 'email')`)
	if err != nil {
		return nil, err
	}
	out := map[string]time.Time{}
	var key string
	var at time.Time
	_, err = pgx.ForEachRow(rows, []any{&key, &at}, func() error { out[key] = at; return nil })
	return out, err
}

// alertsBenchPct is the nearest-rank percentile p (0 < p ≤ 1) of ds.
func alertsBenchPct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[max(int(math.Ceil(p*float64(len(s))))-1, 0)]
}

func alertsBenchMS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
