package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"
)

// Role is a member's role in an organization.
type Role string

// The roles, from most to least powerful.
const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
)

// CanAdmin reports whether the role may change settings, integrations, rules and the team.
func (r Role) CanAdmin() bool { return r == RoleOwner || r == RoleAdmin }

// User is a person who can log in.
type User struct {
	ID        int64
	Email     string
	Name      string
	CreatedAt time.Time
}

// Membership ties a user to an organization with a role.
type Membership struct {
	OrgID   int64
	OrgName string
	Role    Role
}

// SignupInput is what /signup asks for.
type SignupInput struct {
	OrgName, Timezone, Currency, Email, Name, Password string
}

// LoginThrottle is the number of failed logins per email allowed in LoginThrottleWindow.
const (
	LoginThrottle       = 10
	LoginThrottleWindow = 15 * time.Minute
)

// ErrBadCredentials means the email or password is wrong.
var ErrBadCredentials = errors.New("email or password is incorrect")

// ErrThrottled means too many failed logins for an email.
var ErrThrottled = errors.New("too many failed logins")

// HashPassword hashes a password with bcrypt.
func HashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

func validateAccount(p Problems, email, name, password string) string {
	email = strings.TrimSpace(email)
	if addr, err := mail.ParseAddress(email); err != nil || addr.Address != email || len(email) > 320 {
		p.Add("email", "Enter an email address like name@example.com.")
	}
	if len(name) > 200 {
		p.Add("name", "Use at most 200 characters.")
	}
	if len(password) < 8 {
		p.Add("password", "Use at least 8 characters.")
	} else if len(password) > 72 {
		p.Add("password", "Use at most 72 characters.")
	}
	return email
}

// Signup creates an organization and its owner and returns both ids.
func (db *DB) Signup(ctx context.Context, in SignupInput) (orgID, userID int64, err error) {
	p := Problems{}
	in.OrgName = strings.TrimSpace(in.OrgName)
	validateOrgName(p, in.OrgName)
	validateTimezone(p, in.Timezone)
	validateCurrency(p, "currency", in.Currency)
	in.Email = validateAccount(p, in.Email, in.Name, in.Password)
	if err := p.Err(); err != nil {
		return 0, 0, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return 0, 0, err
	}
	err = db.Pool.QueryRow(ctx, "select org_id, user_id from sys_signup($1, $2, $3, $4, $5, $6)",
		in.OrgName, in.Timezone, in.Currency, in.Email, strings.TrimSpace(in.Name), hash).Scan(&orgID, &userID)
	if err != nil {
		err = mapPgError(err)
		if errors.Is(err, ErrConflict) {
			return 0, 0, Invalid("email", "An account with this email already exists. Log in instead.")
		}
		return 0, 0, fmt.Errorf("signup: %w", err)
	}
	return orgID, userID, nil
}

// Authenticate checks an email and password, throttling repeated failures per email.
func (db *DB) Authenticate(ctx context.Context, email, password string) (User, error) {
	email = strings.TrimSpace(email)
	var failures int
	if err := db.Pool.QueryRow(ctx, `select count(*) from login_attempts
		where lower(email) = lower($1) and attempted_at > $2`, email, db.now().Add(-LoginThrottleWindow)).Scan(&failures); err != nil {
		return User{}, wrap("authenticate", err)
	}
	if failures >= LoginThrottle {
		return User{}, ErrThrottled
	}
	var u User
	var hash string
	err := db.Pool.QueryRow(ctx, "select id, email, name, created_at, password_hash from users where lower(email) = lower($1)", email).
		Scan(&u.ID, &u.Email, &u.Name, &u.CreatedAt, &hash)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return User{}, wrap("authenticate", err)
	}
	if err == nil && bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil {
		return u, nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		// Spend the same time as a real comparison so timing does not reveal accounts.
		_ = bcrypt.CompareHashAndPassword([]byte("$2a$10$7EqJtq98hPqEX7fNZaFWoOhi5BWX4Z9cZ2jC2L0FsBzC7Q6Wo5p8y"), []byte(password))
	}
	if _, err := db.Pool.Exec(ctx, "insert into login_attempts (email, attempted_at) values ($1, $2)", email, db.now()); err != nil {
		return User{}, wrap("authenticate", err)
	}
	return User{}, ErrBadCredentials
}

// UserByID loads a user.
func (db *DB) UserByID(ctx context.Context, id int64) (User, error) {
	var u User
	err := db.Pool.QueryRow(ctx, "select id, email, name, created_at from users where id = $1", id).
		Scan(&u.ID, &u.Email, &u.Name, &u.CreatedAt)
	return u, wrap("user by id", err)
}

// Memberships lists the organizations a user belongs to, oldest first.
func (db *DB) Memberships(ctx context.Context, userID int64) ([]Membership, error) {
	rows, err := db.Pool.Query(ctx, "select org_id, org_name, role from sys_user_memberships($1)", userID)
	if err != nil {
		return nil, wrap("memberships", err)
	}
	ms, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Membership, error) {
		var m Membership
		err := r.Scan(&m.OrgID, &m.OrgName, &m.Role)
		return m, err
	})
	return ms, wrap("memberships", err)
}

// MemberRole is the user's role in the organization, or ErrNotFound.
func (db *DB) MemberRole(ctx context.Context, orgID, userID int64) (Role, error) {
	var role Role
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, "select role from memberships where user_id = $1", userID).Scan(&role)
	})
	return role, wrap("member role", err)
}

// Member is a row of the team page.
type Member struct {
	User
	Role     Role
	JoinedAt time.Time
}

// Members lists the organization's team.
func (db *DB) Members(ctx context.Context, orgID int64) ([]Member, error) {
	var out []Member
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `select u.id, u.email, u.name, u.created_at, m.role, m.created_at
			from memberships m join users u on u.id = m.user_id order by m.created_at, u.id`)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Member, error) {
			var m Member
			err := r.Scan(&m.ID, &m.Email, &m.Name, &m.CreatedAt, &m.Role, &m.JoinedAt)
			return m, err
		})
		return err
	})
	return out, wrap("members", err)
}

// NewToken returns a 128-bit random token (URL-safe) and its SHA-256 hash for storage.
func NewToken() (token string, hash []byte) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is the stored form of a link token.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
