// Package seal encrypts data at rest for the stores (held mail, samples):
// AES-256-GCM with a 32-byte key kept in a file named in the config.
//
// A store records the key's check value (an HMAC of a fixed label, which
// reveals nothing of the key) when it is created, and compares it when it is
// opened, so a wrong key is a clear start-up error, never garbage.
package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the key length in bytes (AES-256).
const KeySize = 32

// Key is an AES-256-GCM key.
type Key struct {
	aead  cipher.AEAD
	check []byte
}

// ErrWrongKey says the store was sealed with another key.
var ErrWrongKey = errors.New("encryption key does not match the one this store was created with")

// NewKey builds a Key from 32 raw bytes.
func NewKey(raw []byte) (*Key, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("key is %d bytes, want %d", len(raw), KeySize)
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, raw)
	m.Write([]byte("airlock key check v1"))
	return &Key{aead: aead, check: m.Sum(nil)[:16]}, nil
}

// LoadKeyFile reads a key file: 64 hex digits (and optional whitespace).
func LoadKeyFile(path string) (*Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	raw, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("key file %s: not hex: %w", path, err)
	}
	k, err := NewKey(raw)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return k, nil
}

// LoadOrCreateKeyFile reads the key file, or creates it (mode 0600) with a
// fresh random key when it does not exist. created says which happened.
func LoadOrCreateKeyFile(path string) (k *Key, created bool, err error) {
	k, err = LoadKeyFile(path)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return k, false, err
	}
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, false, fmt.Errorf("create key file: %w", err)
	}
	if _, err := fmt.Fprintf(f, "%s\n", hex.EncodeToString(raw)); err != nil {
		f.Close()
		return nil, false, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, false, err
	}
	if err := f.Close(); err != nil {
		return nil, false, err
	}
	k, err = NewKey(raw)
	return k, true, err
}

// Check is the key's check value, safe to store beside the data.
func (k *Key) Check() []byte { return append([]byte(nil), k.check...) }

// Verify compares a stored check value with this key's.
func (k *Key) Verify(stored []byte) error {
	if !hmac.Equal(stored, k.check) {
		return ErrWrongKey
	}
	return nil
}

// Seal encrypts plaintext; ad (additional data, e.g. the record's id) is
// authenticated but not stored, so a record moved to another id fails to
// open. The output is nonce || ciphertext || tag.
func (k *Key) Seal(plaintext, ad []byte) []byte {
	out := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plaintext)+k.aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		panic("seal: no randomness: " + err.Error())
	}
	return k.aead.Seal(out, out, plaintext, ad)
}

// Open decrypts what Seal produced with the same ad.
func (k *Key) Open(sealed, ad []byte) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(sealed) < n+k.aead.Overhead() {
		return nil, errors.New("seal: sealed data too short")
	}
	pt, err := k.aead.Open(nil, sealed[:n], sealed[n:], ad)
	if err != nil {
		return nil, fmt.Errorf("seal: cannot decrypt (wrong key or corrupt data): %w", err)
	}
	return pt, nil
}

// Equal reports whether two keys are the same key.
func (k *Key) Equal(o *Key) bool { return bytes.Equal(k.check, o.check) }
