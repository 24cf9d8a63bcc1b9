package extract

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/airlockmail/airlock/internal/altparsers"
)

const evasionDir = "testdata/evasion"

// TestEvasionCorpus checks that the committed corpus is what the
// generator makes, and that the walk lists every payload (its hash among
// the files) or judges the message unscannable, while every benign twin
// stays deliverable (no file flagged). With -gen it rewrites the corpus,
// its manifest and the Go parsers' results (go-parsers.json), which
// parsers.py merges with Python's and the command-line tools' into
// parsers.md.
func TestEvasionCorpus(t *testing.T) {
	cases := evasionCases(t)
	if len(cases) < 40 {
		t.Fatalf("only %d evasion messages", len(cases))
	}
	if *gen {
		writeEvasionCorpus(t, cases)
	}
	families := map[string]int{}
	for _, c := range cases {
		t.Run(c.File, func(t *testing.T) {
			got, err := os.ReadFile(filepath.Join(evasionDir, c.File))
			if err != nil {
				t.Fatalf("%v (run with -gen to write the corpus)", err)
			}
			if !bytes.Equal(got, c.msg) {
				t.Fatalf("committed %s differs from the generator's (run with -gen)", c.File)
			}
			r, err := Walk(context.Background(), c.msg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			verdict := evasionOutcome(r, c.SHA256)
			if c.Twin {
				if u := r.Unscannable(); len(u) > 0 {
					t.Errorf("benign twin judged unscannable: %s: %s", u[0].Path, u[0].Problem)
				}
				if c.Payload == "png" && !strings.Contains(c.Name, "uuencode") && verdict != "listed" {
					t.Errorf("twin's PNG not listed: %+v", r.Files)
				}
				return
			}
			if verdict == "missed" {
				var paths []string
				for _, f := range r.Files {
					paths = append(paths, f.Path+" "+f.SHA256)
				}
				t.Errorf("payload %s (%s) neither listed nor unscannable; files %q; problems %q", c.Payload, c.SHA256[:12], paths, r.Problems)
			}
		})
		families[c.Family]++
	}
	t.Logf("%d messages in %d families: %v", len(cases), len(families), families)
}

// evasionOutcome is "listed" when a file with the payload's hash was
// listed, else "unscannable" when some file is flagged, else "missed".
func evasionOutcome(r *Result, sha string) string {
	for _, f := range r.Files {
		if f.SHA256 == sha {
			return "listed"
		}
	}
	if len(r.Unscannable()) > 0 {
		return "unscannable"
	}
	return "missed"
}

// The messages sent through Postfix and the proxy read the corpus with
// EvasionMessages (exported for tests in other packages via the files).

func writeEvasionCorpus(t *testing.T, cases []evasionCase) {
	t.Helper()
	if err := os.MkdirAll(evasionDir, 0o755); err != nil {
		t.Fatal(err)
	}
	old, _ := filepath.Glob(filepath.Join(evasionDir, "*.eml"))
	for _, p := range old {
		os.Remove(p)
	}
	goResults := map[string]map[string]bool{}
	for _, c := range cases {
		if err := os.WriteFile(filepath.Join(evasionDir, c.File), c.msg, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := Walk(context.Background(), c.msg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		goResults[c.File] = map[string]bool{
			"go-stdlib":  containsHash(altparsers.Stdlib(c.msg), c.SHA256),
			"go-message": containsHash(altparsers.GoMessage(c.msg), c.SHA256),
		}
		_ = r
	}
	man, _ := json.MarshalIndent(cases, "", "  ")
	if err := os.WriteFile(filepath.Join(evasionDir, "manifest.json"), append(man, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	outcomes := map[string]string{}
	for _, c := range cases {
		r, _ := Walk(context.Background(), c.msg, Options{})
		outcomes[c.File] = evasionOutcome(r, c.SHA256)
	}
	res, _ := json.MarshalIndent(map[string]any{"airlock": outcomes, "parsers": goResults}, "", "  ")
	if err := os.WriteFile(filepath.Join(evasionDir, "go-parsers.json"), append(res, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func containsHash(files [][]byte, sha string) bool {
	for _, f := range files {
		if sha256Hex(f) == sha {
			return true
		}
	}
	return false
}

// TestEvasionParsersTable checks the committed table is in step with the
// corpus: one row per message.
func TestEvasionParsersTable(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(evasionDir, "parsers.md"))
	if err != nil {
		t.Fatalf("%v (run testdata/evasion/parsers.py)", err)
	}
	var rows []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "| ") && strings.Contains(l, ".eml") {
			rows = append(rows, l)
		}
	}
	cases := evasionCases(t)
	if len(rows) != len(cases) {
		t.Fatalf("parsers.md has %d rows, corpus %d messages: run parsers.py", len(rows), len(cases))
	}
	sort.Strings(rows)
	for i, c := range cases {
		if !strings.Contains(rows[i], c.File) {
			t.Errorf("row %d is %q, want %s", i, rows[i], c.File)
		}
	}
}
