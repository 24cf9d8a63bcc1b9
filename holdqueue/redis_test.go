package holdqueue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/internal/testredis"
	"github.com/airlockmail/airlock/seal"
)

func redisConfig(addr, prefix string) config.RedisStore {
	c := config.DefaultHoldQueue().Redis
	c.Addrs = []string{addr}
	c.Prefix = prefix
	return c
}

func openTestRedis(t testing.TB, addr, prefix string, k *Keys) *Redis {
	t.Helper()
	c := redisConfig(addr, prefix)
	rdb, err := NewRedisClient(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	s, err := OpenRedis(context.Background(), rdb, c, k, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestRedisConformance(t *testing.T) {
	srv := testredis.Start(t, testredis.Options{AOF: true})
	n := 0
	runConformance(t, func(t *testing.T) Store {
		n++ // a prefix per subtest: a fresh, empty queue on the same server
		return openTestRedis(t, srv.Addr(), fmt.Sprintf("t%d", n), testKeys(t))
	})
}

// recording wraps a store to remember what Hold acknowledged.
type recording struct {
	Store
	prefix  string
	keys    *Keys
	mu      sync.Mutex
	held    []string
	deleted map[string]bool
	purged  bool
}

func (r *recording) setClock(f func() time.Time) { r.Store.(clocked).setClock(f) }

func (r *recording) Hold(ctx context.Context, m *NewMessage) (string, error) {
	id, err := r.Store.Hold(ctx, m)
	if err == nil {
		r.mu.Lock()
		r.held = append(r.held, id)
		r.mu.Unlock()
	}
	return id, err
}

func (r *recording) Delete(ctx context.Context, id, actor, reason string) error {
	err := r.Store.Delete(ctx, id, actor, reason)
	if err == nil {
		r.mu.Lock()
		r.deleted[id] = true
		r.mu.Unlock()
	}
	return err
}

func (r *recording) Purge(ctx context.Context, st State, before time.Time) (int, error) {
	r.mu.Lock()
	r.purged = true // what it removes is gone on purpose
	r.mu.Unlock()
	return r.Store.Purge(ctx, st, before)
}

// The suite against an AOF Redis that is SIGKILLed and restarted in the
// middle of the run (between subtests, and again at the end): every hold
// acknowledged before a kill is still there, whole, after it; the scripts,
// gone from the restarted server's cache, are reloaded transparently.
func TestRedisConformanceKilledMidRun(t *testing.T) {
	srv := testredis.Start(t, testredis.Options{AOF: true})
	var stores []*recording
	verify := func(t *testing.T) {
		t.Helper()
		ctx := context.Background()
		checked := 0
		for _, r := range stores {
			if r.purged {
				continue
			}
			s := openTestRedis(t, srv.Addr(), r.prefix, r.keys)
			for _, id := range r.held {
				if _, err := s.Get(ctx, id); err != nil {
					t.Fatalf("acknowledged hold %s (%s) lost after SIGKILL: %v", id, r.prefix, err)
				}
				if !r.deleted[id] {
					if _, err := s.Body(ctx, id); err != nil {
						t.Fatalf("body of acknowledged hold %s lost after SIGKILL: %v", id, err)
					}
				}
				checked++
			}
		}
		t.Logf("%d acknowledged holds present after SIGKILL and restart", checked)
	}
	n := 0
	runConformance(t, func(t *testing.T) Store {
		n++
		if n == 6 {
			srv.Kill()
			srv.Restart()
			verify(t)
		}
		r := &recording{prefix: fmt.Sprintf("t%d", n), keys: testKeys(t), deleted: map[string]bool{}}
		r.Store = openTestRedis(t, srv.Addr(), r.prefix, r.keys)
		stores = append(stores, r)
		return r
	})
	srv.Kill()
	srv.Restart()
	verify(t)
}

// Holds run while the server is SIGKILLed and restarted: every hold that
// returned success is still there, whole, afterwards.
func TestRedisKillDuringHolds(t *testing.T) {
	srv := testredis.Start(t, testredis.Options{AOF: true})
	k := testKeys(t)
	s := openTestRedis(t, srv.Addr(), "kill", k)
	ctx := context.Background()
	var (
		mu    sync.Mutex
		acked = map[string][]byte{}
		fails atomic.Int64
		stop  atomic.Bool
		wg    sync.WaitGroup
	)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				m := testMessage(w*100000+i, sha(fmt.Sprint(i%7)))
				m.Data = append(bytes.Repeat([]byte("x"), 2000), m.Data...)
				cctx, cancel := context.WithTimeout(ctx, time.Second)
				id, err := s.Hold(cctx, m)
				cancel()
				if err != nil {
					fails.Add(1)
					time.Sleep(10 * time.Millisecond)
					continue
				}
				mu.Lock()
				acked[id] = m.Data
				mu.Unlock()
			}
		}()
	}
	waitAcked := func(n int) {
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			mu.Lock()
			l := len(acked)
			mu.Unlock()
			if l >= n {
				return
			}
		}
		t.Fatalf("fewer than %d holds acknowledged", n)
	}
	waitAcked(300)
	srv.Kill() // mid-run: writers are in flight
	// Down long enough that the client's retries give up: those holds
	// must fail (the sender keeps the mail), never be acknowledged.
	time.Sleep(2500 * time.Millisecond)
	srv.Restart()
	mu.Lock()
	before := len(acked)
	mu.Unlock()
	waitAcked(before + 200)
	stop.Store(true)
	wg.Wait()
	srv.Kill()
	srv.Restart()
	if fails.Load() == 0 {
		t.Fatal("no hold failed: the kill did not land mid-run")
	}
	for id, data := range acked {
		b, err := s.Body(ctx, id)
		if err != nil {
			t.Fatalf("acknowledged hold %s lost: %v", id, err)
		}
		if !bytes.Equal(b, data) {
			t.Fatalf("acknowledged hold %s changed", id)
		}
		if _, err := s.Get(ctx, id); err != nil {
			t.Fatalf("acknowledged hold %s: %v", id, err)
		}
	}
	t.Logf("%d holds acknowledged, all present after two SIGKILLs; %d failed while the server was down", len(acked), fails.Load())
}

func TestRedisRefusesNoFsync(t *testing.T) {
	srv := testredis.Start(t, testredis.Options{})
	c := redisConfig(srv.Addr(), "nofsync")
	rdb, _ := NewRedisClient(c)
	defer rdb.Close()
	_, err := OpenRedis(context.Background(), rdb, c, testKeys(t), quietLog())
	if err == nil || !strings.Contains(err.Error(), "appendfsync") {
		t.Fatalf("want refusal naming appendfsync, got %v", err)
	}
	c.AcceptNoFsync = true
	s, err := OpenRedis(context.Background(), rdb, c, testKeys(t), quietLog())
	if err != nil {
		t.Fatalf("accept_no_fsync: %v", err)
	}
	s.Close()
}

func TestRedisSealedAndWrongKey(t *testing.T) {
	srv := testredis.Start(t, testredis.Options{AOF: true})
	s := openTestRedis(t, srv.Addr(), "sealed", testKeys(t))
	ctx := context.Background()
	if _, err := s.Hold(ctx, testMessage(1, sha("a"))); err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	var dump bytes.Buffer
	for _, k := range keys {
		dump.WriteString(k)
		b, _ := rdb.Dump(ctx, k).Bytes()
		dump.Write(b)
	}
	for _, secret := range []string{"TOPSECRETBODY", "secret-subject", "alice1", "sender.example", "corp.example", "invoice1.zip", sha("a")} {
		if bytes.Contains(bytes.ToLower(dump.Bytes()), []byte(strings.ToLower(secret))) {
			t.Errorf("redis holds %q in clear", secret)
		}
	}
	c := redisConfig(srv.Addr(), "sealed")
	_, err = OpenRedis(ctx, rdb, c, testKeys(t), quietLog())
	if !errors.Is(err, seal.ErrWrongKey) {
		t.Fatalf("open with another key: %v", err)
	}
}

// With replicas configured, a hold returns only once they have it; with
// the replica gone it fails (and the sender keeps the mail).
func TestRedisWaitReplicas(t *testing.T) {
	// No 5s wait for more replicas before the first sync.
	primary := testredis.Start(t, testredis.Options{AOF: true, Args: []string{"--repl-diskless-sync-delay", "0"}})
	replica := testredis.Start(t, testredis.Options{AOF: true, Args: []string{"--replicaof", "127.0.0.1", strings.Split(primary.Addr(), ":")[1]}})
	c := redisConfig(primary.Addr(), "wait")
	c.WaitReplicas = 1
	c.WaitTimeout = 500 * time.Millisecond
	rdb, _ := NewRedisClient(c)
	defer rdb.Close()
	s, err := OpenRedis(context.Background(), rdb, c, testKeys(t), quietLog())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	rr := redis.NewClient(&redis.Options{Addr: replica.Addr()})
	defer rr.Close()
	// The replica syncs asynchronously after start: wait until it is up.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		info, _ := rr.Info(ctx, "replication").Result()
		if strings.Contains(info, "master_link_status:up") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica never linked:\n%s", info)
		}
	}
	id, err := s.Hold(ctx, testMessage(1, sha("a")))
	if err != nil {
		t.Fatalf("hold with the replica up: %v", err)
	}
	if n, _ := rr.Exists(ctx, "{wait}:b:"+id).Result(); n != 1 {
		t.Fatal("acknowledged hold not on the replica")
	}
	replica.Kill()
	if _, err := s.Hold(ctx, testMessage(2, sha("a"))); err == nil || !strings.Contains(err.Error(), "replicas acknowledged") {
		t.Fatalf("hold without the replica: %v", err)
	}
}
