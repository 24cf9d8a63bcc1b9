package exclusions_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/extract"
	"github.com/airlockmail/airlock/internal/testredis"
	"github.com/airlockmail/airlock/policy"
	"github.com/airlockmail/airlock/policy/exclusions"
	"github.com/airlockmail/airlock/verdict"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

const (
	h1 = "1111111111111111111111111111111111111111111111111111111111111111"
	h2 = "2222222222222222222222222222222222222222222222222222222222222222"
)

// backend opens two stores on one backend: a change made through the
// first must reach subscribers of the second (for the embedded store the
// two are the same object: one process owns the file).
type backend func(t *testing.T) (a, b exclusions.Store)

func backends() map[string]backend {
	return map[string]backend{
		"embedded": func(t *testing.T) (exclusions.Store, exclusions.Store) {
			s, err := exclusions.OpenBolt(filepath.Join(t.TempDir(), "ex.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s, s
		},
		"redis": func(t *testing.T) (exclusions.Store, exclusions.Store) {
			srv := testredis.Start(t, testredis.Options{AOF: true})
			open := func() exclusions.Store {
				rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true})
				s := exclusions.OpenRedis(rdb, "t", quiet())
				t.Cleanup(func() { s.Close(); rdb.Close() })
				return s
			}
			return open(), open()
		},
	}
}

func waitSignal(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatalf("no change signal after %s", what)
	}
}

func TestStore(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			a, b := open(t)
			sig, err := b.Subscribe(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// No pause here: OpenRedis returned after Redis confirmed the
			// subscription, so the first change is already seen.
			if err := a.Add(ctx, exclusions.Exclusion{SHA256: "not-a-hash", Actor: "x"}); err == nil {
				t.Error("Add accepted a bad hash")
			}
			if err := a.Add(ctx, exclusions.Exclusion{SHA256: strings.ToUpper(h1), Actor: "alice", Reason: "vendor tool", Added: time.Unix(100, 0).UTC()}); err != nil {
				t.Fatal(err)
			}
			waitSignal(t, sig, "add")
			if err := a.Add(ctx, exclusions.Exclusion{SHA256: h2, Actor: "bob", Added: time.Unix(200, 0).UTC()}); err != nil {
				t.Fatal(err)
			}
			waitSignal(t, sig, "second add")
			got, err := b.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0].SHA256 != h2 || got[1].SHA256 != h1 || got[1].Actor != "alice" || got[1].Reason != "vendor tool" {
				t.Fatalf("List = %+v, want h2 then h1 (newest first, lower-cased)", got)
			}
			if err := b.Remove(ctx, h1); err != nil {
				t.Fatal(err)
			}
			waitSignal(t, sig, "remove")
			if err := b.Remove(ctx, h1); !errors.Is(err, exclusions.ErrNotFound) {
				t.Errorf("second Remove = %v, want ErrNotFound", err)
			}
			got, _ = a.List(ctx)
			if len(got) != 1 || got[0].SHA256 != h2 {
				t.Errorf("after remove: %+v", got)
			}
		})
	}
}

// TestWatchAppliesToPolicy: a hash added on one node becomes an allowed
// hash in the policy the other node's gate uses, without a restart.
func TestWatchAppliesToPolicy(t *testing.T) {
	for name, open := range backends() {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			a, b := open(t)
			base, err := policy.New(config.DefaultPolicy())
			if err != nil {
				t.Fatal(err)
			}
			var cur atomic.Pointer[policy.Policy]
			applied := make(chan struct{}, 16)
			err = exclusions.Watch(ctx, b, exclusions.WatchConfig{Base: base, Apply: func(p *policy.Policy) {
				cur.Store(p)
				applied <- struct{}{}
			}, Reread: time.Hour}, quiet())
			if err != nil {
				t.Fatal(err)
			}
			<-applied
			f := &extract.File{Name: "tool.exe", SHA256: h1, Category: verdict.Executable, SniffedType: "application/vnd.microsoft.portable-executable"}
			if d := cur.Load().File(f); d.Action != policy.Sandbox {
				t.Fatalf("before: %s, want sandbox", d.Action)
			}
			if err := a.Add(ctx, exclusions.Exclusion{SHA256: h1, Actor: "alice"}); err != nil {
				t.Fatal(err)
			}
			deadline := time.After(5 * time.Second)
			for cur.Load().File(f).Action != policy.Allow {
				select {
				case <-applied:
				case <-deadline:
					t.Fatal("exclusion not applied to the policy")
				}
			}
			if err := a.Remove(ctx, h1); err != nil {
				t.Fatal(err)
			}
			for cur.Load().File(f).Action != policy.Sandbox {
				select {
				case <-applied:
				case <-deadline:
					t.Fatal("removal not applied to the policy")
				}
			}
		})
	}
}
