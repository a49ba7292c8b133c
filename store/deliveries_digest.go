package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// HeldOrgs lists organizations with rate-limited deliveries that no digest summarized yet
// (cross-organization, for the digest sweep).
func (db *DB) HeldOrgs(ctx context.Context) ([]int64, error) {
	rows, err := db.Pool.Query(ctx, "select org_id from sys_alert_held_orgs()")
	if err != nil {
		return nil, wrap("held orgs", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return ids, wrap("held orgs", err)
}

// BuildDigests summarizes held-back deliveries once their rate class's window has reopened (its
// rolling count fell below the limit): one digest per channel and target that had deliveries
// held, listing what was held. Held deliveries stay rate_limited and point at their digest.
// Digests are exempt from the budget, so the summary itself is never held back. It returns the
// number of digests made.
func (db *DB) BuildDigests(ctx context.Context, orgID int64, now time.Time, lim RateLimits, enqueue EnqueueFunc) (int, error) {
	made := 0
	err := db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		made = 0
		if err := lockRate(ctx, tx, orgID); err != nil {
			return err
		}
		var queued []QueuedDelivery
		for _, class := range []RateClass{RateStandard, RateEmergency} {
			var used int
			if err := tx.QueryRow(ctx, `select count(*) from deliveries where org_id = $1 and rate_class = $2
				and counted_at > $3 and counted_at <= $4`, orgID, class, now.Add(-lim.Window), now).Scan(&used); err != nil {
				return err
			}
			if used >= lim.Limit(class) {
				continue
			}
			q, n, err := digestClassTx(ctx, tx, orgID, class, now)
			if err != nil {
				return err
			}
			queued = append(queued, q...)
			made += n
		}
		if len(queued) > 0 && enqueue != nil {
			return enqueue(ctx, tx, queued)
		}
		return nil
	})
	return made, wrap("build digests", err)
}

type heldRow struct {
	id, alertID, channelID, userID int64
	kind                           ChannelKind
	target                         string
	severity                       Severity
	at                             time.Time
	title                          string
}

func digestClassTx(ctx context.Context, tx pgx.Tx, orgID int64, class RateClass, now time.Time) ([]QueuedDelivery, int, error) {
	rows, err := tx.Query(ctx, `select d.id, coalesce(d.alert_id, 0), coalesce(d.channel_id, 0), coalesce(d.user_id, 0),
		d.kind, d.target, d.severity, d.created_at, coalesce(a.title, '')
		from deliveries d left join alerts a on a.id = d.alert_id
		where d.status = 'rate_limited' and d.digest_id is null and d.rate_class = $1
		order by d.id for update of d`, class)
	if err != nil {
		return nil, 0, err
	}
	var held []heldRow
	var h heldRow
	if _, err := pgx.ForEachRow(rows, []any{&h.id, &h.alertID, &h.channelID, &h.userID, &h.kind, &h.target, &h.severity, &h.at, &h.title}, func() error {
		held = append(held, h)
		return nil
	}); err != nil {
		return nil, 0, err
	}
	type groupKey struct {
		channelID int64
		kind      ChannelKind
		target    string
	}
	groups := map[groupKey][]heldRow{}
	var order []groupKey
	for _, h := range held {
		k := groupKey{h.channelID, h.kind, h.target}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], h)
	}
	var ds []newDelivery
	var members [][]int64
	for _, k := range order {
		g := groups[k]
		p := DigestPayload{RateClass: class, Held: len(g), From: g[0].at, To: g[len(g)-1].at}
		sev, ids, userID := SeverityLow, make([]int64, len(g)), int64(0)
		for i, h := range g {
			ids[i] = h.id
			sev = max(sev, h.severity)
			userID = h.userID
			if len(p.Items) < MaxDigestItems {
				p.Items = append(p.Items, DigestItem{AlertID: h.alertID, Title: h.title, Severity: h.severity, At: h.at})
			}
		}
		ds = append(ds, newDelivery{ChannelID: k.channelID, UserID: userID, Kind: k.kind, Target: k.target, Purpose: "digest",
			Severity: sev, Status: "pending", Payload: p, ScheduledAt: now})
		members = append(members, ids)
	}
	queued, err := insertDeliveriesTx(ctx, tx, orgID, ds, now)
	if err != nil {
		return nil, 0, err
	}
	for i, q := range queued {
		if _, err := tx.Exec(ctx, `update deliveries set digest_id = $1, updated_at = $3 where id = any($2::bigint[])`,
			q.ID, members[i], now); err != nil {
			return nil, 0, err
		}
	}
	return queued, len(queued), nil
}
