package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/wedsync/wedsync/store"
	"github.com/wedsync/wedsync/store/secret"
)

// scaleTimezones spreads the organizations' local days (the refresh sweep compares them).
var scaleTimezones = []string{"America/New_York", "Europe/London", "Europe/Berlin", "America/Los_Angeles", "Australia/Sydney"}

// scaleSeed describes the tenant base of the scale benchmark.
type scaleSeed struct {
	orgs, perOrg int
	interval     time.Duration // every integration's schedule
	watched      int           // organizations with a dashboard open somewhere
}

// seedScale COPYs orgs organizations, their metric state and perOrg Stripe integrations each
// (sealed credentials of the fake's key, next runs spread evenly over one interval, as after
// days of running), and returns the ids of the first watched organizations.
func seedScale(ctx context.Context, admin *pgxpool.Pool, keys *secret.Keyring, stripeKey string, s scaleSeed, now time.Time) ([]int64, error) {
	orgIDs, err := copyIDs(ctx, admin, "organizations", []string{"name", "timezone", "currency"}, s.orgs, func(i int) []any {
		return []any{fmt.Sprintf("Scale Studio %d", i+1), scaleTimezones[i%len(scaleTimezones)], "USD"}
	})
	if err != nil {
		return nil, err
	}
	// Every organization had its first snapshot long ago and nothing changed since.
	if err := copyRows(ctx, admin, "org_metric_state", []string{"org_id", "change_seq", "computed_seq"}, s.orgs, func(i int) []any {
		return []any{orgIDs[i], int64(0), int64(0)}
	}); err != nil {
		return nil, err
	}
	var firstID int64
	if err := admin.QueryRow(ctx, "select nextval('integrations_id_seq')").Scan(&firstID); err != nil {
		return nil, err
	}
	n := s.orgs * s.perOrg
	rng := rand.New(rand.NewPCG(7, 11))
	creds := fmt.Sprintf(`{"secret_key":%q}`, stripeKey)
	var sealErr error
	err = copyRows(ctx, admin, "integrations", []string{"id", "org_id", "public_id", "provider", "name", "credentials",
		"interval_minutes", "next_run_at", "last_success_at"}, n, func(i int) []any {
		id := firstID + int64(i)
		sealed, err := keys.Seal([]byte(creds), store.CredentialsAAD(id))
		if err != nil {
			sealErr = err
		}
		next := now.Add(time.Duration(rng.Int64N(int64(s.interval))))
		return []any{id, orgIDs[i/s.perOrg], fmt.Sprintf("int_scale_%d", id), "stripe", fmt.Sprintf("Stripe %d", i%s.perOrg+1),
			sealed, int(s.interval / time.Minute), next, next.Add(-s.interval)}
	})
	if err != nil {
		return nil, err
	}
	if sealErr != nil {
		return nil, fmt.Errorf("seal credentials: %w", sealErr)
	}
	if _, err := admin.Exec(ctx, "select setval('integrations_id_seq', $1)", firstID+int64(n)); err != nil {
		return nil, err
	}
	if _, err := admin.Exec(ctx, "vacuum (analyze)"); err != nil {
		return nil, err
	}
	return orgIDs[:min(s.watched, len(orgIDs))], nil
}

// keepWatched does what the web instances' hubs do for organizations with open dashboards:
// mark them viewed every two minutes, so the refresh sweep keeps their snapshots fresh.
func keepWatched(ctx context.Context, db *store.DB, ids []int64) {
	t := time.NewTicker(2 * time.Minute)
	defer t.Stop()
	for {
		for _, id := range ids {
			if err := db.MarkViewed(ctx, id, time.Now()); err != nil && ctx.Err() == nil {
				fmt.Printf("mark viewed %d: %v\n", id, err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
