package metrics

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func scrape(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	srv := httptest.NewServer(Handler(reg))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSetRecordsEveryMetric(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := New(reg)
	oldest := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	now := oldest.Add(90 * time.Second)
	s.WatchQueue(func(context.Context) (int64, time.Time, error) { return 3, oldest, nil }, func() time.Time { return now })

	s.Decision("deliver")
	s.Decision("hold")
	s.Decision("hold")
	s.HoldEnded(2 * time.Second)
	s.VerdictLatency(300 * time.Millisecond)
	s.ReleaseLatency(40 * time.Millisecond)
	s.SandboxUp(true)
	s.Lookup("known", 2)
	s.Lookup("unknown", 1)
	s.Lookup("error", 0) // nothing looked up: nothing counted
	s.Upload(ResultOK)
	s.Delivery(ResultOK, "127.0.0.1:10025")
	s.Delivery(ResultTemporary, "127.0.0.1:10025")
	s.StoreError("hold")
	s.StoreDurable(true)
	s.Panic("milter")

	text := scrape(t, reg)
	for _, want := range []string{
		`airlock_messages_total{decision="deliver"} 1`,
		`airlock_messages_total{decision="hold"} 2`,
		`airlock_messages_total{decision="reject"} 0`,
		`airlock_held_messages 3`,
		`airlock_oldest_held_age_seconds 90`,
		`airlock_hold_duration_seconds_count 1`,
		`airlock_verdict_latency_seconds_count 1`,
		`airlock_release_latency_seconds_count 1`,
		`airlock_sandbox_up 1`,
		`airlock_sandbox_lookups_total{result="known"} 2`,
		`airlock_sandbox_lookups_total{result="unknown"} 1`,
		`airlock_sandbox_lookups_total{result="error"} 0`,
		`airlock_sandbox_uploads_total{result="ok"} 1`,
		`airlock_deliveries_total{next_hop="127.0.0.1:10025",result="ok"} 1`,
		`airlock_deliveries_total{next_hop="127.0.0.1:10025",result="temporary"} 1`,
		`airlock_store_errors_total{op="hold"} 1`,
		`airlock_store_durable 1`,
		`airlock_panics_recovered_total{component="milter"} 1`,
		`airlock_panics_recovered_total{component="proxy"} 0`,
		`go_goroutines `,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(text)
	}
}

func TestQueueReadFailureIsAStoreErrorNotAnEmptyQueue(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := New(reg)
	s.WatchQueue(func(context.Context) (int64, time.Time, error) { return 0, time.Time{}, errors.New("redis down") }, nil)
	text := scrape(t, reg)
	if strings.Contains(text, "airlock_held_messages") {
		t.Errorf("held gauge reported while the store could not be read:\n%s", text)
	}
	if got := testutil.ToFloat64(s.storeErrors.WithLabelValues("counts")); got != 1 {
		t.Errorf("store errors{op=counts} = %v, want 1", got)
	}
}

func TestEmptyQueueHasZeroAge(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := New(reg)
	// The store may remember a stale oldest time; with nothing held the
	// age must be 0 or the alert would fire on an empty queue.
	s.WatchQueue(func(context.Context) (int64, time.Time, error) { return 0, time.Now().Add(-time.Hour), nil }, nil)
	text := scrape(t, reg)
	for _, want := range []string{"airlock_held_messages 0", "airlock_oldest_held_age_seconds 0"} {
		if !strings.Contains(text, want) {
			t.Errorf("scrape lacks %q:\n%s", want, text)
		}
	}
}

func TestNilSetRecordsNothing(t *testing.T) {
	var s *Set
	// Every method on a nil Set is a no-op: parts hold an optional *Set
	// and call it without branches. A panic here fails the case by name.
	calls := map[string]func(){
		"Decision":       func() { s.Decision("deliver") },
		"HoldEnded":      func() { s.HoldEnded(time.Second) },
		"VerdictLatency": func() { s.VerdictLatency(time.Second) },
		"ReleaseLatency": func() { s.ReleaseLatency(time.Second) },
		"SandboxUp":      func() { s.SandboxUp(true) },
		"Lookup":         func() { s.Lookup("known", 1) },
		"Upload":         func() { s.Upload(ResultOK) },
		"Delivery":       func() { s.Delivery(ResultOK, "x:25") },
		"StoreError":     func() { s.StoreError("hold") },
		"StoreDurable":   func() { s.StoreDurable(true) },
		"Panic":          func() { s.Panic("gate") },
		"WatchQueue":     func() { s.WatchQueue(nil, nil) },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("nil Set.%s panicked: %v", name, r)
				}
			}()
			call()
		})
	}
}

func TestTwoSetsDoNotCollide(t *testing.T) {
	// No default registry: two Sets (two tests, two nodes in one test
	// process) each get their own numbers.
	r1, r2 := prometheus.NewRegistry(), prometheus.NewRegistry()
	a, b := New(r1), New(r2)
	a.Decision("hold")
	if got := testutil.ToFloat64(b.messages.WithLabelValues("hold")); got != 0 {
		t.Errorf("second set sees %v holds, want 0", got)
	}
	if got := testutil.ToFloat64(a.messages.WithLabelValues("hold")); got != 1 {
		t.Errorf("first set sees %v holds, want 1", got)
	}
}

func TestPanicHandlerCountsRecoveredPanics(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := New(reg)
	var buf strings.Builder
	log := slog.New(PanicHandler(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelError + 4}), s))
	// The lines the parts write when they recover (see milter, proxy,
	// release, sandboxd), plus two that are not panics.
	log.Error("panic in milter callback; message tempfailed", "panic", "boom")
	log.Error("panic in proxy session", "panic", "boom")
	log.Error("release worker panicked", "node", "n1", "panic", "boom")
	log.Error("analyzer panicked", "analyzer", "pe", "panic", "boom")
	log.With("panic", "x").Error("panic recovered")
	log.Error("delivery failed", "err", "refused")
	log.Info("held", "queue_id", "Q")
	for comp, want := range map[string]float64{"milter": 1, "proxy": 1, "release": 1, "sandboxd": 1, "other": 1, "gate": 0} {
		if got := testutil.ToFloat64(s.panicsRecovered.WithLabelValues(comp)); got != want {
			t.Errorf("panics{component=%s} = %v, want %v", comp, got, want)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("lines below the level were written: %q", buf.String())
	}
}
