package soak

import (
	"reflect"
	"testing"
	"time"
)

// TestSchedule: a seed replays the same faults; every kind comes once
// before any repeats; faults fall inside the traffic and in order.
func TestSchedule(t *testing.T) {
	for _, tc := range []struct {
		seed int64
		n    int
		d    time.Duration
	}{
		{1, 2, time.Minute}, {7, 5, 10 * time.Minute}, {42, 10, 10 * time.Minute}, {99, 12, 3 * time.Minute},
	} {
		a, b := Schedule(tc.seed, tc.n, tc.d), Schedule(tc.seed, tc.n, tc.d)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("seed %d: two schedules differ:\n%v\n%v", tc.seed, a, b)
		}
		if len(a) != tc.n {
			t.Fatalf("seed %d: %d faults, want %d", tc.seed, len(a), tc.n)
		}
		seen := map[string]int{}
		for i, f := range a {
			seen[f.What]++
			if i < len(faultKinds) && seen[f.What] > 1 {
				t.Errorf("seed %d: %s repeats before every kind came once: %v", tc.seed, f.What, a)
			}
			if f.At <= 0 || f.At >= tc.d {
				t.Errorf("seed %d: fault %d at %s, outside the %s of traffic", tc.seed, i, f.At, tc.d)
			}
			if i > 0 && f.At <= a[i-1].At {
				t.Errorf("seed %d: faults out of order: %v", tc.seed, a)
			}
		}
		if tc.n >= len(faultKinds) && len(seen) != len(faultKinds) {
			t.Errorf("seed %d: kinds %v, want all of %v", tc.seed, seen, faultKinds)
		}
	}
	// Different seeds draw different schedules (over several seeds, not
	// necessarily every pair).
	distinct := map[string]bool{}
	for s := int64(1); s <= 10; s++ {
		f := Schedule(s, 2, time.Minute)
		distinct[f[0].What+"/"+f[1].What] = true
	}
	if len(distinct) < 3 {
		t.Errorf("10 seeds drew only %d distinct two-fault schedules", len(distinct))
	}
}
