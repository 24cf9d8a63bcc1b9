package holdqueue

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/airlockmail/airlock/seal"
)

func testKeys(t testing.TB) *Keys {
	t.Helper()
	k, err := LoadKeys(filepath.Join(t.TempDir(), "hq.key"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openTestBolt(t testing.TB, path string, k *Keys) *Bolt {
	t.Helper()
	s, err := OpenBolt(path, k, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestBoltConformance(t *testing.T) {
	runConformance(t, func(t *testing.T) Store {
		return openTestBolt(t, filepath.Join(t.TempDir(), "hq.db"), testKeys(t))
	})
}

// A copy of the file reveals no mail, and a wrong key is refused at open.
func TestBoltSealedAndWrongKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hq.db")
	s, err := OpenBolt(path, testKeys(t), quietLog())
	if err != nil {
		t.Fatal(err)
	}
	m := testMessage(1, sha("a"))
	if _, err := s.Hold(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	s.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"TOPSECRETBODY", "secret-subject", "alice1", "Sender.Example", "corp.example", "invoice1.zip", sha("a")} {
		if bytes.Contains(bytes.ToLower(raw), bytes.ToLower([]byte(secret))) {
			t.Errorf("store file contains %q in clear", secret)
		}
	}
	if _, err := OpenBolt(path, testKeys(t), quietLog()); !errors.Is(err, seal.ErrWrongKey) {
		t.Fatalf("open with another key: %v", err)
	}
}
