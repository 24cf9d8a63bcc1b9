package soak

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/airlockmail/airlock/internal/testpostfix"
)

// check fails the test on what the campaign promises: nothing accepted
// lost, duplicates under 1%, hostile mail decided, EICAR never delivered.
func check(t *testing.T, r *Result) {
	t.Helper()
	a := r.Acct
	if a.Of[Lost] != 0 {
		t.Errorf("%d accepted messages lost", a.Of[Lost])
	}
	if a.Accepted == 0 || a.Of[Delivered] == 0 {
		t.Errorf("nothing accepted or delivered: %+v", a.Of)
	}
	if a.Duplicates*100 >= a.Accepted {
		t.Errorf("%d duplicates of %d accepted: 1%% or more", a.Duplicates, a.Accepted)
	}
	if a.HostileUndecided != 0 {
		t.Errorf("%d hostile messages undecided", a.HostileUndecided)
	}
	if a.BadDelivered != 0 {
		t.Errorf("%d EICAR copies delivered", a.BadDelivered)
	}
}

// TestSoakShort is the campaign CI runs: 1,000 messages through Postfix
// with the milter and through the proxy, two faults from the seeded
// schedule, then the accounting.
func TestSoakShort(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the soak campaign takes minutes")
	}
	if ok, why := testpostfix.Available(); !ok {
		t.Fatalf("soak needs Postfix: %s", why)
	}
	seed := *flagSeed
	if seed == 0 {
		seed = time.Now().UnixNano() % 1_000_000
	}
	r := Run(t, Options{Seed: seed, Count: 1000, Duration: 60 * time.Second, Senders: 48, Faults: 2,
		HoldTimeout: 90 * time.Second, Drain: 2 * time.Minute,
		Report: filepath.Join(t.TempDir(), "soak-report.md")})
	t.Log("\n" + r.Markdown)
	check(t, r)
}
