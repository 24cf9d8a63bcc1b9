package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/airlockmail/airlock/internal/testredis"
	"github.com/airlockmail/airlock/sandboxd/api"
)

// Every key the store writes starts with the configured prefix, and the
// client has the settings the store relies on (docs/libraries.md: without
// ContextTimeoutEnabled a context deadline does not bound a read).
func TestRedisKeysUnderPrefixAndClientSettings(t *testing.T) {
	srv := testredis.Start(t, testredis.Options{})
	c := NewRedisClient(redisOptions(srv.Addr()))
	t.Cleanup(func() { c.Close() })
	if !c.(*redis.Client).Options().ContextTimeoutEnabled {
		t.Fatal("NewRedisClient does not set ContextTimeoutEnabled")
	}
	ctx := context.Background()
	const prefix = "{tenant-x}:sandboxd:"
	s, err := OpenRedis(ctx, RedisOptions{Client: c, Prefix: prefix, ClaimTimeout: time.Second, EventsKept: 10})
	if err != nil {
		t.Fatal(err)
	}
	submit(t, s, 0, "a")
	must(t, s.Enqueue(ctx, Job{SHA256: hash(1), NotBefore: time.Now().Add(time.Hour)}))
	s.Update(ctx, hash(0), func(r *Record) (*Event, error) {
		return &Event{Event: api.Event{Kind: api.EventVerdict, SHA256: r.SHA256}}, nil
	})
	s.SwapMeta(ctx, "engine", "x")
	j := claim(t, s, time.Second)
	must(t, s.Ack(ctx, j))
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) < 5 {
		t.Fatalf("only %d keys written: %v", len(keys), keys)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			t.Errorf("key %q is outside the prefix %q", k, prefix)
		}
	}
	// A claim with nothing queued returns within its wait (a zero Block
	// would wait for ever).
	ctx2, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if j, err := s.Claim(ctx2, "c", 50*time.Millisecond); err != nil || j != nil {
		t.Errorf("claim on an empty queue: %v %v", j, err)
	}
}
