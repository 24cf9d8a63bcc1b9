package rules

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEvidence(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"  lots \r\n of\t space  ", "lots of space"},
		{"ctrl\x00\x07bytes", "ctrl..bytes"},
		{"bad \xff utf8", "bad . utf8"},
		{"rtlo \u202e gpj.exe", "rtlo . gpj.exe"},
	}
	for _, tc := range tests {
		if got := Evidence(tc.in); got != tc.want {
			t.Errorf("Evidence(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	long := Evidence(strings.Repeat("ab ", 1000))
	if n := utf8.RuneCountInString(long); n > MaxEvidence || !strings.HasSuffix(long, "…") {
		t.Errorf("long evidence: %d runes, %q", n, long)
	}
}

func TestNameFindings(t *testing.T) {
	tests := []struct {
		name string
		want string
	}{
		{"invoice.pdf.exe", "double-extension"},
		{"invoice\u202efdp.scr", "name-rtlo"},
		{"report.pdf                 .exe", "padded-name"},
		{"setup.exe", ""},
		{"archive.tar.gz", ""},
	}
	for _, tc := range tests {
		fs := &Findings{Analyzer: "t"}
		fs.NameFindings(tc.name)
		switch {
		case tc.want == "" && len(fs.List()) > 0:
			t.Errorf("%q: unexpected %+v", tc.name, fs.List())
		case tc.want != "" && !fs.Has(tc.want):
			t.Errorf("%q: missing %s in %+v", tc.name, tc.want, fs.List())
		}
	}
}

func TestEICAR(t *testing.T) {
	const e = `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`
	if !IsEICAR([]byte(e)) || !IsEICAR([]byte(e+"\r\n")) || IsEICAR([]byte(e+"x")) {
		t.Error("IsEICAR")
	}
	if !ContainsEICAR([]byte("junk"+e+"junk")) || ContainsEICAR([]byte(e[:40])) {
		t.Error("ContainsEICAR")
	}
}

func TestFindingsDedup(t *testing.T) {
	fs := &Findings{Analyzer: "t"}
	fs.Add("r", Low, "low", "a")
	fs.Add("r", High, "high", "b")
	fs.Add("r", Medium, "medium", "c")
	if l := fs.List(); len(l) != 1 || l[0].Severity != High || l[0].Evidence != "b" {
		t.Errorf("dedup: %+v", l)
	}
}

func TestLowerASCII(t *testing.T) {
	in := []byte("AbC\xff\x80Z")
	got := LowerASCII(in)
	if string(got) != "abc\xff\x80z" || len(got) != len(in) {
		t.Errorf("LowerASCII = %q", got)
	}
}
