// Package demo creates the demo organization that `wedsync seed` and `wedsync serve --demo`
// show: a wedding photographer with about five years of believable, deterministic history.
//
// The history is generated in memory from a fixed PCG seed and the given clock (the same now gives
// the same rows), then written with a few multi-row inserts inside one org-scoped transaction.
package demo

import (
	"context"
	"errors"
	"fmt"
	"time"
	_ "time/tzdata" // the demo's timezone must load even on machines without tzdata

	"github.com/jackc/pgx/v5"
	"github.com/wedsync/wedsync/store"
)

// The demo login and organization.
const (
	// Email is the demo owner's login.
	Email = "demo@wedsync.test"
	// Password is the demo owner's password.
	Password = "wedsync-demo"
	// OrgName is the demo organization's name.
	OrgName = "Evergreen Photography"
	// Timezone is the demo organization's timezone.
	Timezone = "America/New_York"
	// Currency is the demo organization's currency.
	Currency = "USD"
	// OwnerName is the demo owner's display name.
	OwnerName = "Avery Brooks"
)

// lockKey is the session advisory lock that serializes Ensure across instances.
const lockKey int64 = 7_315_220_101

// Ensure creates the demo organization and its history if the demo login does not exist yet.
// It returns the demo organization's id and whether this call created (or completed) it.
// Concurrent calls, also from other instances, wait for each other, so only one organization is
// ever created. The pool needs at least three connections.
func Ensure(ctx context.Context, db *store.DB, now time.Time) (orgID int64, created bool, err error) {
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return 0, false, fmt.Errorf("demo: acquire: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "select pg_advisory_lock($1)", lockKey); err != nil {
		return 0, false, fmt.Errorf("demo: lock: %w", err)
	}
	defer func() {
		if _, uerr := conn.Exec(context.WithoutCancel(ctx), "select pg_advisory_unlock($1)", lockKey); uerr != nil {
			// Closing the session releases the lock; Release then discards the connection.
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()

	orgID, found, err := lookup(ctx, db)
	if err != nil {
		return 0, false, err
	}
	if !found {
		orgID, _, err = db.Signup(ctx, store.SignupInput{
			OrgName: OrgName, Timezone: Timezone, Currency: Currency,
			Email: Email, Name: OwnerName, Password: Password,
		})
		var verr *store.ValidationError
		if errors.As(err, &verr) {
			// Another process that does not take the lock signed up first.
			orgID, found, err = lookup(ctx, db)
			if err == nil && !found {
				err = errors.New("demo login exists but has no organization")
			}
		}
		if err != nil {
			return 0, false, fmt.Errorf("demo: signup: %w", err)
		}
	}
	// An organization without bookings is a demo whose history was never written (a crash
	// between signup and the seed); write it now.
	var empty bool
	if err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, "select not exists(select 1 from bookings)").Scan(&empty)
	}); err != nil {
		return 0, false, fmt.Errorf("demo: check history: %w", err)
	}
	if !empty {
		return orgID, false, nil
	}
	loc, err := time.LoadLocation(Timezone)
	if err != nil {
		return 0, false, fmt.Errorf("demo: timezone: %w", err)
	}
	d := generate(now, loc)
	if err := db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error { return write(ctx, tx, orgID, d) }); err != nil {
		return 0, false, fmt.Errorf("demo: write history: %w", err)
	}
	return orgID, true, nil
}

// lookup finds the demo organization through the demo login.
func lookup(ctx context.Context, db *store.DB) (orgID int64, found bool, err error) {
	var userID int64
	err = db.Pool.QueryRow(ctx, "select id from users where lower(email) = lower($1)", Email).Scan(&userID)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("demo: find login: %w", err)
	}
	ms, err := db.Memberships(ctx, userID)
	if err != nil {
		return 0, false, fmt.Errorf("demo: find organization: %w", err)
	}
	for _, m := range ms {
		if m.OrgName == OrgName && m.Role == store.RoleOwner {
			return m.OrgID, true, nil
		}
	}
	if len(ms) > 0 {
		return ms[0].OrgID, true, nil
	}
	return 0, false, nil
}
