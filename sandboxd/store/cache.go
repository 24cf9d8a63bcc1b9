package store

import (
	"bytes"
	"sync"
)

// decodeCache remembers decoded records by hash together with the stored
// bytes they came from. A hit needs the stored bytes to be equal, so the
// cache can never serve a stale record (another process's write changes
// the bytes); it only saves the JSON decoding, which is most of a lookup's
// cost. Records it returns are shared: callers must not modify them.
type decodeCache struct {
	mu  sync.RWMutex
	max int
	m   map[string]cached
}

type cached struct {
	raw []byte
	rec *Record
}

// newDecodeCache makes a cache of up to max records; max < 0 disables it.
func newDecodeCache(max int) *decodeCache {
	if max == 0 {
		max = 65536
	}
	if max < 0 {
		return nil
	}
	return &decodeCache{max: max, m: make(map[string]cached)}
}

// get returns the record for raw, decoding (and remembering) on a miss.
func (c *decodeCache) get(sha string, raw []byte) (*Record, error) {
	if c != nil {
		c.mu.RLock()
		e, ok := c.m[sha]
		c.mu.RUnlock()
		if ok && bytes.Equal(e.raw, raw) {
			return e.rec, nil
		}
	}
	r, err := decodeRecord(string(raw))
	if err != nil || c == nil {
		return r, err
	}
	c.mu.Lock()
	if len(c.m) >= c.max {
		// Drop an arbitrary entry (map order): cheap and good enough for a
		// cache whose misses cost one JSON decode.
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[sha] = cached{raw: bytes.Clone(raw), rec: r}
	c.mu.Unlock()
	return r, nil
}
