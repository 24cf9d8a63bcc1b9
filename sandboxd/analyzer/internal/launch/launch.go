// Package launch is where the installer and runtime analyzers (msi, jar,
// chm, msix) hand over the command lines and URLs they dig out of a
// package, so that every one is judged by the same rules as a script's or
// a shortcut's. It adds the verdicts to the caller's findings.
package launch

import (
	"context"
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
	"github.com/airlockmail/airlock/sandboxd/analyzer/script"
)

// Command judges one command line (what a custom action, a manifest or a
// shortcut object would run) and records what it finds in fs. It reports
// whether anything at medium or above fired for it.
func Command(ctx context.Context, fs *rules.Findings, cmd string) bool {
	cmd = strings.TrimSpace(cmd)
	if cmd == "" {
		return false
	}
	probe := &rules.Findings{Analyzer: fs.Analyzer}
	t := script.Scan(ctx, cmd, probe)
	for _, f := range probe.List() {
		fs.Add(f.Rule, f.Severity, f.Description, f.Evidence)
	}
	sev, _ := probe.Max()
	return sev >= rules.Medium || t.Download || t.Shell && (t.Exec || t.Hidden || t.Eval)
}

// lolbins are the programs whose start from a package is itself the
// warning: shells, script hosts and the signed tools droppers borrow.
var lolbins = []string{"powershell", "pwsh", "cmd", "mshta", "wscript", "cscript", "rundll32", "regsvr32",
	"certutil", "bitsadmin", "curl", "wget", "msiexec", "conhost", "forfiles", "pcalua", "msdt", "schtasks",
	"wmic", "msbuild", "installutil", "cmstp", "hh", "bash", "wsl"}

// Program returns the shell or living-off-the-land tool a command line
// starts (its first word, with any path, quotes and ".exe" dropped), or "".
func Program(cmd string) string {
	cmd = strings.TrimSpace(cmd)
	var first string
	if strings.HasPrefix(cmd, `"`) {
		first, _, _ = strings.Cut(cmd[1:], `"`)
	} else {
		first, _, _ = strings.Cut(cmd, " ")
	}
	first = strings.ToLower(first)
	if i := strings.LastIndexAny(first, `\/]`); i >= 0 {
		first = first[i+1:]
	}
	first = strings.TrimSuffix(first, ".exe")
	for _, b := range lolbins {
		if first == b {
			return b
		}
	}
	return ""
}

// Script judges script text a package carries (a VBScript custom action,
// a page's script block) and returns the traits script.Scan saw.
func Script(ctx context.Context, fs *rules.Findings, text string) script.Traits {
	return script.Scan(ctx, text, fs)
}
