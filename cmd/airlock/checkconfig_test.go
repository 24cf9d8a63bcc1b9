package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckConfigWarnsRetentionNever: "never" is valid, but documents are
// still kept only 30 days; check-config says so and still exits 0.
func TestCheckConfigWarnsRetentionNever(t *testing.T) {
	for _, c := range []struct {
		retention string
		warn      bool
	}{{"never", true}, {"30d", false}} {
		f := filepath.Join(t.TempDir(), "a.yaml")
		if err := os.WriteFile(f, []byte("sandbox:\n  retention: "+c.retention+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := runCmd(t, "", "check-config", f)
		if code != 0 {
			t.Fatalf("retention %s: exit %d\n%s%s", c.retention, code, out, errOut)
		}
		got := strings.Contains(out, "warning: sandbox.retention: never") && strings.Contains(out, "documents are kept 30d")
		if got != c.warn {
			t.Errorf("retention %s: warning shown %v, want %v:\n%s", c.retention, got, c.warn, out)
		}
		if !strings.Contains(out, ": ok") {
			t.Errorf("retention %s: no ok line:\n%s", c.retention, out)
		}
	}
}
