package xll

import (
	"bytes"
	"context"
	"debug/pe"
	"os"
	"slices"
	"testing"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/testkit"
)

func corpusFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(testkit.CorpusDir + "/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestExports(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"pricing-addin.xll", []string{"xlAddInManagerInfo12", "xlAutoClose", "xlAutoOpen"}},
		{"helper.dll", []string{"GetVersionInfo", "Initialize", "Shutdown"}},
		{"clean-installer.exe", nil},
	} {
		p, err := pe.NewFile(bytes.NewReader(corpusFile(t, tc.file)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := Exports(p)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: Exports = %v, %v; want %v", tc.file, got, err, tc.want)
		}
	}
}

func TestJudge(t *testing.T) {
	for _, tc := range []struct {
		file, ext string
		rule      string // "" = no finding above info
	}{
		{"pricing-addin.xll", ".xll", "xll-autoopen"},
		{"invoice-loader.xll", "", "xll-loader"},
		{"helper.dll", ".dll", ""},
		{"helper.dll", ".xll", "xll-dll"}, // Excel loads any DLL named .xll
	} {
		f := &analyzer.File{Data: corpusFile(t, tc.file), Ext: tc.ext}
		if !New().Accepts(f) {
			t.Errorf("%s: not accepted", tc.file)
			continue
		}
		r, err := New().Analyze(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		var rules []string
		for _, x := range r.Findings {
			rules = append(rules, x.Rule)
		}
		if tc.rule == "" && len(rules) > 0 || tc.rule != "" && !slices.Contains(rules, tc.rule) {
			t.Errorf("%s as %q: findings %v, want %q", tc.file, tc.ext, rules, tc.rule)
		}
	}
}

// An export directory that claims more names than the budget, or names
// outside every section, is reported, not followed.
func TestExportsHostile(t *testing.T) {
	b := corpusFile(t, "pricing-addin.xll")
	p, _ := pe.NewFile(bytes.NewReader(b))
	var sec *pe.Section
	for _, s := range p.Sections {
		if s.Name == ".edata" {
			sec = s
		}
	}
	for _, patch := range []struct {
		off int
		val []byte
	}{
		{24, []byte{0xff, 0xff, 0xff, 0x7f}}, // NumberOfNames
		{32, []byte{0xff, 0xff, 0xff, 0x0f}}, // AddressOfNames
	} {
		c := append([]byte(nil), b...)
		copy(c[int(sec.Offset)+patch.off:], patch.val)
		q, err := pe.NewFile(bytes.NewReader(c))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Exports(q); err == nil {
			t.Errorf("patch at +%d: no error", patch.off)
		}
	}
}

func FuzzXLL(f *testing.F) {
	testkit.Seeds(f, New())
	f.Fuzz(func(t *testing.T, data []byte) { testkit.Check(t, New(), data) })
}
