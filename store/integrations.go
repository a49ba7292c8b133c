package store

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// Integration is a connection to an external system. It never carries the secrets themselves:
// only masked hints of them.
type Integration struct {
	ID       int64
	PublicID string // in URLs and webhook addresses
	Provider string
	Name     string
	// Config holds the provider's plain (non-secret) fields.
	Config map[string]string
	// CredentialHints maps each stored secret field to a masked form ("sk_live_…4242").
	CredentialHints map[string]string
	// Status is healthy, degraded, failing, needs_reauth or paused.
	Status string
	// PausedReason is "user" or "failures" while paused.
	PausedReason        string
	IntervalMinutes     int
	LastSuccessAt       *time.Time
	LastAttemptAt       *time.Time
	FailingSince        *time.Time
	LastError           string
	LastErrorClass      string
	ConsecutiveFailures int
	NextRunAt           time.Time
	RecordsSynced       int64
	LastTestAt          *time.Time
	LastTestOK          *bool
	LastTestClass       string
	LastTestMessage     string
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// Integration health states.
const (
	IntegrationHealthy     = "healthy"
	IntegrationDegraded    = "degraded"
	IntegrationFailing     = "failing"
	IntegrationNeedsReauth = "needs_reauth"
	IntegrationPaused      = "paused"
)

// Interval bounds of scheduled syncs, in minutes.
const (
	MinSyncInterval     = 5
	MaxSyncInterval     = 1440
	DefaultSyncInterval = 15
)

// Sealer encrypts and decrypts secrets bound to a context; *secret.Keyring is one.
type Sealer interface {
	Seal(plaintext, aad []byte) (string, error)
	Open(sealed string, aad []byte) ([]byte, error)
}

// CredentialsAAD binds an integration's sealed credentials to its id, so a sealed value copied
// onto another integration does not open.
func CredentialsAAD(integrationID int64) []byte {
	return []byte("integration:" + strconv.FormatInt(integrationID, 10) + ":credentials")
}

// IntegrationInput is the integration form as typed. The handler checks the provider's fields;
// the store checks the name and interval and seals the secrets.
type IntegrationInput struct {
	Provider string
	Name     string
	// IntervalMinutes is the schedule, 5-1440 (empty means 15).
	IntervalMinutes string
	// Config is the provider's plain fields.
	Config map[string]string
	// Secrets is the provider's secret fields as typed; a blank value keeps the stored one.
	Secrets map[string]string
}

const integrationCols = `id, public_id, provider, name, config, credential_hints, status, paused_reason,
	interval_minutes, last_success_at, last_attempt_at, failing_since, last_error, last_error_class,
	consecutive_failures, next_run_at, records_synced, last_test_at, last_test_ok, last_test_class,
	last_test_message, created_at, updated_at`

func scanIntegration(r pgx.CollectableRow) (Integration, error) {
	var i Integration
	err := r.Scan(&i.ID, &i.PublicID, &i.Provider, &i.Name, &i.Config, &i.CredentialHints, &i.Status, &i.PausedReason,
		&i.IntervalMinutes, &i.LastSuccessAt, &i.LastAttemptAt, &i.FailingSince, &i.LastError, &i.LastErrorClass,
		&i.ConsecutiveFailures, &i.NextRunAt, &i.RecordsSynced, &i.LastTestAt, &i.LastTestOK, &i.LastTestClass,
		&i.LastTestMessage, &i.CreatedAt, &i.UpdatedAt)
	return i, err
}

// Check validates the name, interval and value sizes without saving (forms show every mistake
// at once); nil or a *ValidationError.
func (in IntegrationInput) Check() error {
	_, _, err := in.validate()
	return err
}

func (in IntegrationInput) validate() (name string, interval int, err error) {
	p := Problems{}
	name = textField(p, "name", in.Name, 100, "")
	interval = DefaultSyncInterval
	if v := strings.TrimSpace(in.IntervalMinutes); v != "" {
		n, convErr := strconv.Atoi(v)
		if convErr != nil || n < MinSyncInterval || n > MaxSyncInterval {
			p.Add("interval_minutes", fmt.Sprintf("Enter a whole number of minutes from %d to %d.", MinSyncInterval, MaxSyncInterval))
		}
		interval = n
	}
	if in.Provider == "" || utf8.RuneCountInString(in.Provider) > 30 {
		p.Add("provider", "Choose a provider.")
	}
	for k, v := range in.Config {
		if utf8.RuneCountInString(v) > 2000 {
			p.Add(k, "Use at most 2000 characters.")
		}
	}
	for k, v := range in.Secrets {
		if utf8.RuneCountInString(v) > 4000 || strings.ContainsRune(v, 0) {
			p.Add(k, "This value is too long or has unusual characters.")
		}
	}
	return name, interval, p.Err()
}

// NewPublicID makes an integration's public id: "int_" and 16 random base32 characters.
func NewPublicID() string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return "int_" + strings.ToLower(base32.StdEncoding.EncodeToString(b))
}

// CreateIntegration validates the form, stores the integration with its secrets sealed and due
// at once, and returns it.
func (db *DB) CreateIntegration(ctx context.Context, orgID, userID int64, keys Sealer, in IntegrationInput) (Integration, error) {
	name, interval, err := in.validate()
	if err != nil {
		return Integration{}, err
	}
	var out Integration
	err = db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `insert into integrations (org_id, public_id, provider, name, config, interval_minutes, next_run_at)
			values ($1, $2, $3, $4, $5, $6, now()) returning id`,
			orgID, NewPublicID(), in.Provider, name, nonNil(in.Config), interval).Scan(&id); err != nil {
			return err
		}
		if err := storeSecrets(ctx, tx, keys, id, nil, in.Secrets); err != nil {
			return err
		}
		if err := audit(ctx, tx, orgID, userID, "create", "integration", id,
			map[string]any{"provider": in.Provider, "name": name, "interval_minutes": interval}); err != nil {
			return err
		}
		out, err = integrationTx(ctx, tx, "id = $1", id)
		return err
	})
	return out, wrap("create integration", err)
}

// UpdateIntegration saves the edit form. Blank secrets keep their stored values; a new secret
// brings an integration that needed new credentials back to healthy and due now.
func (db *DB) UpdateIntegration(ctx context.Context, orgID, userID int64, keys Sealer, publicID string, in IntegrationInput) error {
	name, interval, err := in.validate()
	if err != nil {
		return err
	}
	err = db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		var id int64
		var sealed *string
		if err := tx.QueryRow(ctx, "select id, credentials from integrations where public_id = $1 for update", publicID).
			Scan(&id, &sealed); err != nil {
			return err
		}
		old := map[string]string{}
		if sealed != nil {
			if pt, err := keys.Open(*sealed, CredentialsAAD(id)); err == nil {
				_ = json.Unmarshal(pt, &old)
			}
		}
		changed := []string{}
		for k, v := range in.Secrets {
			if v != "" && v != old[k] {
				changed = append(changed, k)
			}
		}
		sort.Strings(changed)
		if err := storeSecrets(ctx, tx, keys, id, old, in.Secrets); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `update integrations set name = $2, config = $3, interval_minutes = $4,
				next_run_at = least(next_run_at, now() + make_interval(mins => $4)), updated_at = now()
			where id = $1`, id, name, nonNil(in.Config), interval); err != nil {
			return err
		}
		if len(changed) > 0 {
			if _, err := tx.Exec(ctx, `update integrations set status = 'healthy', consecutive_failures = 0,
					failing_since = null, last_error = '', last_error_class = '', next_run_at = now()
				where id = $1 and status = 'needs_reauth'`, id); err != nil {
				return err
			}
		}
		return audit(ctx, tx, orgID, userID, "update", "integration", id,
			map[string]any{"name": name, "interval_minutes": interval, "secrets_replaced": changed})
	})
	return wrap("update integration", err)
}

// storeSecrets seals old merged with the non-blank typed values, and stores the masked hints.
func storeSecrets(ctx context.Context, tx pgx.Tx, keys Sealer, id int64, old, typed map[string]string) error {
	merged := map[string]string{}
	for k, v := range old {
		merged[k] = v
	}
	for k, v := range typed {
		if v = strings.TrimSpace(v); v != "" {
			merged[k] = v
		}
	}
	hints := map[string]string{}
	for k, v := range merged {
		hints[k] = MaskSecret(v)
	}
	pt, err := json.Marshal(merged)
	if err != nil {
		return err
	}
	sealed, err := keys.Seal(pt, CredentialsAAD(id))
	if err != nil {
		return fmt.Errorf("seal credentials: %w", err)
	}
	_, err = tx.Exec(ctx, "update integrations set credentials = $2, credential_hints = $3 where id = $1", id, sealed, hints)
	return err
}

// MaskSecret shows enough of a secret to recognise it: its prefix up to the last underscore (when
// short, like "sk_live_") and its last four characters. Secrets under 16 characters show nothing.
func MaskSecret(v string) string {
	r := []rune(v)
	if len(r) < 16 {
		return "••••"
	}
	prefix := ""
	if i := strings.LastIndex(string(r[:min(len(r)-8, 12)]), "_"); i > 0 {
		prefix = string(r[:min(len(r)-8, 12)])[:i+1]
	}
	return prefix + "…" + string(r[len(r)-4:])
}

// IntegrationSecrets opens an integration's sealed credentials (for jobs and webhook checks).
func (db *DB) IntegrationSecrets(ctx context.Context, orgID, id int64, keys Sealer) (map[string]string, error) {
	var sealed *string
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, "select credentials from integrations where id = $1", id).Scan(&sealed)
	})
	if err != nil {
		return nil, wrap("integration secrets", err)
	}
	return OpenSecrets(keys, id, sealed)
}

// OpenSecrets decrypts sealed credentials of integration id (nil means none stored).
func OpenSecrets(keys Sealer, id int64, sealed *string) (map[string]string, error) {
	out := map[string]string{}
	if sealed == nil || *sealed == "" {
		return out, nil
	}
	pt, err := keys.Open(*sealed, CredentialsAAD(id))
	if err != nil {
		return nil, fmt.Errorf("integration secrets: %w", err)
	}
	if err := json.Unmarshal(pt, &out); err != nil {
		return nil, fmt.Errorf("integration secrets: %w", err)
	}
	return out, nil
}

func integrationTx(ctx context.Context, tx pgx.Tx, where string, arg any) (Integration, error) {
	rows, err := tx.Query(ctx, "select "+integrationCols+" from integrations where "+where, arg)
	if err != nil {
		return Integration{}, err
	}
	return pgx.CollectExactlyOneRow(rows, scanIntegration)
}

// Integration loads one integration by public id; ErrNotFound for another organization's.
func (db *DB) Integration(ctx context.Context, orgID int64, publicID string) (Integration, error) {
	var out Integration
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) (err error) {
		out, err = integrationTx(ctx, tx, "public_id = $1", publicID)
		return err
	})
	return out, wrap("integration", err)
}

// IntegrationByID loads one integration by id.
func (db *DB) IntegrationByID(ctx context.Context, orgID, id int64) (Integration, error) {
	var out Integration
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) (err error) {
		out, err = integrationTx(ctx, tx, "id = $1", id)
		return err
	})
	return out, wrap("integration", err)
}

// ListIntegrations lists the organization's integrations, oldest first.
func (db *DB) ListIntegrations(ctx context.Context, orgID int64) ([]Integration, error) {
	var out []Integration
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, "select "+integrationCols+" from integrations order by created_at, id")
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanIntegration)
		return err
	})
	return out, wrap("list integrations", err)
}

// DeleteIntegration removes an integration with its runs, webhook events and calendar events;
// records it created (payments, bookings...) stay, no longer linked to it.
func (db *DB) DeleteIntegration(ctx context.Context, orgID, userID int64, publicID string) error {
	err := db.WriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		var id int64
		var provider, name string
		if err := tx.QueryRow(ctx, "delete from integrations where public_id = $1 returning id, provider, name", publicID).
			Scan(&id, &provider, &name); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "delete", "integration", id, map[string]any{"provider": provider, "name": name})
	})
	return wrap("delete integration", err)
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
