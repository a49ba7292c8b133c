package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// InviteTTL is how long an invite link works.
const InviteTTL = 7 * 24 * time.Hour

// Invite is a pending invitation as the team page lists it.
type Invite struct {
	ID        int64
	Role      Role
	Email     string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// InviteLink is an invite resolved from its token.
type InviteLink struct {
	ID        int64
	OrgID     int64
	OrgName   string
	Role      Role
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// ErrInviteUnusable means the invite expired or was already used.
var ErrInviteUnusable = errors.New("this invite link has expired or was already used")

// CreateInvite makes a single-use invite link for role and returns its token.
func (db *DB) CreateInvite(ctx context.Context, orgID, userID int64, role Role, email string) (string, error) {
	if role != RoleAdmin && role != RoleMember {
		return "", Invalid("role", "Choose admin or member.")
	}
	email = strings.TrimSpace(email)
	if len(email) > 320 {
		return "", Invalid("email", "Use at most 320 characters.")
	}
	token, hash := NewToken()
	var createdBy *int64
	if userID > 0 {
		createdBy = &userID
	}
	err := db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `insert into invites (org_id, token_hash, role, email, created_by, expires_at)
			values ($1, $2, $3, $4, $5, $6) returning id`, orgID, hash, role, email, createdBy, db.now().Add(InviteTTL)).Scan(&id); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "create", "invite", id, map[string]string{"role": string(role), "email": email})
	})
	if err != nil {
		return "", wrap("create invite", err)
	}
	return token, nil
}

// Invites lists the organization's invites, newest first.
func (db *DB) Invites(ctx context.Context, orgID int64) ([]Invite, error) {
	var out []Invite
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `select id, role, email, created_at, expires_at, used_at from invites order by created_at desc limit 50`)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Invite, error) {
			var i Invite
			err := r.Scan(&i.ID, &i.Role, &i.Email, &i.CreatedAt, &i.ExpiresAt, &i.UsedAt)
			return i, err
		})
		return err
	})
	return out, wrap("invites", err)
}

// InviteByToken resolves an invite link; ErrNotFound if the token is unknown.
func (db *DB) InviteByToken(ctx context.Context, token string) (InviteLink, error) {
	var l InviteLink
	err := db.Pool.QueryRow(ctx, "select id, org_id, org_name, role, expires_at, used_at from sys_invite_by_token($1)", HashToken(token)).
		Scan(&l.ID, &l.OrgID, &l.OrgName, &l.Role, &l.ExpiresAt, &l.UsedAt)
	if err != nil {
		return l, wrap("invite by token", err)
	}
	return l, nil
}

// AcceptInvite joins an existing user to the invite's organization, once.
func (db *DB) AcceptInvite(ctx context.Context, token string, userID int64) (InviteLink, error) {
	l, err := db.InviteByToken(ctx, token)
	if err != nil {
		return l, err
	}
	err = db.QuietWriteOrg(ctx, l.OrgID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `update invites set used_at = $1, used_by = $2
			where id = $3 and used_at is null and expires_at > $1`, db.now(), userID, l.ID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return ErrInviteUnusable
		}
		if _, err := tx.Exec(ctx, `insert into memberships (org_id, user_id, role) values ($1, $2, $3)
			on conflict (org_id, user_id) do nothing`, l.OrgID, userID, l.Role); err != nil {
			return err
		}
		return audit(ctx, tx, l.OrgID, userID, "join", "membership", userID, map[string]string{"role": string(l.Role)})
	})
	if err != nil {
		if errors.Is(err, ErrInviteUnusable) {
			return l, err
		}
		return l, wrap("accept invite", err)
	}
	return l, nil
}

// CreateUser registers a person (used when accepting an invite without an account).
func (db *DB) CreateUser(ctx context.Context, email, name, password string) (User, error) {
	p := Problems{}
	email = validateAccount(p, email, name, password)
	if err := p.Err(); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return User{}, err
	}
	u := User{Email: email, Name: strings.TrimSpace(name)}
	err = db.Pool.QueryRow(ctx, "insert into users (email, name, password_hash) values ($1, $2, $3) returning id, created_at",
		u.Email, u.Name, hash).Scan(&u.ID, &u.CreatedAt)
	if err != nil {
		err = mapPgError(err)
		if errors.Is(err, ErrConflict) {
			return User{}, Invalid("email", "An account with this email already exists. Log in to accept the invite.")
		}
		return User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}
