package sandboxd

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/sandboxd/store"
	"github.com/airlockmail/airlock/verdict"
)

// quoteAnalyzer quotes the file in its evidence, as the archive analyzer
// quotes member names: an info finding, so the file stays clean and its
// retention runs out.
type quoteAnalyzer struct{}

func (quoteAnalyzer) Name() string                { return "quote" }
func (quoteAnalyzer) Version() string             { return "1" }
func (quoteAnalyzer) Accepts(*analyzer.File) bool { return true }
func (quoteAnalyzer) Analyze(ctx context.Context, f *analyzer.File) (analyzer.Result, error) {
	return analyzer.Result{Findings: []verdict.Finding{{Rule: "member-name", Severity: verdict.Info,
		Description: "names a member", Evidence: string(f.Data)}}}, nil
}

// Content outlives nothing: what a finding quoted from a sample goes when
// the sample's retention ends (30 days, or at once), on both stores; the
// verdict and the finding's rule stay, and the event history never held
// the quote.
func TestContentPurgedWithSample(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Store, _ func() store.Store) {
		e := startEnv(t, st, envOptions{analyzers: []analyzer.Analyzer{quoteAnalyzer{}}})
		ctx := context.Background()
		kept := []byte("salary-list-2026.xlsx.exe")
		gone := []byte("q3-board-minutes.docm")
		e.upload(e.admin, kept, verdict.Other, "", api.Retain30d)
		e.upload(e.admin, gone, verdict.Other, "", api.RetainNone)
		f := e.waitDone(e.admin, sha(kept))
		if len(f.Findings) != 1 || f.Findings[0].Evidence != string(kept) || f.ContentPurged {
			t.Fatalf("before expiry the evidence is there: %+v", f.Findings)
		}
		// "immediately": the sample goes after the analysis, its
		// quotes with it.
		deadline := time.Now().Add(10 * time.Second)
		var g *api.File
		for time.Now().Before(deadline) {
			g = e.waitDone(e.admin, sha(gone))
			if !g.Retained && g.ContentPurged {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		checkPurged(t, g, string(gone))

		e.clock.advance(31 * 24 * time.Hour)
		if n, err := e.d.Purge(ctx); err != nil || n != 1 {
			t.Fatalf("purge: %d %v", n, err)
		}
		f, err := e.admin.Get(ctx, sha(kept))
		if err != nil {
			t.Fatal(err)
		}
		checkPurged(t, f, string(kept))
		evs, err := st.Events(ctx, "", 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			t.Fatal("no events recorded")
		}
		for _, ev := range evs {
			b, _ := json.Marshal(ev)
			if strings.Contains(string(b), string(kept)) || strings.Contains(string(b), string(gone)) {
				t.Errorf("the event history quotes a file: %s", b)
			}
		}
	})
}

func checkPurged(t *testing.T, f *api.File, quote string) {
	t.Helper()
	if f == nil || f.Retained || !f.ContentPurged {
		t.Fatalf("sample still kept or content not purged: %+v", f)
	}
	if f.Verdict != verdict.Clean || len(f.Findings) != 1 || f.Findings[0].Rule != "member-name" || f.Findings[0].Analyzer != "quote" {
		t.Errorf("verdict or finding names lost: %+v", f)
	}
	b, _ := json.Marshal(f)
	if strings.Contains(string(b), quote) {
		t.Errorf("the record still quotes the file: %s", b)
	}
}
