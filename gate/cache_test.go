package gate

import (
	"testing"
	"time"
)

// The verdict cache holds at most its size, drops the least recently
// used hash first, and stops trusting an entry after its TTL.
func TestVerdictCache(t *testing.T) {
	now := time.Now()
	c := newCache(2, time.Minute)
	for _, s := range []string{"a", "b"} {
		c.put(judged{sha: s}, now)
	}
	c.get("a", now) // a is now the most recently used
	c.put(judged{sha: "c"}, now)
	if _, ok := c.get("b", now); ok {
		t.Error("b (least recently used) still cached")
	}
	for _, s := range []string{"a", "c"} {
		if _, ok := c.get(s, now); !ok {
			t.Errorf("%s dropped", s)
		}
	}
	if _, ok := c.get("a", now.Add(2*time.Minute)); ok {
		t.Error("entry trusted past its TTL")
	}
}
