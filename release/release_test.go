package release

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/deliver"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/internal/smtpsink"
	"github.com/airlockmail/airlock/internal/syncbuf"
	"github.com/airlockmail/airlock/verdict"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func sha(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

var releaseKey = []byte("0123456789abcdef0123456789abcdef")

func testRelease() config.Release {
	c := config.DefaultRelease()
	c.Workers = 4
	c.Lease = 2 * time.Second
	c.Poll = 20 * time.Millisecond
	c.RetryMin = 50 * time.Millisecond
	c.RetryMax = 200 * time.Millisecond
	return c
}

func testDeliverer(t testing.TB, addr string) *deliver.Deliverer {
	c := config.DefaultDeliver()
	c.NextHop = addr
	c.StartTLS = config.StartTLSNone
	c.HeloName = "airlock.test"
	d := deliver.New(c, releaseKey, quiet())
	t.Cleanup(func() { d.Close() })
	return d
}

func message(i int, deadline time.Time, hashes ...string) *holdqueue.NewMessage {
	m := &holdqueue.NewMessage{
		Node:     "n",
		Mode:     holdqueue.ModeMilter,
		Envelope: holdqueue.Envelope{MailFrom: "alice@sender.example", RcptTo: []string{fmt.Sprintf("bob%d@corp.example", i)}},
		Subject:  fmt.Sprint("message ", i),
		Deadline: deadline,
		Data:     []byte(fmt.Sprintf("Subject: message %d\r\n\r\nbody %d\r\n", i, i)),
	}
	for j, h := range hashes {
		m.Files = append(m.Files, holdqueue.File{Path: fmt.Sprint("f", j), SHA256: h, Category: verdict.Executable})
	}
	return m
}

type env struct {
	store *holdqueue.Bolt
	sink  *smtpsink.Sink
	loop  *Loop
}

// start runs a loop on an embedded store against a real SMTP sink.
func start(t *testing.T, policy config.Policy, before ...func(*Loop)) *env {
	t.Helper()
	keys, err := holdqueue.LoadKeys(filepath.Join(t.TempDir(), "k"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := holdqueue.OpenBolt(filepath.Join(t.TempDir(), "hq.db"), keys, quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	sink := smtpsink.Start(t, smtpsink.Options{})
	loop := New(store, testDeliverer(t, sink.Addr()), policy, testRelease(), "node-a", quiet())
	for _, f := range before {
		f(loop)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { loop.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return &env{store: store, sink: sink, loop: loop}
}

// waitState waits until the message reaches st.
func (e *env) waitState(t *testing.T, id string, st holdqueue.State) *holdqueue.Message {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		m, err := e.store.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if m.State == st {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is %s, want %s; history %+v", id, m.State, st, m.History)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func hold(t *testing.T, s holdqueue.Store, m *holdqueue.NewMessage) string {
	t.Helper()
	id, err := s.Hold(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func header(msg []byte, field string) string {
	for _, l := range strings.Split(string(msg), "\r\n") {
		if v, ok := strings.CutPrefix(l, field+": "); ok {
			return v
		}
	}
	return ""
}

func TestVerdictActions(t *testing.T) {
	e := start(t, config.DefaultPolicy())
	ctx := context.Background()
	far := time.Now().Add(time.Hour)
	clean := hold(t, e.store, message(1, far, sha("ok1"), sha("ok2")))
	bad := hold(t, e.store, message(2, far, sha("ok1"), sha("evil")))
	odd := hold(t, e.store, message(3, far, sha("enc")))
	e.store.ApplyVerdict(ctx, sha("ok1"), verdict.Clean, "")
	e.store.ApplyVerdict(ctx, sha("ok2"), verdict.Clean, "")
	e.store.ApplyVerdict(ctx, sha("evil"), verdict.Malicious, "PE: process injection")
	e.store.ApplyVerdict(ctx, sha("enc"), verdict.Unscannable, "encrypted archive")
	e.waitState(t, clean, holdqueue.Delivered)
	m := e.waitState(t, bad, holdqueue.Quarantined) // malicious: reject → quarantine
	if last := m.History[len(m.History)-1]; last.Actor != holdqueue.ActorVerdict || !strings.Contains(last.Reason, "process injection") {
		t.Fatalf("history %+v", last)
	}
	e.waitState(t, odd, holdqueue.Quarantined)
	msgs := e.sink.Messages()
	if len(msgs) != 1 || header(msgs[0].Data, deliver.FieldQueueID) != clean || header(msgs[0].Data, deliver.FieldVerdict) != "clean" {
		t.Fatalf("sink: %d messages", len(msgs))
	}
}

// TestSetPolicy: a reloaded policy (SIGHUP) decides the next message.
func TestSetPolicy(t *testing.T) {
	e := start(t, config.DefaultPolicy())
	ctx := context.Background()
	far := time.Now().Add(time.Hour)
	first := hold(t, e.store, message(1, far, sha("enc1")))
	e.store.ApplyVerdict(ctx, sha("enc1"), verdict.Unscannable, "encrypted archive")
	e.waitState(t, first, holdqueue.Quarantined) // default: unscannable → quarantine
	p := config.DefaultPolicy()
	p.Actions.Unscannable = config.ActionDeliver
	e.loop.SetPolicy(p)
	second := hold(t, e.store, message(2, far, sha("enc2")))
	e.store.ApplyVerdict(ctx, sha("enc2"), verdict.Unscannable, "encrypted archive")
	e.waitState(t, second, holdqueue.Delivered)
}

func TestTimeoutAction(t *testing.T) {
	cases := []struct {
		action string
		want   holdqueue.State
	}{
		{config.ActionDeliver, holdqueue.Delivered},
		{config.ActionQuarantine, holdqueue.Quarantined},
	}
	for _, tc := range cases {
		t.Run(tc.action, func(t *testing.T) {
			p := config.DefaultPolicy()
			p.Hold.TimeoutAction = tc.action
			e := start(t, p)
			id := hold(t, e.store, message(1, time.Now().Add(100*time.Millisecond), sha("slow")))
			m := e.waitState(t, id, tc.want)
			if last := m.History[len(m.History)-1]; last.Actor != holdqueue.ActorTimeout {
				t.Fatalf("actor %q", last.Actor)
			}
			if tc.want == holdqueue.Delivered {
				msgs := e.sink.Messages()
				if len(msgs) != 1 || !strings.HasPrefix(header(msgs[0].Data, deliver.FieldVerdict), "timeout: 1 of 1") {
					t.Fatalf("sink %+v", msgs)
				}
			} else if e.sink.Count() != 0 {
				t.Fatal("quarantined message delivered")
			}
		})
	}
}

func TestAdminReleaseFromQuarantine(t *testing.T) {
	e := start(t, config.DefaultPolicy())
	ctx := context.Background()
	id := hold(t, e.store, message(1, time.Now().Add(time.Hour), sha("fp")))
	e.store.ApplyVerdict(ctx, sha("fp"), verdict.Suspicious, "macro")
	e.waitState(t, id, holdqueue.Quarantined)
	if err := e.store.Release(ctx, id, "admin:carol", "false positive"); err != nil {
		t.Fatal(err)
	}
	e.waitState(t, id, holdqueue.Delivered)
	msgs := e.sink.Messages()
	if len(msgs) != 1 || !strings.HasPrefix(header(msgs[0].Data, deliver.FieldVerdict), "released by admin") {
		t.Fatalf("sink %+v", msgs)
	}
}

func TestPermanentFailureThenRetryFromFailed(t *testing.T) {
	e := start(t, config.DefaultPolicy())
	ctx := context.Background()
	e.sink.FailNext(1, 554, "5.7.1 content rejected")
	id := hold(t, e.store, message(1, time.Now().Add(time.Hour), sha("a")))
	e.store.ApplyVerdict(ctx, sha("a"), verdict.Clean, "")
	m := e.waitState(t, id, holdqueue.Failed)
	if !strings.Contains(m.LastReply, "554") || !strings.Contains(m.LastReply, "content rejected") {
		t.Fatalf("reply kept: %q", m.LastReply)
	}
	if e.sink.Count() != 0 {
		t.Fatal("failed message was accepted")
	}
	if err := e.store.Release(ctx, id, "admin:carol", "retry"); err != nil {
		t.Fatal(err)
	}
	e.waitState(t, id, holdqueue.Delivered)
	if e.sink.Count() != 1 {
		t.Fatalf("sink has %d", e.sink.Count())
	}
}

func TestTemporaryFailureRetries(t *testing.T) {
	e := start(t, config.DefaultPolicy())
	ctx := context.Background()
	e.sink.FailNext(2, 451, "4.3.0 busy")
	id := hold(t, e.store, message(1, time.Now().Add(time.Hour), sha("a")))
	e.store.ApplyVerdict(ctx, sha("a"), verdict.Clean, "")
	m := e.waitState(t, id, holdqueue.Delivered)
	if m.Attempts != 2 || e.sink.Count() != 1 {
		t.Fatalf("attempts %d, sink %d", m.Attempts, e.sink.Count())
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	e := start(t, config.DefaultPolicy(), func(l *Loop) { l.Instrument(NewMetrics(reg, l.store)) })
	ctx := context.Background()
	ok := hold(t, e.store, message(1, time.Now().Add(time.Hour), sha("m-ok")))
	hold(t, e.store, message(2, time.Now().Add(time.Hour), sha("m-wait")))
	e.store.ApplyVerdict(ctx, sha("m-ok"), verdict.Clean, "")
	e.waitState(t, ok, holdqueue.Delivered)
	want := `
# HELP airlock_holdqueue_messages Messages in the hold queue by state.
# TYPE airlock_holdqueue_messages gauge
airlock_holdqueue_messages{state="delivered"} 1
airlock_holdqueue_messages{state="deleted"} 0
airlock_holdqueue_messages{state="failed"} 0
airlock_holdqueue_messages{state="held"} 1
airlock_holdqueue_messages{state="quarantined"} 0
airlock_holdqueue_messages{state="releasing"} 0
# HELP airlock_release_results_total Messages the release loop acted on, by result (delivered, quarantined, failed, retried, lease_lost).
# TYPE airlock_release_results_total counter
airlock_release_results_total{result="delivered"} 1
airlock_release_results_total{result="failed"} 0
airlock_release_results_total{result="lease_lost"} 0
airlock_release_results_total{result="quarantined"} 0
airlock_release_results_total{result="retried"} 0
`
	// The counter is bumped just after the store records the outcome.
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := testutil.GatherAndCompare(reg, strings.NewReader(want), "airlock_holdqueue_messages", "airlock_release_results_total")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n, err := testutil.GatherAndCount(reg, "airlock_holdqueue_up", "airlock_release_held_seconds"); err != nil || n != 2 {
		t.Fatalf("gauges: %d %v", n, err)
	}
}

func TestDecide(t *testing.T) {
	p := config.DefaultPolicy()
	f := func(vs ...verdict.Verdict) []holdqueue.File {
		var out []holdqueue.File
		for _, v := range vs {
			out = append(out, holdqueue.File{Verdict: v})
		}
		return out
	}
	cases := []struct {
		name     string
		m        holdqueue.Message
		timeout  string
		action   string
		actor    string
		sumStart string
	}{
		{"all clean", holdqueue.Message{Files: f(verdict.Clean, verdict.Clean)}, "deliver", "deliver", "verdict", "clean"},
		{"worst decides", holdqueue.Message{Files: f(verdict.Clean, verdict.Suspicious)}, "deliver", "quarantine", "verdict", "suspicious"},
		{"reject becomes quarantine", holdqueue.Message{Files: f(verdict.Malicious)}, "deliver", "quarantine", "verdict", "malicious"},
		{"timeout deliver", holdqueue.Message{Files: f(verdict.Clean, verdict.Unknown)}, "deliver", "deliver", "timeout", "timeout: 1 of 2"},
		{"timeout quarantine", holdqueue.Message{Files: f(verdict.Unknown)}, "quarantine", "quarantine", "timeout", "timeout"},
		{"timeout with a bad file known", holdqueue.Message{Files: f(verdict.Malicious, verdict.Unknown)}, "deliver", "quarantine", "timeout", "timeout"},
		{"admin release", holdqueue.Message{Released: true, Files: f(verdict.Malicious)}, "deliver", "deliver", "admin", "released by admin"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p.Hold.TimeoutAction = tc.timeout
			d := Decide(p, &tc.m)
			if d.Action != tc.action || d.Actor != tc.actor || !strings.HasPrefix(d.Summary, tc.sumStart) {
				t.Fatalf("got %+v", d)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	c := config.DefaultRelease()
	for _, tc := range []struct {
		attempts int
		base     time.Duration
	}{{0, 30 * time.Second}, {1, time.Minute}, {3, 4 * time.Minute}, {10, 15 * time.Minute}} {
		d := Backoff(c, tc.attempts)
		if d < tc.base*9/10 || d > tc.base*11/10 {
			t.Errorf("attempts %d: %s, want about %s", tc.attempts, d, tc.base)
		}
	}
}

// panicOnce is a test double of the next hop: it panics on the first
// delivery of the message whose subject it names, and hands every other
// delivery to the real SMTP client.
type panicOnce struct {
	next    Sender
	subject string
	done    atomic.Bool
}

func (p *panicOnce) Send(ctx context.Context, env deliver.Envelope, data []byte, s deliver.Stamp) (*deliver.Result, error) {
	if bytes.Contains(data, []byte("Subject: "+p.subject+"\r\n")) && p.done.CompareAndSwap(false, true) {
		panic("injected: next hop double blew up")
	}
	return p.next.Send(ctx, env, data, s)
}

// A delivery that panics costs its message one lease, not the worker and
// not the message: the stack is logged, the panic counted, the message
// delivered once the lease lapses, and the one worker goes on to the next
// message.
func TestReleasePanicDoesNotStrand(t *testing.T) {
	var logs syncBuffer
	keys, err := holdqueue.LoadKeys(filepath.Join(t.TempDir(), "k"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := holdqueue.OpenBolt(filepath.Join(t.TempDir(), "hq.db"), keys, quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	sink := smtpsink.Start(t, smtpsink.Options{})
	rc := testRelease()
	rc.Workers, rc.Lease = 1, time.Second
	pol := config.DefaultPolicy()
	pol.Hold.TimeoutAction = config.ActionDeliver
	loop := New(store, &panicOnce{next: testDeliverer(t, sink.Addr()), subject: "message 1"}, pol, rc, "node-a",
		slog.New(slog.NewTextHandler(&logs, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { loop.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	e := &env{store: store, sink: sink, loop: loop}

	past := time.Now().Add(-time.Second) // deadline passed: the timeout action delivers
	first := hold(t, store, message(1, past, sha("slow")))
	e.waitState(t, first, holdqueue.Delivered)
	second := hold(t, store, message(2, past, sha("slow")))
	e.waitState(t, second, holdqueue.Delivered)
	if n := loop.Stats.Panicked.Load(); n != 1 {
		t.Errorf("Panicked = %d, want 1", n)
	}
	if got := len(sink.Messages()); got != 2 {
		t.Errorf("sink has %d messages, want 2", got)
	}
	out := logs.String()
	if !strings.Contains(out, "injected: next hop double blew up") || !strings.Contains(out, "release.(*Loop).actSafely") {
		t.Errorf("panic not logged with its stack:\n%s", out)
	}
}

type syncBuffer = syncbuf.Buffer
