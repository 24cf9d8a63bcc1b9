package gate

import (
	"testing"
	"unicode/utf8"

	"github.com/airlockmail/airlock/verdict"
)

// FuzzNameFindings: any name (an attacker writes it) and any sniffed type
// give findings without a panic, each with bounded, valid evidence, and a
// verdict only when there is a finding.
func FuzzNameFindings(f *testing.F) {
	for _, s := range []string{"invoice\u202Efdp.exe", "invoice.docx      .scr", "a.pdf .js", "report.final.pdf",
		"v1.2.3.tar.gz", "\u2067\u2069.", ".exe", "...", "a\\b.pdf.exe", "\xff\xfe.exe", "__init__.py"} {
		f.Add(s, "application/vnd.microsoft.portable-executable")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, name, sniffed string) {
		fs := nameFindings(name, sniffed)
		for _, x := range fs {
			if x.Evidence == "" || len(x.Evidence) > 200+len("…") || x.Severity < verdict.Medium {
				t.Fatalf("%q: finding %+v", name, x)
			}
			if utf8.ValidString(name) && !utf8.ValidString(x.Evidence) {
				t.Fatalf("%q: evidence not valid UTF-8: %q", name, x.Evidence)
			}
		}
		if v := nameVerdict(fs); (v == verdict.Unknown) != (len(fs) == 0) {
			t.Fatalf("%q: verdict %s for %d findings", name, v, len(fs))
		}
	})
}
