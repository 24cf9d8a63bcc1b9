package pdf

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/testkit"
)

func FuzzPDF(f *testing.F) {
	testkit.Seeds(f, New())
	f.Fuzz(func(t *testing.T, data []byte) { testkit.Check(t, New(), data) })
}

func rulesOf(r analyzer.Result) map[string]bool {
	m := map[string]bool{}
	for _, f := range r.Findings {
		m[f.Rule] = true
	}
	return m
}

// A stream that inflates to 1 GiB is decoded up to the budget, and what
// follows it is still seen.
func TestGigabyteStream(t *testing.T) {
	bomb := testkit.ZlibBomb(1 << 30)
	doc := []byte(fmt.Sprintf("%%PDF-1.7\n1 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n", len(bomb)))
	doc = append(doc, bomb...)
	doc = append(doc, "\nendstream\nendobj\n2 0 obj\n<< /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>\nendobj\n%%EOF\n"...)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := New().Analyze(ctx, &analyzer.File{Data: doc})
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	got := rulesOf(r)
	if !got["budget"] || !got["javascript"] {
		t.Fatalf("want budget and javascript findings, got %+v", r.Findings)
	}
}

func TestNamesAndLiterals(t *testing.T) {
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"hex-escaped", "%PDF-1.4 << /S /J#61vaScript /J#53 (x) >> << /Open#41ction 1 0 R >>", []string{"javascript", "obfuscated-name"}},
		{"launch", "%PDF-1.4 << /S /Launch /Win << /F (cmd.exe) >> >>", []string{"launch"}},
		{"uri only", "%PDF-1.4 << /S /URI /URI (https://example.org/) >>", nil},
		{"nested parens", `%PDF-1.4 << /S /JavaScript /JS (a\(b\) (c) \101pp.launchURL) >> << /AA << >> >>`, []string{"javascript", "js-launch-url"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New().Analyze(context.Background(), &analyzer.File{Data: []byte(tc.doc)})
			if err != nil {
				t.Fatal(err)
			}
			got := rulesOf(r)
			for _, w := range tc.want {
				if !got[w] {
					t.Errorf("missing %s in %+v", w, r.Findings)
				}
			}
			if tc.want == nil && len(r.Findings) > 0 {
				t.Errorf("want no findings, got %+v", r.Findings)
			}
		})
	}
}

func TestLiteral(t *testing.T) {
	tests := []struct{ in, want string }{
		{`(plain)`, "plain"},
		{`(a (nested) b)`, "a (nested) b"},
		{`(esc\(aped\) \n \101)`, "esc(aped) \n A"},
		{"(\xfe\xff\x00h\x00i)", "hi"},
		{`(unterminated`, "unterminated"},
	}
	for _, tc := range tests {
		if got := literal([]byte(tc.in)); got != tc.want {
			t.Errorf("literal(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
