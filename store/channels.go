package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// ChannelKind is how a channel reaches people.
type ChannelKind string

// The channel kinds.
const (
	ChannelInApp   ChannelKind = "inapp"
	ChannelEmail   ChannelKind = "email"
	ChannelSMS     ChannelKind = "sms"
	ChannelWebhook ChannelKind = "webhook"
)

// ChannelKinds lists every kind in display order.
var ChannelKinds = []ChannelKind{ChannelInApp, ChannelEmail, ChannelSMS, ChannelWebhook}

// Label is the kind's name for people.
func (k ChannelKind) Label() string {
	switch k {
	case ChannelInApp:
		return "In-app bell"
	case ChannelEmail:
		return "Email"
	case ChannelSMS:
		return "SMS"
	case ChannelWebhook:
		return "Webhook"
	}
	return string(k)
}

// Valid reports whether k is a known kind.
func (k ChannelKind) Valid() bool {
	return k == ChannelInApp || k == ChannelEmail || k == ChannelSMS || k == ChannelWebhook
}

// ChannelSealer encrypts and decrypts channel secrets; *secret.Keyring is one.
type ChannelSealer interface {
	Seal(plaintext, aad []byte) (string, error)
	Open(sealed string, aad []byte) ([]byte, error)
}

// ChannelSecretAAD binds a sealed channel secret to its channel.
func ChannelSecretAAD(id int64) []byte { return []byte("channel:" + strconv.FormatInt(id, 10)) }

// Channel is one notification channel. Its secret (a webhook's signing secret, an SMS channel's
// own Twilio auth token) is only ever returned sealed; SecretHint is its masked form.
type Channel struct {
	ID          int64
	Kind        ChannelKind
	Name        string
	Target      string
	MinSeverity Severity
	// QuietStart and QuietEnd are local "HH:MM" times, both empty when the channel has none.
	QuietStart, QuietEnd string
	Enabled              bool
	// TwilioSID and TwilioFrom are an SMS channel's own Twilio account (empty: the server's).
	TwilioSID, TwilioFrom string
	SecretHint            string
	SealedSecret          string
}

// Targets splits the target list (addresses or numbers).
func (c Channel) Targets() []string { return splitList(c.Target) }

// ChannelInput is the channel form. Secret is write-only: blank keeps the stored one (a webhook
// channel gets a generated signing secret when it has none).
type ChannelInput struct {
	Kind                  ChannelKind
	Name, Target          string
	MinSeverity           Severity
	QuietStart, QuietEnd  string
	Enabled               bool
	TwilioSID, TwilioFrom string
	Secret                string
}

type channelConfig struct {
	TwilioSID  string `json:"twilio_sid,omitempty"`
	TwilioFrom string `json:"twilio_from,omitempty"`
}

const channelCols = `id, kind, name, target, config, coalesce(secret, ''), secret_hint, min_severity,
	coalesce(to_char(quiet_start, 'HH24:MI'), ''), coalesce(to_char(quiet_end, 'HH24:MI'), ''), enabled`

func scanChannel(row pgx.Row) (Channel, error) {
	var c Channel
	var cfg []byte
	err := row.Scan(&c.ID, &c.Kind, &c.Name, &c.Target, &cfg, &c.SealedSecret, &c.SecretHint, &c.MinSeverity,
		&c.QuietStart, &c.QuietEnd, &c.Enabled)
	if err != nil {
		return c, err
	}
	var cc channelConfig
	_ = json.Unmarshal(cfg, &cc)
	c.TwilioSID, c.TwilioFrom = cc.TwilioSID, cc.TwilioFrom
	return c, nil
}

// Channels lists the organization's channels.
func (db *DB) Channels(ctx context.Context, orgID int64) ([]Channel, error) {
	var out []Channel
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		var err error
		out, err = channelsTx(ctx, tx, "order by kind = 'inapp' desc, name, id")
		return err
	})
	return out, wrap("channels", err)
}

func channelsTx(ctx context.Context, tx pgx.Tx, tail string, args ...any) ([]Channel, error) {
	rows, err := tx.Query(ctx, "select "+channelCols+" from channels "+tail, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Channel, error) { return scanChannel(r) })
}

// Channel loads one channel.
func (db *DB) Channel(ctx context.Context, orgID, id int64) (Channel, error) {
	var c Channel
	err := db.ReadOrg(ctx, orgID, func(tx pgx.Tx) error {
		var err error
		c, err = scanChannel(tx.QueryRow(ctx, "select "+channelCols+" from channels where id = $1", id))
		return err
	})
	return c, wrap("channel", err)
}

// CreateChannel validates and stores a channel. For a webhook without a typed secret it returns
// the generated signing secret, to show once.
func (db *DB) CreateChannel(ctx context.Context, orgID, userID int64, keys ChannelSealer, in ChannelInput) (id int64, newSecret string, err error) {
	if err := validateChannel(&in, true); err != nil {
		return 0, "", err
	}
	if in.Kind == ChannelWebhook && in.Secret == "" {
		in.Secret = NewWebhookSecret()
		newSecret = in.Secret
	}
	err = db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `insert into channels (org_id, kind, name) values ($1, $2, $3) returning id`,
			orgID, in.Kind, in.Name).Scan(&id); err != nil {
			return err
		}
		if err := saveChannelTx(ctx, tx, keys, id, in); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "create", "channel", id, map[string]any{"kind": in.Kind, "name": in.Name})
	})
	return id, newSecret, wrap("create channel", err)
}

// UpdateChannel validates and saves a channel; a blank secret keeps the stored one.
func (db *DB) UpdateChannel(ctx context.Context, orgID, userID int64, keys ChannelSealer, id int64, in ChannelInput) error {
	return wrap("update channel", db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		var kind ChannelKind
		if err := tx.QueryRow(ctx, "select kind from channels where id = $1 for update", id).Scan(&kind); err != nil {
			return err
		}
		in.Kind = kind
		if err := validateChannel(&in, false); err != nil {
			return err
		}
		if err := saveChannelTx(ctx, tx, keys, id, in); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "update", "channel", id, map[string]any{"kind": in.Kind, "name": in.Name})
	}))
}

// RotateChannelSecret gives a webhook channel a new signing secret and returns it, to show once.
func (db *DB) RotateChannelSecret(ctx context.Context, orgID, userID int64, keys ChannelSealer, id int64) (string, error) {
	s := NewWebhookSecret()
	err := db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		var kind ChannelKind
		if err := tx.QueryRow(ctx, "select kind from channels where id = $1 for update", id).Scan(&kind); err != nil {
			return err
		}
		if kind != ChannelWebhook {
			return Invalid("", "Only webhook channels have a signing secret to rotate.")
		}
		if err := sealChannelSecret(ctx, tx, keys, id, s); err != nil {
			return err
		}
		return audit(ctx, tx, orgID, userID, "rotate_secret", "channel", id, nil)
	})
	return s, wrap("rotate channel secret", err)
}

func saveChannelTx(ctx context.Context, tx pgx.Tx, keys ChannelSealer, id int64, in ChannelInput) error {
	var qs, qe *string
	if in.QuietStart != "" {
		qs, qe = &in.QuietStart, &in.QuietEnd
	}
	cfg := channelConfig{TwilioSID: in.TwilioSID, TwilioFrom: in.TwilioFrom}
	if _, err := tx.Exec(ctx, `update channels set name = $2, target = $3, config = $4, min_severity = $5,
		quiet_start = $6::time, quiet_end = $7::time, enabled = $8, updated_at = now() where id = $1`,
		id, in.Name, in.Target, cfg, in.MinSeverity, qs, qe, in.Enabled); err != nil {
		return err
	}
	if in.Kind == ChannelInApp || in.Kind == ChannelEmail {
		_, err := tx.Exec(ctx, "update channels set secret = null, secret_hint = '' where id = $1", id)
		return err
	}
	if in.Secret == "" {
		return nil
	}
	return sealChannelSecret(ctx, tx, keys, id, in.Secret)
}

func sealChannelSecret(ctx context.Context, tx pgx.Tx, keys ChannelSealer, id int64, plain string) error {
	if keys == nil {
		return fmt.Errorf("no keyring to seal the channel secret")
	}
	sealed, err := keys.Seal([]byte(plain), ChannelSecretAAD(id))
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, "update channels set secret = $2, secret_hint = $3 where id = $1", id, sealed, maskSecret(plain))
	return err
}

// OpenChannelSecret decrypts a channel's secret ("" when it has none).
func OpenChannelSecret(keys ChannelSealer, c Channel) (string, error) {
	if c.SealedSecret == "" {
		return "", nil
	}
	if keys == nil {
		return "", fmt.Errorf("open channel secret: no keyring")
	}
	b, err := keys.Open(c.SealedSecret, ChannelSecretAAD(c.ID))
	if err != nil {
		return "", fmt.Errorf("open channel secret: %w", err)
	}
	return string(b), nil
}

// DeleteChannel removes a channel; its delivery log stays (without the channel link).
func (db *DB) DeleteChannel(ctx context.Context, orgID, userID, id int64) error {
	return wrap("delete channel", db.QuietWriteOrg(ctx, orgID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "delete from channels where id = $1", id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		return audit(ctx, tx, orgID, userID, "delete", "channel", id, nil)
	}))
}
