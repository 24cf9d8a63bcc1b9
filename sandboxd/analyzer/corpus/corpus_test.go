package corpus

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/all"
	"github.com/airlockmail/airlock/sandboxd/analyzer/inproc"
	"github.com/airlockmail/airlock/verdict"
)

var update = flag.Bool("update", false, "rewrite testdata/corpus from the generator")

const (
	corpusDir     = "../testdata/corpus"
	thirdPartyDir = "../testdata/thirdparty"
)

func analyzers(t testing.TB) []analyzer.Analyzer {
	t.Helper()
	as, err := all.Analyzers(all.Env{Config: config.Default()})
	if err != nil {
		t.Fatal(err)
	}
	return as
}

// TestGenerated checks that testdata/corpus is what the generator writes
// (run with -update to rewrite it) and that no stale file lingers.
func TestGenerated(t *testing.T) {
	samples := Samples()
	names := map[string]bool{}
	for _, s := range samples {
		if names[s.Name] {
			t.Fatalf("duplicate sample name %s", s.Name)
		}
		names[s.Name] = true
		p := filepath.Join(corpusDir, s.Name)
		if *update {
			if err := os.MkdirAll(corpusDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, s.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Errorf("%s: %v (run go test ./sandboxd/analyzer/corpus -run TestGenerated -update)", s.Name, err)
			continue
		}
		if !bytes.Equal(got, s.Data) {
			t.Errorf("%s differs from the generator's output (not deterministic, or stale: run with -update)", s.Name)
		}
	}
	ents, _ := os.ReadDir(corpusDir)
	for _, e := range ents {
		if !names[e.Name()] {
			t.Errorf("stale corpus file %s", e.Name())
		}
	}
}

type judged struct {
	Sample
	rep inproc.Report
}

func judgeAll(t *testing.T) []judged {
	t.Helper()
	as := analyzers(t)
	sc := analyzer.DefaultScoring()
	var samples []Sample
	for _, s := range Samples() {
		data, err := os.ReadFile(filepath.Join(corpusDir, s.Name))
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		s.Data = data
		samples = append(samples, s)
	}
	for _, s := range ThirdParty {
		data, err := os.ReadFile(filepath.Join(thirdPartyDir, s.Name))
		if err != nil {
			t.Fatalf("%s: %v", s.Name, err)
		}
		s.Data = data
		samples = append(samples, s)
	}
	var out []judged
	for _, s := range samples {
		f := inproc.File(s.Name, s.Data)
		rep := inproc.Run(context.Background(), as, sc, f, 30*time.Second)
		out = append(out, judged{s, rep})
	}
	return out
}

// TestCorpus is the detection table: every sample must get its expected
// verdict. It logs the confusion matrix (go test -v -run TestCorpus).
func TestCorpus(t *testing.T) {
	res := judgeAll(t)
	clean := 0
	for _, j := range res {
		if j.Want == verdict.Clean {
			clean++
		}
		t.Run(j.Name, func(t *testing.T) {
			if j.rep.Verdict != j.Want {
				t.Errorf("%s (%s): verdict %s (score %d), want %s\n%s", j.Name, j.Why, j.rep.Verdict, j.rep.Score, j.Want, findings(j.rep))
			}
			if len(j.rep.Errors) > 0 {
				t.Errorf("%s: analyzer errors: %v", j.Name, j.rep.Errors)
			}
		})
	}
	if len(res) < 60 || clean < 20 {
		t.Errorf("corpus has %d samples (%d clean); want at least 60 (20 clean)", len(res), clean)
	}
	t.Logf("\n%s", Matrix(res))
}

func findings(r inproc.Report) string {
	var b strings.Builder
	for _, f := range r.Findings {
		fmt.Fprintf(&b, "  %-9s %s/%s: %s [%s]\n", f.Severity, f.Analyzer, f.Rule, f.Description, f.Evidence)
	}
	if len(r.Unscannable) > 0 {
		fmt.Fprintf(&b, "  unscannable: %v\n", r.Unscannable)
	}
	return b.String()
}

// Matrix renders expected (rows) against got (columns).
func Matrix(res []judged) string {
	idx := map[verdict.Verdict]int{}
	for i, v := range verdict.Verdicts {
		idx[v] = i
	}
	n := len(verdict.Verdicts)
	m := make([][]int, n)
	for i := range m {
		m[i] = make([]int, n)
	}
	right := 0
	for _, j := range res {
		m[idx[j.Want]][idx[j.rep.Verdict]]++
		if j.Want == j.rep.Verdict {
			right++
		}
	}
	short := []string{"clean", "susp", "high", "malic", "unscan"}
	var b strings.Builder
	fmt.Fprintf(&b, "%-18s", "want \\ got")
	for _, s := range short {
		fmt.Fprintf(&b, "%8s", s)
	}
	b.WriteString("\n")
	for i, v := range verdict.Verdicts {
		fmt.Fprintf(&b, "%-18s", v)
		for k := range n {
			fmt.Fprintf(&b, "%8d", m[i][k])
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%d of %d samples get their expected verdict\n", right, len(res))
	return b.String()
}
