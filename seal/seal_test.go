package seal

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSealOpen(t *testing.T) {
	k, created, err := LoadOrCreateKeyFile(filepath.Join(t.TempDir(), "k", "key"))
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	msg := []byte("Subject: secret\r\n\r\nbody")
	s := k.Seal(msg, []byte("id1"))
	if bytes.Contains(s, []byte("secret")) {
		t.Fatal("plaintext visible in sealed data")
	}
	got, err := k.Open(s, []byte("id1"))
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := k.Open(s, []byte("id2")); err == nil {
		t.Fatal("opened with other additional data")
	}
}

func TestWrongKeyDetected(t *testing.T) {
	dir := t.TempDir()
	a, _, _ := LoadOrCreateKeyFile(filepath.Join(dir, "a"))
	b, _, _ := LoadOrCreateKeyFile(filepath.Join(dir, "b"))
	if err := a.Verify(a.Check()); err != nil {
		t.Fatal(err)
	}
	if err := b.Verify(a.Check()); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("want ErrWrongKey, got %v", err)
	}
	if _, err := b.Open(a.Seal([]byte("x"), nil), nil); err == nil {
		t.Fatal("opened with the wrong key")
	}
	// Reloading gives the same key; the file is private.
	a2, created, err := LoadOrCreateKeyFile(filepath.Join(dir, "a"))
	if err != nil || created || !a.Equal(a2) {
		t.Fatalf("reload: %v %v", created, err)
	}
	st, _ := os.Stat(filepath.Join(dir, "a"))
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v", st.Mode().Perm())
	}
	os.WriteFile(filepath.Join(dir, "bad"), []byte("zz"), 0o600)
	if _, err := LoadKeyFile(filepath.Join(dir, "bad")); err == nil {
		t.Fatal("bad key file accepted")
	}
}
