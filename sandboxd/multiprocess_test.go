package sandboxd

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/airlockmail/airlock/internal/testredis"
	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/eicar"
	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/sandboxd/store"
	"github.com/airlockmail/airlock/verdict"
)

// The multi-process test re-executes the test binary as a sandboxd child
// (TestMain sees SANDBOXD_CHILD), so that it can be SIGKILLed like a real
// process.
func TestMain(m *testing.M) {
	if os.Getenv("SANDBOXD_CHILD") == "1" {
		if err := runChild(); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const childPrefix = "{mp}:"

// countingAnalyzer takes a little time per file and counts, per hash, how
// often an analysis started (in Redis, outside the store's prefix, so that
// the count survives the process).
type countingAnalyzer struct {
	rdb   redis.UniversalClient
	node  string
	delay time.Duration
}

func (countingAnalyzer) Name() string                { return "counting" }
func (countingAnalyzer) Version() string             { return "1" }
func (countingAnalyzer) Accepts(*analyzer.File) bool { return true }
func (a countingAnalyzer) Analyze(ctx context.Context, f *analyzer.File) (analyzer.Result, error) {
	if err := a.rdb.HIncrBy(ctx, "test:started", f.SHA256, 1).Err(); err != nil {
		return analyzer.Result{}, err
	}
	a.rdb.HIncrBy(ctx, "test:by-node", a.node, 1)
	// Say that this node is mid-analysis, so that the test kills it then.
	running := "test:running:" + a.node
	a.rdb.HSet(ctx, running, f.SHA256, 1)
	defer a.rdb.HDel(context.WithoutCancel(ctx), running, f.SHA256)
	select {
	case <-time.After(a.delay):
	case <-ctx.Done():
		return analyzer.Result{}, ctx.Err()
	}
	return analyzer.Result{}, nil
}

func runChild() error {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	rdb := store.NewRedisClient(redis.UniversalOptions{Addrs: []string{os.Getenv("REDIS_ADDR")}})
	st, err := store.OpenRedis(ctx, store.RedisOptions{Client: rdb, Prefix: childPrefix, ClaimTimeout: 3 * time.Second})
	if err != nil {
		return err
	}
	cfg := testConfig()
	cfg.Workers = 2
	d, err := New(ctx, Options{Config: cfg, Store: st, Key: testKey, Tokens: testTokens(), Node: os.Getenv("NODE"),
		Analyzers: []analyzer.Analyzer{eicar.New(), countingAnalyzer{rdb: rdb, node: os.Getenv("NODE"), delay: 5 * time.Millisecond}}})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("LISTEN %s\n", ln.Addr())
	return d.Serve(ctx, ln)
}

type child struct {
	cmd  *exec.Cmd
	addr string
}

func startChild(t *testing.T, redisAddr, node string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SANDBOXD_CHILD=1", "REDIS_ADDR="+redisAddr, "NODE="+node)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "LISTEN ") {
		t.Fatalf("child %s did not start: %q %v", node, line, err)
	}
	return &child{cmd: cmd, addr: strings.TrimSpace(strings.TrimPrefix(line, "LISTEN "))}
}

// Two sandboxd processes share one Redis queue of 1,000 files; one is
// SIGKILLed mid-run. Every file must end with exactly one stored analysis
// (Record.Analyses == 1) and none may be lost. Analyses that the kill
// interrupted are run again by the survivor (after claim_timeout): that
// is at-least-once for the analyzer run, exactly-once for the verdict, and
// the test reports how many runs were repeated.
func TestTwoProcessesShareQueueAndSurviveKill(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test skipped in -short mode")
	}
	const n = 1000
	// No AOF: what is tested is a sandboxd process dying, not Redis; an
	// fsync per write would only make the test slow.
	srv := testredis.Start(t, testredis.Options{})
	a := startChild(t, srv.Addr(), "node-a")
	b := startChild(t, srv.Addr(), "node-b")
	rdb := store.NewRedisClient(redis.UniversalOptions{Addrs: []string{srv.Addr()}})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	st, err := store.OpenRedis(ctx, store.RedisOptions{Client: rdb, Prefix: childPrefix})
	if err != nil {
		t.Fatal(err)
	}

	// Upload through both processes' APIs, 8 at a time.
	e := &env{t: t, url: "http://" + a.addr}
	ca := e.client(adminToken)
	e.url = "http://" + b.addr
	cb := e.client(adminToken)
	hashes := make([]string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	killed := make(chan struct{})
	go func() {
		// Kill b once the run is well under way (300 analyses started) and
		// while b is analyzing a file.
		defer close(killed)
		for {
			k, _ := rdb.HLen(ctx, "test:started").Result()
			busy, _ := rdb.HLen(ctx, "test:running:node-b").Result()
			if k >= 300 && busy > 0 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		b.cmd.Process.Signal(syscall.SIGKILL)
		b.cmd.Wait()
	}()
	for i := 0; i < n; i++ {
		data := []byte(fmt.Sprintf("shared queue file %04d", i))
		hashes[i] = sha(data)
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			c := ca
			if i%2 == 1 {
				select {
				case <-killed:
				default:
					c = cb
				}
			}
			_, err := c.Upload(ctx, hashes[i], verdict.Other, "", api.Retain30d, bytes.NewReader(data))
			if err != nil && c == cb {
				_, err = ca.Upload(ctx, hashes[i], verdict.Other, "", api.Retain30d, bytes.NewReader(data))
			}
			if err != nil {
				t.Errorf("upload %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	<-killed

	// Wait for every verdict (the survivor takes over b's claimed jobs after
	// claim_timeout).
	deadline := time.Now().Add(90 * time.Second)
	var recs []*store.Record
	for {
		recs, err = st.GetMany(ctx, hashes)
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, r := range recs {
			if r != nil && r.State == api.StateDone {
				done++
			}
		}
		if done == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d files done after 90s", done, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	started, err := rdb.HGetAll(ctx, "test:started").Result()
	if err != nil {
		t.Fatal(err)
	}
	repeated := 0
	for i, r := range recs {
		if r.Analyses != 1 || r.Verdict != verdict.Clean {
			t.Errorf("file %d: %d stored analyses, verdict %s; want exactly 1, clean", i, r.Analyses, r.Verdict)
		}
		switch started[hashes[i]] {
		case "", "0":
			t.Errorf("file %d: verdict stored but no analysis ran", i)
		case "1":
		default:
			repeated++
		}
	}
	if depth, _ := st.QueueDepth(ctx); depth != 0 {
		// Acks follow the verdicts closely; give the survivor a moment.
		time.Sleep(time.Second)
		if depth, _ = st.QueueDepth(ctx); depth != 0 {
			t.Errorf("queue depth %d after all verdicts", depth)
		}
	}
	byNode, _ := rdb.HGetAll(ctx, "test:by-node").Result()
	if byNode["node-a"] == "" || byNode["node-b"] == "" {
		t.Errorf("analyses by node %v: both processes should have taken work", byNode)
	}
	t.Logf("%d files, each verdict stored exactly once; analyses started by node %v; %d analyzer runs repeated after the SIGKILL (interrupted in the killed process)", n, byNode, repeated)
	if repeated > 2 {
		t.Errorf("%d analyses repeated; the killed process had only 2 workers", repeated)
	}
}
