package sandboxd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/eicar"
	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/sandboxd/client"
	"github.com/airlockmail/airlock/sandboxd/store"
	"github.com/airlockmail/airlock/verdict"
)

// An analyzer update (new version, stricter rule) re-analyzes what is kept
// and tells a connected client that the verdict changed.
func TestReanalysisOnEngineChange(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Store, reopen func() store.Store) {
		ctx := context.Background()
		v1 := &ruleAnalyzer{version: "1", sev: verdict.Low} // BAD is only low: clean
		e := startEnv(t, st, envOptions{analyzers: []analyzer.Analyzer{eicar.New(), v1}})
		kept := []byte("a BAD file, kept 30 days")
		gone := []byte("a BAD file, deleted after analysis")
		e.upload(e.admin, kept, verdict.Other, "", api.Retain30d)
		e.upload(e.admin, gone, verdict.Other, "", api.RetainNone)
		if f := e.waitDone(e.admin, sha(kept)); f.Verdict != verdict.Clean {
			t.Fatalf("v1 verdict %s, want clean", f.Verdict)
		}
		e.waitDone(e.admin, sha(gone))
		// A filter that saw the first verdicts and will resume from there.
		first := e.admin.Events(ctx, "0")
		var resumeFrom string
		for i := 0; i < 2; i++ {
			resumeFrom = nextEvent(t, first).ID
		}
		e.stop()

		// Restart with version 2 of the analyzer: BAD is now high.
		st2 := reopen()
		v2 := &ruleAnalyzer{version: "2", sev: verdict.High}
		e2 := startEnv(t, st2, envOptions{analyzers: []analyzer.Analyzer{eicar.New(), v2}})
		if e2.d.Engine() == e.d.Engine() {
			t.Fatal("engine version did not change")
		}
		stream := e2.admin.Events(ctx, resumeFrom)
		ev := nextEvent(t, stream)
		if ev.Kind != api.EventReclassified || ev.SHA256 != sha(kept) || ev.Previous != verdict.Clean || ev.Verdict != verdict.HighlySuspicious {
			t.Fatalf("event %+v, want reclassified clean → highly_suspicious for the kept file", ev)
		}
		f := e2.waitDone(e2.admin, sha(kept))
		if f.Engine != e2.d.Engine() || f.Verdict != verdict.HighlySuspicious || !f.Retained || !f.ExpiresAt.IsZero() {
			t.Errorf("after re-analysis: %+v", f)
		}
		// The deleted sample could not be re-analyzed; its verdict stays.
		if f, _ := e2.admin.Get(ctx, sha(gone)); f.Engine == e2.d.Engine() || f.Verdict != verdict.Clean {
			t.Errorf("file without sample: %+v", f)
		}
		// A third start with the same engine queues nothing.
		e2.stop()
		st3 := reopen()
		e3 := startEnv(t, st3, envOptions{analyzers: []analyzer.Analyzer{eicar.New(), &ruleAnalyzer{version: "2", sev: verdict.High}}})
		if n, _ := st3.QueueDepth(ctx); n != 0 {
			t.Errorf("same engine queued %d jobs", n)
		}
		_ = e3
	})
}

// Work queued or in flight when sandboxd dies is done after a restart.
func TestRestartResumesWork(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Store, reopen func() store.Store) {
		ctx := context.Background()
		e := startEnv(t, st, envOptions{noRun: true})
		var files [][]byte
		for i := 0; i < 5; i++ {
			d := []byte(fmt.Sprintf("file %d", i))
			files = append(files, d)
			e.upload(e.admin, d, verdict.Other, "", api.Retain30d)
		}
		// One job was in flight: claimed, marked analyzing, never acked.
		j, err := st.Claim(ctx, "dead-worker", time.Second)
		if err != nil || j == nil {
			t.Fatalf("claim: %v %v", j, err)
		}
		st.Update(ctx, j.SHA256, func(r *store.Record) (*store.Event, error) { r.State = api.StateAnalyzing; return nil, nil })
		e.stop()

		st2 := reopen()
		e2 := startEnv(t, st2, envOptions{})
		for _, d := range files {
			if f := e2.waitDone(e2.admin, sha(d)); f.Verdict != verdict.Clean {
				t.Errorf("%s: %s", d, f.Verdict)
			}
		}
		// The dead worker's claim stays in the queue until its lease
		// runs out; then a live worker takes it, finds the file done and
		// acknowledges it. A worker also acknowledges just after it
		// publishes a verdict. So the queue empties soon after, not at
		// the instant the last verdict is seen.
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			n, err := st2.QueueDepth(ctx)
			if err == nil && n == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("queue depth %d (%v) long after all files were done", n, err)
			}
		}
	})
}

type stuckAnalyzer struct{}

func (stuckAnalyzer) Name() string                { return "stuck" }
func (stuckAnalyzer) Version() string             { return "1" }
func (stuckAnalyzer) Accepts(*analyzer.File) bool { return true }
func (stuckAnalyzer) Analyze(ctx context.Context, f *analyzer.File) (analyzer.Result, error) {
	if bytes.Contains(f.Data, []byte("hang")) {
		select {} // ignores its context for ever
	}
	return analyzer.Result{}, nil
}

type panicAnalyzer struct{}

func (panicAnalyzer) Name() string                { return "panics" }
func (panicAnalyzer) Version() string             { return "1" }
func (panicAnalyzer) Accepts(*analyzer.File) bool { return true }
func (panicAnalyzer) Analyze(ctx context.Context, f *analyzer.File) (analyzer.Result, error) {
	if bytes.Contains(f.Data, []byte("crash")) {
		panic("parser bug")
	}
	return analyzer.Result{}, nil
}

type failingAnalyzer struct{ name string }

func (a failingAnalyzer) Name() string              { return a.name }
func (failingAnalyzer) Version() string             { return "1" }
func (failingAnalyzer) Accepts(*analyzer.File) bool { return true }
func (failingAnalyzer) Analyze(ctx context.Context, f *analyzer.File) (analyzer.Result, error) {
	if bytes.Contains(f.Data, []byte("fail")) {
		return analyzer.Result{}, errors.New("cannot parse")
	}
	return analyzer.Result{}, nil
}

// A stuck or crashing analyzer does not wedge a worker, and a file that
// trips one is unscannable, never clean. An analyzer's error is retried
// with backoff (the cause may pass), then it too makes the file
// unscannable with the reason — the same answer `airlock analyze` gives
// (one runner, sandboxd/analyzer/inproc).
func TestMisbehavingAnalyzers(t *testing.T) {
	expectPanics[t.Name()] = true
	st, _ := backends[0].open(t)
	cfg := testConfig()
	cfg.Workers = 1
	cfg.AnalyzerTimeout = 200 * time.Millisecond
	cfg.MaxAttempts = 3
	e := startEnv(t, st, envOptions{cfg: &cfg, analyzers: []analyzer.Analyzer{
		stuckAnalyzer{}, panicAnalyzer{}, failingAnalyzer{"fail1"}, failingAnalyzer{"fail2"},
	}})
	ctx := context.Background()
	tests := []struct {
		data   string
		want   verdict.Verdict
		reason string
	}{
		{"please hang", verdict.Unscannable, "stuck: timed out"},
		{"please crash", verdict.Unscannable, "panics: crashed"},
		{"please fail", verdict.Unscannable, "fail1: cannot parse"}, // two of four could not look: not clean
		{"fine", verdict.Clean, ""},
	}
	for _, tt := range tests {
		e.upload(e.admin, []byte(tt.data), verdict.Other, "", api.Retain30d)
	}
	for _, tt := range tests {
		f := e.waitDone(e.admin, sha([]byte(tt.data)))
		if f.Verdict != tt.want || !bytes.Contains([]byte(f.Reason), []byte(tt.reason)) {
			t.Errorf("%q: %s (%q), want %s (%q)", tt.data, f.Verdict, f.Reason, tt.want, tt.reason)
		}
	}
	if e.d.Stats().Panics != 1 {
		t.Errorf("panics counted: %d, want 1", e.d.Stats().Panics)
	}

	// "please fail" was tried max_attempts times; the others once.
	if got := e.d.Stats().Started; got != 3+3 {
		t.Errorf("analysis started %d times, want 6 (3 files once, one 3 times)", got)
	}

	// Only failing analyzers: retried, then unscannable.
	st2, _ := backends[0].open(t)
	e2 := startEnv(t, st2, envOptions{cfg: &cfg, analyzers: []analyzer.Analyzer{failingAnalyzer{"fail1"}}})
	data := []byte("always fail")
	e2.upload(e2.admin, data, verdict.Other, "", api.Retain30d)
	f := e2.waitDone(e2.admin, sha(data))
	if f.Verdict != verdict.Unscannable || !bytes.Contains([]byte(f.Reason), []byte("fail1: cannot parse")) {
		t.Errorf("after retries: %s %q", f.Verdict, f.Reason)
	}
	if got := e2.d.Stats().Started; got != 3 {
		t.Errorf("analysis started %d times, want 3 (max_attempts)", got)
	}
	_ = ctx
}

func TestAdminCalls(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Store, _ func() store.Store) {
		e := startEnv(t, st, envOptions{})
		ctx := context.Background()
		for i := 0; i < 5; i++ {
			d := []byte(fmt.Sprintf("admin file %d", i))
			if i%2 == 0 {
				d = append(d, " BAD"...)
			}
			e.upload(e.admin, d, verdict.Other, "", api.Retain30d)
			e.waitDone(e.admin, sha(d))
		}
		var all []*api.File
		cursor := ""
		for {
			page, err := e.admin.List(ctx, client.ListOptions{Limit: 2, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, page.Files...)
			if page.Next == "" {
				break
			}
			cursor = page.Next
		}
		if len(all) != 5 {
			t.Errorf("listed %d files in pages of 2, want 5", len(all))
		}
		sus, err := e.admin.List(ctx, client.ListOptions{Verdict: verdict.Suspicious})
		if err != nil || len(sus.Files) != 3 {
			t.Fatalf("suspicious: %v %v", sus, err)
		}
		target := sus.Files[0].SHA256
		before := e.d.Stats().Finished
		if err := e.admin.Reanalyze(ctx, target); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for e.d.Stats().Finished == before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if e.d.Stats().Finished != before+1 {
			t.Error("admin re-analysis did not run")
		}
		stream := e.admin.Events(ctx, "")
		waitConnected(t, stream)
		if err := e.admin.Delete(ctx, target); err != nil {
			t.Fatal(err)
		}
		if ev := nextEvent(t, stream); ev.Kind != api.EventDeleted || ev.SHA256 != target {
			t.Errorf("event after delete: %+v", ev)
		}
		if _, err := e.admin.Get(ctx, target); !client.IsStatus(err, 404) {
			t.Errorf("Get after delete: %v", err)
		}
		if _, err := st.Sample(ctx, target); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("sample after delete: %v", err)
		}
		if err := e.admin.Delete(ctx, target); !client.IsStatus(err, 404) {
			t.Errorf("second delete: %v", err)
		}
	})
}

// A client that was disconnected gets what it missed when it comes back,
// and one whose position was trimmed away is told to look up again.
func TestEventsResume(t *testing.T) {
	st, err := store.OpenBolt(store.BoltOptions{Dir: t.TempDir(), EventsKept: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := startEnv(t, st, envOptions{})
	ctx := context.Background()
	a := []byte("first")
	e.upload(e.admin, a, verdict.Other, "", api.Retain30d)
	e.waitDone(e.admin, sha(a))
	last, _ := st.LastEventID(ctx)
	// While nobody listens, two more verdicts.
	b, c := []byte("second"), []byte("third BAD")
	e.upload(e.admin, b, verdict.Other, "", api.Retain30d)
	e.upload(e.admin, c, verdict.Other, "", api.Retain30d)
	e.waitDone(e.admin, sha(b))
	e.waitDone(e.admin, sha(c))
	s := e.admin.Events(ctx, last)
	got := map[string]bool{}
	for len(got) < 2 {
		ev := nextEvent(t, s)
		got[ev.SHA256] = true
	}
	if !got[sha(b)] || !got[sha(c)] {
		t.Errorf("resumed events: %v", got)
	}
	// Tenant b sees none of tenant a's events.
	sb := e.b.Events(ctx, "0")
	waitConnected(t, sb)
	// Trim past "0": b is told about the gap, then sees only its own file.
	for i := 0; i < 3; i++ {
		d := []byte(fmt.Sprintf("more %d", i))
		e.upload(e.admin, d, verdict.Other, "", api.Retain30d)
		e.waitDone(e.admin, sha(d))
	}
	mine := []byte("tenant b's own")
	e.upload(e.b, mine, verdict.Other, "", api.Retain30d)
	ev := nextEvent(t, sb)
	if ev.Kind == api.EventGap {
		ev = nextEvent(t, sb)
	}
	if ev.SHA256 != sha(mine) {
		t.Errorf("tenant b got %+v, want only its own file", ev)
	}
	late := e.b.Events(ctx, "1")
	if ev := nextEvent(t, late); ev.Kind != api.EventGap {
		t.Errorf("resuming from a trimmed id: %+v, want a gap event", ev)
	}
}
