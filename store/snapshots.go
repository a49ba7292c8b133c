package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// DashboardChannel is the PostgreSQL NOTIFY channel of snapshot changes. The payload is
// "<org_id>:<version>", nothing more: listeners read the snapshot themselves.
const DashboardChannel = "dashboard_changed"

// recomputeLockSpace keeps the per-organization recompute locks apart from other advisory locks.
const recomputeLockSpace int64 = 1 << 62

// snapshotsKept is how many versions of an organization's snapshot are kept.
const snapshotsKept = 20

// Snapshot is one stored, versioned computation of every KPI. A snapshot read from the store
// is shared by every reader of that version (see LatestSnapshot): never modify it.
type Snapshot struct {
	OrgID      int64
	Version    int64
	ChangeSeq  int64
	ComputedAt time.Time
	KPIs       *KPIs

	memo sync.Map // key → *memoEntry, see Memo
}

type memoEntry struct {
	once sync.Once
	val  any
	err  error
}

// Memo returns what build derives from this snapshot, building it once per key: readers of the
// same version (page views, live streams) share one rendering instead of each making its own.
// The value lives as long as the snapshot does. A failed build is not retried on this snapshot.
func (s *Snapshot) Memo(key any, build func() (any, error)) (any, error) {
	e, _ := s.memo.LoadOrStore(key, &memoEntry{})
	me := e.(*memoEntry)
	me.once.Do(func() { me.val, me.err = build() })
	return me.val, me.err
}

// MarkChanged bumps the organization's change counter inside a write transaction and marks a
// recompute as queued. It reports whether one was queued already: if not, the caller must insert
// the recompute job in the same transaction. The row lock serializes this with the job's
// ClearQueued, so no write is ever left without a computation that sees it.
func MarkChanged(ctx context.Context, tx pgx.Tx, orgID int64) (alreadyQueued bool, err error) {
	err = tx.QueryRow(ctx, `with prev as (select queued from org_metric_state where org_id = $1 for update)
		insert into org_metric_state as s (org_id, change_seq, queued) values ($1, 1, true)
		on conflict (org_id) do update set change_seq = s.change_seq + 1, queued = true
		returning coalesce((select queued from prev), false)`, orgID).Scan(&alreadyQueued)
	return alreadyQueued, wrap("mark changed", err)
}

// LatestSnapshot reads the newest snapshot; ErrNotFound before the first recompute. While the
// newest version is the one read last time, it returns that same decoded snapshot (shared: do
// not modify it) and the database sends only the version, not the data.
func (db *DB) LatestSnapshot(ctx context.Context, orgID int64) (*Snapshot, error) {
	cached := db.snaps.get(orgID)
	var have struct {
		version int64
		at      time.Time
	}
	if cached != nil {
		have.version, have.at = cached.Version, cached.ComputedAt
	}
	var s *Snapshot
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		var err error
		s, err = readSnapshot(ctx, tx, `select org_id, version, change_seq, computed_at,
			case when version = $1 and computed_at = $2 then null else data end
			from kpi_snapshots order by version desc limit 1`, have.version, have.at)
		return err
	})
	if err != nil {
		return nil, wrap("latest snapshot", err)
	}
	if s.KPIs == nil { // unchanged since the cached read
		return cached, nil
	}
	db.snaps.put(s)
	return s, nil
}

// SnapshotVersion reads one version of the organization's snapshot.
func (db *DB) SnapshotVersion(ctx context.Context, orgID, version int64) (*Snapshot, error) {
	var s *Snapshot
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		var err error
		s, err = readSnapshot(ctx, tx, `select org_id, version, change_seq, computed_at, data from kpi_snapshots
			where version = $1`, version)
		return err
	})
	return s, wrap("snapshot version", err)
}

func readSnapshot(ctx context.Context, tx pgx.Tx, sql string, args ...any) (*Snapshot, error) {
	s := new(Snapshot)
	var data []byte
	if err := tx.QueryRow(ctx, sql, args...).Scan(&s.OrgID, &s.Version, &s.ChangeSeq, &s.ComputedAt, &data); err != nil {
		return nil, err
	}
	if data == nil {
		return s, nil // the caller asked for the data only when it differs from its copy
	}
	s.KPIs = new(KPIs)
	if err := json.Unmarshal(data, s.KPIs); err != nil {
		return nil, fmt.Errorf("decode snapshot: %w", err)
	}
	return s, nil
}

// snapshotsCached bounds the decoded snapshots kept, one per organization.
const snapshotsCached = 128

// snapshotCache keeps the newest decoded snapshot of recently read organizations (the zero
// value is ready to use), so a page view or a stream of an unchanged version decodes nothing
// and renders nothing again (see Snapshot.Memo).
type snapshotCache struct {
	mu   sync.Mutex
	tick uint64
	m    map[int64]*cachedSnapshot
}

type cachedSnapshot struct {
	snap *Snapshot
	used uint64
}

func (c *snapshotCache) get(orgID int64) *Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[orgID]
	if e == nil {
		return nil
	}
	c.tick++
	e.used = c.tick
	return e.snap
}

// put keeps s unless a newer version of its organization is kept already; when full, the
// least recently read organization makes room.
func (c *snapshotCache) put(s *Snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[int64]*cachedSnapshot{}
	}
	c.tick++
	if e := c.m[s.OrgID]; e != nil {
		if e.snap.Version <= s.Version {
			e.snap = s
		}
		e.used = c.tick
		return
	}
	if len(c.m) >= snapshotsCached {
		var oldest int64
		least := c.tick
		for id, e := range c.m {
			if e.used < least {
				oldest, least = id, e.used
			}
		}
		delete(c.m, oldest)
	}
	c.m[s.OrgID] = &cachedSnapshot{snap: s, used: c.tick}
}

// RecomputeResult says what one recompute did.
type RecomputeResult struct {
	Snapshot *Snapshot
	// Stale is true when a concurrent recompute had already stored a newer computation, so this
	// one was not stored (Snapshot is nil then).
	Stale bool
}

// Recompute clears the queued flag, reads the change counter, computes every KPI and stores them
// as the next snapshot version, notifying DashboardChannel in the same transaction (delivered at
// commit). A write after the flag was cleared queues its own recompute; a computation older than
// one already stored is dropped, so the newest data always wins.
//
// Computations of one organization run one at a time (a session advisory lock), so a burst of
// writes costs at most one running and one queued recompute.
func (db *DB) Recompute(ctx context.Context, orgID int64, now time.Time) (RecomputeResult, error) {
	var res RecomputeResult
	lockConn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return res, wrap("recompute: lock connection", err)
	}
	defer lockConn.Release()
	key := recomputeLockSpace | orgID
	if _, err := lockConn.Exec(ctx, "select pg_advisory_lock($1)", key); err != nil {
		return res, wrap("recompute: lock", err)
	}
	defer lockConn.Exec(context.WithoutCancel(ctx), "select pg_advisory_unlock($1)", key) //nolint:errcheck
	var seq int64
	err = db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, "update org_metric_state set queued = false returning change_seq").Scan(&seq)
		if errors.Is(err, pgx.ErrNoRows) {
			seq = 0
			return nil
		}
		return err
	})
	if err != nil {
		return res, wrap("recompute: read counter", err)
	}
	kpis, err := db.ComputeKPIs(ctx, orgID, now)
	if err != nil {
		return res, err
	}
	data, err := json.Marshal(kpis)
	if err != nil {
		return res, fmt.Errorf("recompute: encode: %w", err)
	}
	snap := &Snapshot{OrgID: orgID, ChangeSeq: seq, ComputedAt: kpis.ComputedAt, KPIs: kpis}
	err = db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		var computed int64
		err := tx.QueryRow(ctx, `insert into org_metric_state (org_id, recomputes) values ($1, 1)
			on conflict (org_id) do update set recomputes = org_metric_state.recomputes + 1
			returning snapshot_version, computed_seq`, orgID).Scan(&snap.Version, &computed)
		if err != nil {
			return err
		}
		if seq < computed {
			res.Stale = true
			return nil
		}
		snap.Version++
		// Nothing below returns a value: the statements travel with the commit.
		var b pgx.Batch
		b.Queue(`insert into kpi_snapshots (org_id, version, change_seq, computed_at, local_date, data)
			values ($1, $2, $3, $4, $5, $6)`, orgID, snap.Version, seq, kpis.ComputedAt, kpis.Today, data)
		b.Queue(`update org_metric_state set snapshot_version = $1, computed_seq = $2`, snap.Version, seq)
		b.Queue(`delete from kpi_snapshots where version <= $1`, snap.Version-snapshotsKept)
		b.Queue("select pg_notify($1, $2)", DashboardChannel, strconv.FormatInt(orgID, 10)+":"+strconv.FormatInt(snap.Version, 10))
		return sendLater(ctx, tx, &b)
	})
	if err != nil {
		return res, wrap("recompute: store", err)
	}
	if !res.Stale {
		res.Snapshot = snap
	}
	return res, nil
}

// RecomputeCount is how many recomputes the organization has had (for coalescing reports).
func (db *DB) RecomputeCount(ctx context.Context, orgID int64) (int64, error) {
	var n int64
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, "select recomputes from org_metric_state").Scan(&n)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return err
	})
	return n, wrap("recompute count", err)
}

// WatchWindow: an organization counts as watched if a dashboard was open this recently (the
// web instances mark open dashboards every two minutes).
const WatchWindow = 10 * time.Minute

// MarkViewed records that someone is watching the organization's dashboard, so the periodic
// refresh keeps its time-dependent KPIs fresh.
func (db *DB) MarkViewed(ctx context.Context, orgID int64, at time.Time) error {
	return wrap("mark viewed", db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `insert into org_metric_state (org_id, last_viewed_at) values ($1, $2)
			on conflict (org_id) do update set last_viewed_at = greatest(org_metric_state.last_viewed_at, excluded.last_viewed_at)`, orgID, at)
		return err
	}))
}

// StaleMetricOrgs lists watched organizations whose snapshot is stale (cross-organization).
func (db *DB) StaleMetricOrgs(ctx context.Context, now time.Time, watchWindow, maxAge time.Duration) ([]int64, error) {
	rows, err := db.Pool.Query(ctx, "select org_id from sys_stale_metric_orgs($1, $2, $3)", now, watchWindow, maxAge)
	if err != nil {
		return nil, wrap("stale metric orgs", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return ids, wrap("stale metric orgs", err)
}

// LaggingMetricOrgs lists organizations whose snapshot is behind their writes for longer than
// grace (cross-organization; the periodic sweep re-queues them).
func (db *DB) LaggingMetricOrgs(ctx context.Context, now time.Time, grace time.Duration) ([]int64, error) {
	rows, err := db.Pool.Query(ctx, "select org_id from sys_lagging_metric_orgs($1, $2)", now, grace)
	if err != nil {
		return nil, wrap("lagging metric orgs", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	return ids, wrap("lagging metric orgs", err)
}
