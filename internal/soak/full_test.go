//go:build soak

package soak

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestSoakFull is the long campaign (./scripts/soak): by default 10,000
// messages over 10 minutes while every part is killed in turn.
func TestSoakFull(t *testing.T) {
	seed := *flagSeed
	if seed == 0 {
		seed = time.Now().UnixNano() % 1_000_000
	}
	out := *flagReport
	if out == "" {
		out = filepath.Join(os.TempDir(), fmt.Sprintf("soak-report-%d.md", seed))
	}
	r := Run(t, Options{Seed: seed, Count: *flagCount, Duration: *flagDuration, Senders: 96, Faults: *flagFaults,
		HoldTimeout: 5 * time.Minute, Drain: 8 * time.Minute, Report: out,
		KeepLogs: filepath.Join(os.TempDir(), fmt.Sprintf("soak-logs-%d", seed))})
	fmt.Println(r.Markdown)
	t.Logf("report written to %s", out)
	check(t, r)
}
