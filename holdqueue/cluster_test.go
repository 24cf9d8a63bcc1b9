package holdqueue

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/airlockmail/airlock/internal/testredis"
)

// The suite on a real three-master Redis Cluster: every key of the queue
// shares the {prefix} hash tag, so the scripts' multi-key steps run on the
// one node that owns that slot.
func TestRedisClusterConformance(t *testing.T) {
	var addrs []string
	for range 3 {
		s := testredis.Start(t, testredis.Options{AOF: true, Args: []string{
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000",
		}})
		addrs = append(addrs, s.Addr())
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	ctx := context.Background()
	for _, a := range addrs {
		c := redis.NewClient(&redis.Options{Addr: a})
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			info, _ := c.ClusterInfo(ctx).Result()
			if strings.Contains(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cluster not ok on %s:\n%s", a, info)
			}
		}
		c.Close()
	}
	n := 0
	runConformance(t, func(t *testing.T) Store {
		n++
		// Prefixes hash to different slots, so the subtests land on
		// different masters.
		c := redisConfig(addrs[0], fmt.Sprintf("c%d", n))
		c.Addrs = addrs
		rdb, err := NewRedisClient(c)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := rdb.(*redis.ClusterClient); !ok {
			t.Fatalf("universal client with %d addrs is %T, want a cluster client", len(addrs), rdb)
		}
		t.Cleanup(func() { rdb.Close() })
		s, err := OpenRedis(ctx, rdb, c, testKeys(t), quietLog())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
