package holdqueue

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/airlockmail/airlock/internal/testredis"
)

// The suite through a real Sentinel: the universal client with a master
// name finds the master by asking the sentinel.
func TestRedisSentinelConformance(t *testing.T) {
	master := testredis.Start(t, testredis.Options{AOF: true})
	sentinel := startSentinel(t, master.Addr())
	n := 0
	runConformance(t, func(t *testing.T) Store {
		n++
		c := redisConfig(sentinel, fmt.Sprintf("s%d", n))
		c.MasterName = "airlock-test"
		rdb, err := NewRedisClient(c)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rdb.Close() })
		s, err := OpenRedis(context.Background(), rdb, c, testKeys(t), quietLog())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// startSentinel runs redis-server in sentinel mode watching master, and
// returns its address once it knows the master.
func startSentinel(t *testing.T, master string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	host, mport, _ := net.SplitHostPort(master)
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor airlock-test %s %s 1\nsentinel down-after-milliseconds airlock-test 2000\n",
		port, dir, host, mport)), 0o600)
	cmd := exec.Command("redis-server", conf, "--sentinel", "--logfile", filepath.Join(dir, "sentinel.log"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	sc := redis.NewSentinelClient(&redis.Options{Addr: addr})
	defer sc.Close()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		a, err := sc.GetMasterAddrByName(context.Background(), "airlock-test").Result()
		if err == nil && strings.Join(a, ":") == master {
			return addr
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "sentinel.log"))
			t.Fatalf("sentinel does not know the master: %v %v\n%s", a, err, log)
		}
	}
}
