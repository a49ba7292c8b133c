// Package secret encrypts credentials and webhook secrets at rest with AES-256-GCM.
//
// A keyring holds named 32-byte keys; the first is current and seals new values, the others
// still open old ones, so keys can be rotated without re-encrypting everything at once.
// WEDSYNC_SECRET_KEY has the form "kid:base64key[,kid:base64key...]".
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Keyring is a set of keys; the first one is current.
type Keyring struct {
	currentID string
	keys      map[string][]byte
}

// ErrUndecryptable means a sealed value was made with an unknown key or was tampered with.
var ErrUndecryptable = errors.New("secret: cannot decrypt (unknown key id or corrupted value)")

// Parse reads the WEDSYNC_SECRET_KEY form.
func Parse(spec string) (*Keyring, error) {
	k := &Keyring{keys: map[string][]byte{}}
	for i, part := range strings.Split(strings.TrimSpace(spec), ",") {
		id, b64, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok || id == "" || strings.ContainsAny(id, ".: ") {
			return nil, fmt.Errorf("secret: key %d: want kid:base64key", i+1)
		}
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(key) != 32 {
			return nil, fmt.Errorf("secret: key %q: want 32 bytes in standard base64", id)
		}
		if _, dup := k.keys[id]; dup {
			return nil, fmt.Errorf("secret: key id %q repeated", id)
		}
		if i == 0 {
			k.currentID = id
		}
		k.keys[id] = key
	}
	return k, nil
}

// Generate makes a spec with one fresh random key.
func Generate(id string) string {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		panic(err)
	}
	return id + ":" + base64.StdEncoding.EncodeToString(key)
}

// LoadOrCreateDevKey reads path, creating it with a fresh key first if it does not exist.
func LoadOrCreateDevKey(path string) (*Keyring, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		spec := Generate("dev1")
		if err := os.WriteFile(path, []byte(spec+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("secret: write dev key: %w", err)
		}
		b = []byte(spec)
	} else if err != nil {
		return nil, fmt.Errorf("secret: read dev key: %w", err)
	}
	return Parse(string(b))
}

// CurrentID is the id of the key that seals new values.
func (k *Keyring) CurrentID() string { return k.currentID }

// Seal encrypts plaintext; aad binds it to its context (e.g. "integration:42").
// The result is "kid.base64(nonce|ciphertext)".
func (k *Keyring) Seal(plaintext, aad []byte) (string, error) {
	gcm, err := newGCM(k.keys[k.currentID])
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := gcm.Seal(nonce, nonce, plaintext, aad)
	return k.currentID + "." + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts a value made by Seal with any key of the ring.
func (k *Keyring) Open(sealed string, aad []byte) ([]byte, error) {
	id, b64, ok := strings.Cut(sealed, ".")
	key, known := k.keys[id]
	if !ok || !known {
		return nil, ErrUndecryptable
	}
	raw, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil {
		return nil, ErrUndecryptable
	}
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if len(raw) < gcm.NonceSize() {
		return nil, ErrUndecryptable
	}
	pt, err := gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], aad)
	if err != nil {
		return nil, ErrUndecryptable
	}
	return pt, nil
}

// Derive returns a stable hex secret for label, derived from the current key (HMAC-SHA256).
// The database password of the app role is derived this way, so it needs no storage.
func (k *Keyring) Derive(label string) string {
	m := hmac.New(sha256.New, k.keys[k.currentID])
	m.Write([]byte(label))
	return hex.EncodeToString(m.Sum(nil))
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return cipher.NewGCM(block)
}
