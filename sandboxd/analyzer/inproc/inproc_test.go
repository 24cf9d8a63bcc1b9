package inproc

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/verdict"
)

// fakeAnalyzer is a test double that behaves as its mode says.
type fakeAnalyzer struct {
	name, mode string
}

func (a fakeAnalyzer) Name() string                { return a.name }
func (a fakeAnalyzer) Version() string             { return "1" }
func (a fakeAnalyzer) Accepts(*analyzer.File) bool { return a.mode != "refuse" }
func (a fakeAnalyzer) Analyze(ctx context.Context, f *analyzer.File) (analyzer.Result, error) {
	switch a.mode {
	case "error":
		return analyzer.Result{}, errors.New("cannot parse")
	case "panic":
		panic("boom")
	case "hang":
		<-ctx.Done()
		return analyzer.Result{}, ctx.Err()
	case "medium":
		return analyzer.Result{Findings: []verdict.Finding{{Rule: "m", Severity: verdict.Medium, Evidence: strings.Repeat("é", 300)}}}, nil
	case "low":
		return analyzer.Result{Findings: []verdict.Finding{{Rule: "l", Severity: verdict.Low}}}, nil
	}
	return analyzer.Result{}, nil
}

// TestRunnerFailures: every kind of analyzer failure makes its part of
// the verdict unscannable (never clean); errors and all-failed runs ask
// for a retry, a deadline or crash among working analyzers does not.
func TestRunnerFailures(t *testing.T) {
	for _, c := range []struct {
		name  string
		modes []string
		want  verdict.Verdict
		retry bool
	}{
		{"all fine", []string{"ok", "low"}, verdict.Clean, false},
		{"one error", []string{"ok", "error"}, verdict.Unscannable, true},
		{"one crash", []string{"ok", "panic"}, verdict.Unscannable, false},
		{"one deadline", []string{"ok", "hang"}, verdict.Unscannable, false},
		{"every analyzer crashed", []string{"panic", "panic"}, verdict.Unscannable, true},
		{"findings outweigh a failure", []string{"medium", "error"}, verdict.Suspicious, true},
		{"nobody accepts", []string{"refuse"}, verdict.Clean, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var as []analyzer.Analyzer
			for i, m := range c.modes {
				as = append(as, fakeAnalyzer{name: m + string(rune('a'+i)), mode: m})
			}
			var panics atomic.Int64
			r := &Runner{Analyzers: as, Scoring: analyzer.DefaultScoring(), Timeout: 50 * time.Millisecond,
				Panicked: func(string) { panics.Add(1) }}
			rep := r.Run(context.Background(), File("x.bin", []byte("data")))
			if rep.Verdict != c.want || rep.Retry != c.retry {
				t.Errorf("verdict %s retry %v, want %s %v (errors %v)", rep.Verdict, rep.Retry, c.want, c.retry, rep.Errors)
			}
			nPanic := int64(strings.Count(strings.Join(c.modes, " "), "panic"))
			if panics.Load() != nPanic {
				t.Errorf("%d panics counted, want %d", panics.Load(), nPanic)
			}
			for _, f := range rep.Findings {
				if f.Analyzer == "" || len(f.Evidence) > maxEvidence+len("…") {
					t.Errorf("finding %s/%s: analyzer name missing or evidence %d bytes", f.Analyzer, f.Rule, len(f.Evidence))
				}
				if !strings.HasSuffix(f.Evidence, "…") && f.Severity == verdict.Medium {
					t.Errorf("long evidence not marked as cut")
				}
			}
		})
	}
}

// TestFileClassifies: File uses the one sniffer and sends only the
// extension, as Windows sees it (trailing dots and spaces dropped).
func TestFileClassifies(t *testing.T) {
	f := File("Invoice.PDF.  ", []byte("MZ\x90\x00"))
	if f.Ext != ".pdf" || f.Category != verdict.Executable {
		t.Errorf("ext %q category %s type %s", f.Ext, f.Category, f.Type)
	}
}
