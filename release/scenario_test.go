package release

import (
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/deliver"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/internal/smtpsink"
	"github.com/airlockmail/airlock/internal/testredis"
	"github.com/airlockmail/airlock/verdict"
)

// The scenario runs release loops as separate processes: this test binary,
// re-executed with AIRLOCK_RELEASE_HELPER set, becomes one loop.
func TestMain(m *testing.M) {
	if os.Getenv("AIRLOCK_RELEASE_HELPER") == "1" {
		os.Exit(helperMain())
	}
	os.Exit(m.Run())
}

func helperMain() int {
	raw, err := hex.DecodeString(os.Getenv("AIRLOCK_HELPER_KEY"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	keys, err := holdqueue.NewKeys(raw)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	rc := config.DefaultHoldQueue().Redis
	rc.Addrs = []string{os.Getenv("AIRLOCK_HELPER_REDIS")}
	rc.Prefix = "scenario"
	rdb, err := holdqueue.NewRedisClient(rc)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	store, err := holdqueue.OpenRedis(ctx, rdb, rc, keys, quiet())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	dc := config.DefaultDeliver()
	dc.NextHop = os.Getenv("AIRLOCK_HELPER_SINK")
	dc.StartTLS = config.StartTLSNone
	dc.HeloName = "airlock.test"
	d := deliver.New(dc, releaseKey, quiet())
	rel := testRelease()
	rel.Workers = 8
	loop := New(store, d, config.DefaultPolicy(), rel, os.Getenv("AIRLOCK_HELPER_NODE"), quiet())
	fmt.Println("ready")
	loop.Run(ctx)
	return 0
}

// startLoopProcess runs one release loop in its own process.
func startLoopProcess(t *testing.T, node, redisAddr, sinkAddr string, key []byte) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		"AIRLOCK_RELEASE_HELPER=1",
		"AIRLOCK_HELPER_KEY="+hex.EncodeToString(key),
		"AIRLOCK_HELPER_REDIS="+redisAddr,
		"AIRLOCK_HELPER_SINK="+sinkAddr,
		"AIRLOCK_HELPER_NODE="+node,
	)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
		}
	})
	return cmd
}

// 1,000 messages over 100 hashes, verdicts in random order, two release
// loops in two processes on one Redis, one SIGKILLed halfway: every
// message ends delivered exactly once (duplicates counted) or quarantined
// as its verdicts say.
func TestScenarioTwoLoopsOneKilled(t *testing.T) {
	const nMsgs, nHashes = 1000, 100
	srv := testredis.Start(t, testredis.Options{AOF: true})
	sink := smtpsink.Start(t, smtpsink.Options{})
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i * 7)
	}
	keys, err := holdqueue.NewKeys(key)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rc := config.DefaultHoldQueue().Redis
	rc.Addrs = []string{srv.Addr()}
	rc.Prefix = "scenario"
	rdb, err := holdqueue.NewRedisClient(rc)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	store, err := holdqueue.OpenRedis(ctx, rdb, rc, keys, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()

	rng := rand.New(rand.NewPCG(1, 2))
	bad := func(h int) bool { return h%10 == 0 }
	want := map[string]holdqueue.State{}
	wantDelivered := 0
	for i := range nMsgs {
		var hs []string
		st := holdqueue.Delivered
		for range 1 + rng.IntN(3) {
			h := rng.IntN(nHashes)
			hs = append(hs, sha(fmt.Sprint("hash", h)))
			if bad(h) {
				st = holdqueue.Quarantined
			}
		}
		id := hold(t, store, message(i, time.Now().Add(time.Hour), hs...))
		want[id] = st
		if st == holdqueue.Delivered {
			wantDelivered++
		}
	}

	a := startLoopProcess(t, "loop-a", srv.Addr(), sink.Addr(), key)
	startLoopProcess(t, "loop-b", srv.Addr(), sink.Addr(), key)

	killed := make(chan int, 1)
	go func() {
		// SIGKILL loop A halfway through the deliveries: mid-delivery,
		// with leases held.
		for sink.Count() < wantDelivered/2 {
			time.Sleep(2 * time.Millisecond)
		}
		a.Process.Kill()
		a.Wait()
		killed <- sink.Count()
	}()
	for _, h := range rng.Perm(nHashes) {
		v := verdict.Clean
		if bad(h) {
			v = verdict.Malicious
		}
		if _, err := store.ApplyVerdict(ctx, sha(fmt.Sprint("hash", h)), v, ""); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}

	deadline := time.Now().Add(50 * time.Second)
	for {
		c, err := store.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c.ByState[holdqueue.Delivered]+c.ByState[holdqueue.Quarantined] == nMsgs {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not finished: %v", c.ByState)
		}
		time.Sleep(20 * time.Millisecond)
	}
	atKill := <-killed

	seen := map[string]int{}
	for _, m := range sink.Messages() {
		seen[header(m.Data, deliver.FieldQueueID)]++
	}
	dups, takenOver := 0, 0
	for id, st := range want {
		m, err := store.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range m.History {
			if strings.Contains(e.Reason, "lease expired") {
				takenOver++ // loop A died holding it; loop B finished it
			}
		}
		if m.State != st {
			t.Errorf("%s: %s, want %s", id, m.State, st)
		}
		switch {
		case st == holdqueue.Delivered && seen[id] == 0:
			t.Errorf("%s delivered in the store but never reached the sink", id)
		case st == holdqueue.Quarantined && seen[id] > 0:
			t.Errorf("%s quarantined but reached the sink", id)
		case seen[id] > 1:
			dups += seen[id] - 1
		}
	}
	t.Logf("%d messages: %d delivered, %d quarantined; loop A killed at %d deliveries; %d taken over after A's lease expired; %d duplicate deliveries (%.2f%%)",
		nMsgs, wantDelivered, nMsgs-wantDelivered, atKill, takenOver, dups, 100*float64(dups)/float64(nMsgs))
	if dups*100 >= nMsgs {
		t.Fatalf("%d duplicates: at-least-once allows some, but not 1%% or more", dups)
	}
}
