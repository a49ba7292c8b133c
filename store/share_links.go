package store

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ShareLink is a read-only live dashboard link.
type ShareLink struct {
	ID        int64
	OrgID     int64
	Label     string
	HideMoney bool
	CreatedAt time.Time
	ExpiresAt *time.Time
	RevokedAt *time.Time
}

// Active reports whether the link still works at now.
func (l ShareLink) Active(now time.Time) bool {
	return l.RevokedAt == nil && (l.ExpiresAt == nil || now.Before(*l.ExpiresAt))
}

// ErrLinkGone means a share link was revoked or has expired.
var ErrLinkGone = errors.New("this link was revoked or has expired")

// ShareLinkInput is the create form.
type ShareLinkInput struct {
	Label     string
	ExpiresIn string // "", "1d", "7d", "30d", "90d": empty never expires
	HideMoney bool
}

var shareExpiries = map[string]time.Duration{"1d": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "30d": 30 * 24 * time.Hour, "90d": 90 * 24 * time.Hour}

// CreateShareLink makes a link and returns its token (shown once; only its hash is stored).
func (db *DB) CreateShareLink(ctx context.Context, orgID, userID int64, in ShareLinkInput) (string, error) {
	p := Problems{}
	in.Label = strings.TrimSpace(in.Label)
	if in.Label == "" {
		p.Add("label", "Name the link, e.g. \"Venue coordinator\".")
	} else if len(in.Label) > 200 {
		p.Add("label", "Use at most 200 characters.")
	}
	var expires *time.Time
	if in.ExpiresIn != "" {
		d, ok := shareExpiries[in.ExpiresIn]
		if !ok {
			p.Add("expires_in", "Choose one of the offered expiries.")
		} else {
			t := db.now().Add(d)
			expires = &t
		}
	}
	if err := p.Err(); err != nil {
		return "", err
	}
	token, hash := NewToken()
	err := db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `insert into share_links (org_id, token_hash, label, hide_money, created_by, expires_at)
			values ($1, $2, $3, $4, $5, $6) returning id`, orgID, hash, in.Label, in.HideMoney, userID, expires).Scan(&id); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "create", "share_link", id, map[string]any{"label": in.Label, "hide_money": in.HideMoney, "expires_in": in.ExpiresIn})
	})
	if err != nil {
		return "", wrap("create share link", err)
	}
	return token, nil
}

// ShareLinks lists the organization's links, newest first.
func (db *DB) ShareLinks(ctx context.Context, orgID int64) ([]ShareLink, error) {
	var out []ShareLink
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `select id, org_id, label, hide_money, created_at, expires_at, revoked_at
			from share_links order by created_at desc, id desc limit 200`)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanShareLink)
		return err
	})
	return out, wrap("share links", err)
}

func scanShareLink(r pgx.CollectableRow) (ShareLink, error) {
	var l ShareLink
	err := r.Scan(&l.ID, &l.OrgID, &l.Label, &l.HideMoney, &l.CreatedAt, &l.ExpiresAt, &l.RevokedAt)
	return l, err
}

// RevokeShareLink ends a link and notifies every instance so its open streams close.
func (db *DB) RevokeShareLink(ctx context.Context, orgID, userID, linkID int64, notifyChannel string) error {
	return wrap("revoke share link", db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `update share_links set revoked_at = coalesce(revoked_at, $1) where id = $2`, db.now(), linkID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		if _, err := tx.Exec(ctx, "select pg_notify($1, $2)", notifyChannel, strconv.FormatInt(linkID, 10)); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "revoke", "share_link", linkID, nil)
	}))
}

// ShareLinkByToken resolves a token: ErrNotFound if unknown, ErrLinkGone if revoked or expired.
func (db *DB) ShareLinkByToken(ctx context.Context, token string) (ShareLink, error) {
	var l ShareLink
	if token == "" || len(token) > 64 {
		return l, ErrNotFound
	}
	err := db.Pool.QueryRow(ctx, `select id, org_id, label, hide_money, expires_at, revoked_at
		from sys_share_link_by_token($1)`, HashToken(token)).Scan(&l.ID, &l.OrgID, &l.Label, &l.HideMoney, &l.ExpiresAt, &l.RevokedAt)
	if err != nil {
		return l, wrap("share link", err)
	}
	if !l.Active(db.now()) {
		return l, ErrLinkGone
	}
	return l, nil
}
