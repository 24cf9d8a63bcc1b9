// Package launch is where the installer and runtime analyzers (msi, jar,
// chm, msix) hand over the command lines and scripts they dig out of a
// package, so that every one is judged by the shared rules: command lines
// by cmdline.Judge (the one living-off-the-land table), script text by
// script.Scan plus cmdline's deobfuscators. It adds what they find to the
// caller's findings.
package launch

import (
	"context"
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/cmdline"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
	"github.com/airlockmail/airlock/sandboxd/analyzer/script"
)

// Command judges one command line (what a custom action, a manifest or a
// shortcut object would run) with cmdline.Judge and records the findings
// in fs. It reports whether any of them is medium or worse.
func Command(ctx context.Context, fs *rules.Findings, cmd string) bool {
	cmd = strings.TrimSpace(cmd)
	if cmd == "" || rules.Done(ctx) {
		return false
	}
	risky := false
	for _, x := range cmdline.Judge(fs.Analyzer, cmd) {
		fs.Add(x.Rule, x.Severity, x.Description, x.Evidence)
		risky = risky || x.Severity >= rules.Medium
	}
	return risky
}

// URI records the finding for a risky protocol handler or remote path
// (cmdline.RiskyURI) and reports whether there was one.
func URI(fs *rules.Findings, uri string) bool {
	x, ok := cmdline.RiskyURI(fs.Analyzer, uri)
	if ok {
		fs.Add(x.Rule, x.Severity, x.Description, x.Evidence)
	}
	return ok
}

// Lang is the language of a script a package carries.
type Lang int

const (
	JScript Lang = iota
	VBScript
	PowerShell
	Batch
)

// Script judges script text a package carries (a VBScript custom action,
// a PSF start script, a page's script block): script.Scan on the text and
// on what cmdline's deobfuscator reveals, and cmdline.Judge on the
// commands it would run. It returns the traits of both.
func Script(ctx context.Context, fs *rules.Findings, text string, lang Lang) script.Traits {
	t := script.Scan(ctx, text, fs)
	var revealed, cmds string
	switch lang {
	case VBScript:
		v := cmdline.VBSCommands(text)
		revealed, cmds = v.Text, strings.Join(v.Commands, "\n")
	case PowerShell:
		revealed = cmdline.Deobfuscate(cmdline.LangPowerShell, text)
		cmds = revealed
	case Batch:
		revealed = cmdline.Deobfuscate(cmdline.LangBatch, text)
		cmds = revealed
	}
	if revealed != "" && revealed != text && !rules.Done(ctx) {
		r := script.Scan(ctx, revealed, fs)
		t.Exec, t.Download, t.Save, t.Eval = t.Exec || r.Exec, t.Download || r.Download, t.Save || r.Save, t.Eval || r.Eval
		t.WSH, t.Shell, t.Hidden, t.Obfuscated = t.WSH || r.WSH, t.Shell || r.Shell, t.Hidden || r.Hidden, t.Obfuscated || r.Obfuscated
	}
	if cmds != "" {
		Command(ctx, fs, cmds)
	}
	return t
}

// interpreters run code given on their command line; a package whose
// entry point or action is one of them is itself the warning, whatever
// the arguments (which Command judges on their own).
var interpreters = []string{"powershell", "pwsh", "cmd", "mshta", "wscript", "cscript", "rundll32", "regsvr32",
	"conhost", "bash", "wsl", "msbuild", "installutil", "cmstp", "forfiles", "pcalua", "msdt"}

// Program returns the interpreter a command line starts (its first word,
// without path, quotes or ".exe"), or "".
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
	for _, b := range interpreters {
		if first == b {
			return b
		}
	}
	return ""
}

// Embedded returns the part of an argument list that starts with an
// interpreter ("/c powershell -w hidden …" gives "powershell -w hidden …"):
// a package that runs some file with such arguments hands them to a shell.
func Embedded(args string) string {
	f := strings.Fields(args)
	for i, w := range f {
		if Program(strings.Trim(w, `"'`)) != "" {
			return strings.Join(f[i:], " ")
		}
	}
	return ""
}
