package corpus

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/sandboxd"
	"github.com/airlockmail/airlock/sandboxd/analyzer/all"
	"github.com/airlockmail/airlock/sandboxd/analyzer/inproc"
	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/verdict"
)

// TestAnalyzeAndSandboxdAgree: every file of the corpus (generated and
// third-party) gets the same type, category, verdict and findings from
// the in-process runner (`airlock analyze`) and from a real sandboxd over
// HTTP. The upload names no category, so sandboxd sniffs the bytes itself
// (extract.Classify, the sniffer the gate uses) and only the extension
// travels, as from the gate.
func TestAnalyzeAndSandboxdAgree(t *testing.T) {
	c := config.Default()
	as, err := all.Analyzers(all.Env{Config: c})
	if err != nil {
		t.Fatal(err)
	}
	run := &inproc.Runner{Analyzers: as, Scoring: sandboxd.ScoringFromConfig(c.Sandboxd.Scoring), Timeout: c.Sandboxd.AnalyzerTimeout}
	e := startSandboxd(t)
	defer e.stop()

	samples := corpusFiles(t)
	for _, s := range ThirdParty {
		data, err := os.ReadFile(filepath.Join(thirdPartyDir, s.Name))
		if err != nil {
			t.Fatal(err)
		}
		s.Data = data
		samples = append(samples, s)
	}
	seen := map[string]string{}
	for _, s := range samples {
		f := inproc.File(s.Name, s.Data)
		if other, dup := seen[f.SHA256]; dup {
			t.Logf("%s: same bytes as %s, judged once", s.Name, other)
			continue
		}
		seen[f.SHA256] = s.Name
		local := run.Run(context.Background(), f)
		remote := e.judge(t, s.Name, f.SHA256, f.Ext, s.Data)
		if local.Verdict != s.Want {
			t.Errorf("%s: in-process verdict %s, want %s", s.Name, local.Verdict, s.Want)
		}
		if d := diff(local, remote); d != "" {
			t.Errorf("%s: airlock analyze and sandboxd disagree:\n%s", s.Name, d)
		}
	}
	if len(seen) < 100 {
		t.Errorf("only %d distinct files compared", len(seen))
	}
}

// judge uploads data with no category and returns sandboxd's record once
// its first verdict is published.
func (e *e2e) judge(t *testing.T, name, sha, ext string, data []byte) *api.File {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Kept (30 days): a sample deleted at once loses its findings'
	// evidence with it (retention), which this test would read as a
	// disagreement.
	if _, err := e.c.Upload(ctx, sha, "", ext, api.Retain30d, bytes.NewReader(data)); err != nil {
		t.Fatalf("%s: upload: %v", name, err)
	}
	for {
		select {
		case ev, ok := <-e.events.C:
			if !ok {
				t.Fatalf("%s: event stream closed: %v", name, e.events.Err())
			}
			if ev.SHA256 != sha || ev.Kind != api.EventVerdict {
				continue
			}
			f, err := e.c.Get(ctx, sha)
			if err != nil {
				t.Fatalf("%s: get: %v", name, err)
			}
			return f
		case <-ctx.Done():
			t.Fatalf("%s: no verdict event", name)
		}
	}
}

// diff says how the two answers differ ("" when they agree).
func diff(local inproc.Report, remote *api.File) string {
	var b strings.Builder
	if local.Type != remote.Type {
		fmt.Fprintf(&b, "  type: %s here, %s in sandboxd\n", local.Type, remote.Type)
	}
	if local.Category != remote.Category {
		fmt.Fprintf(&b, "  category: %s here, %s in sandboxd\n", local.Category, remote.Category)
	}
	if local.Verdict != remote.Verdict {
		fmt.Fprintf(&b, "  verdict: %s here, %s in sandboxd (%s)\n", local.Verdict, remote.Verdict, remote.Reason)
	}
	render := func(fs []verdict.Finding) string {
		var s strings.Builder
		for _, f := range fs {
			fmt.Fprintf(&s, "    %s %s/%s [%s]\n", f.Severity, f.Analyzer, f.Rule, f.Evidence)
		}
		return s.String()
	}
	if l, r := render(local.Findings), render(remote.Findings); l != r {
		fmt.Fprintf(&b, "  findings here:\n%s  findings in sandboxd:\n%s", l, r)
	}
	return b.String()
}
