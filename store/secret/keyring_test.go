package secret

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSealOpenAndRotate(t *testing.T) {
	t.Parallel()
	old, err := Parse(Generate("k1"))
	require.NoError(t, err)
	sealed, err := old.Seal([]byte("sk_live_123"), []byte("integration:7"))
	require.NoError(t, err)
	require.NotContains(t, sealed, "sk_live")

	// Rotation: a new current key, the old one kept for reading.
	rotated, err := Parse(Generate("k2") + ",k1:" + sealedKey(old))
	require.NoError(t, err)
	pt, err := rotated.Open(sealed, []byte("integration:7"))
	require.NoError(t, err)
	require.Equal(t, "sk_live_123", string(pt))
	resealed, err := rotated.Seal(pt, []byte("integration:7"))
	require.NoError(t, err)
	require.Equal(t, "k2", resealed[:2])

	_, err = rotated.Open(sealed, []byte("integration:8"))
	require.ErrorIs(t, err, ErrUndecryptable, "bound to its context")
	_, err = rotated.Open("k9.AAAA", nil)
	require.ErrorIs(t, err, ErrUndecryptable)
}

func sealedKey(k *Keyring) string {
	return encodeKey(k.keys[k.currentID])
}

func TestParseRejectsBadKeys(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{"", "nokey", "k1:short", "k1:" + encodeKey(make([]byte, 32)) + ",k1:" + encodeKey(make([]byte, 32))} {
		_, err := Parse(spec)
		require.Error(t, err, spec)
	}
}

func TestDevKeyPersists(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "secret.key")
	a, err := LoadOrCreateDevKey(path)
	require.NoError(t, err)
	b, err := LoadOrCreateDevKey(path)
	require.NoError(t, err)
	require.Equal(t, a.Derive("x"), b.Derive("x"))
}
