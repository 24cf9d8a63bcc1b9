package script

import (
	"context"
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/cmdline"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
	"github.com/airlockmail/airlock/verdict"
)

// Traits are what a piece of script text does, as far as patterns can tell.
// Scan fills them; the combinations (downloads and runs, obfuscated and
// evaluates) are what make a verdict, because each trait alone is common in
// honest scripts.
type Traits struct {
	Exec       bool // runs a program or command line
	Download   bool // fetches from the network in a way only droppers do
	Save       bool // writes a file from bytes it holds or fetched
	Eval       bool // evaluates a string as code
	Obfuscated bool // hides its text (char-code chains, reversal, encoding)
	WSH        bool // uses Windows Script Host objects
	Shell      bool // launches powershell, cmd, mshta, wscript and friends
	Hidden     bool // asks for a hidden window / bypassed policy
	AutoExec   bool // runs on open (VBA Auto*/Document_Open; set by callers)
	// Resolved: the evaluator worked out every command line the text
	// launches and the shared command rules found nothing in them, so
	// obfuscation in front of a launch hides nothing (set by callers).
	Resolved bool
}

// Patterns run on ASCII-lower-cased text (see src); the gates are cheap
// substring checks that decide whether the pattern is worth running.
var (
	execRe     = p(`(?m)(^\s*start\s+|\.run\s*[\(" ]|\.exec\s*\(|\bshell\s*\(|shellexecute|\bstart-process\b|\bprocess\]?::start|\bwinexec\b|\bcreateprocess|\binvoke-item\b)`, "start", ".run", ".exec", "shell", "winexec", "createprocess", "invoke-item", "process]::")
	downloadRe = p(`(msxml2\.(server)?xmlhttp|microsoft\.xmlhttp|winhttp\.winhttprequest|net\.webclient|downloadstring|downloadfile|downloaddata|invoke-webrequest|\biwr\s|invoke-restmethod|\birm\s|start-bitstransfer|urldownloadtofile|bitsadmin\s+/transfer|certutil(\.exe)?\s+[^\n]*-urlcache|\bnet\.http\.httpclient)`, "xmlhttp", "winhttp", "webclient", "download", "invoke-webrequest", "iwr", "invoke-restmethod", "irm", "bitstransfer", "bitsadmin", "urlcache", "httpclient")
	saveRe     = p(`(certutil(\.exe)?\s[^\n]*-urlcache|adodb\.stream|savetofile|\.createtextfile|\bopentextfile\s*\([^\n]*,\s*[28]\b|writeallbytes|set-content\s[^\n]*-encoding\s+byte|\[io\.file\]::write)`, "urlcache", "adodb", "savetofile", "createtextfile", "opentextfile", "writeallbytes", "set-content", "io.file")
	evalRe     = p(`(?m)(\beval\s*\(|\bexecuteglobal\b|\bexecute\s*\(|^\s*execute\s|\biex\b|invoke-expression|\bnew\s+function\s*\(|\bsettimeout\s*\(\s*["'])`, "eval", "execute", "iex", "invoke-expression", "function", "settimeout")
	wshRe      = p(`(wscript\.shell|wscript\.createobject|new\s+activexobject|scripting\.filesystemobject|shell\.application|\bwscript\.(run|sleep|scriptfullname)\b|getobject\s*\(\s*"winmgmts)`, "wscript", "activexobject", "filesystemobject", "shell.application", "winmgmts")
	shellRe    = p(`\b(powershell(\.exe)?|pwsh|cmd(\.exe)?\s+/[ck]|mshta(\.exe)?|wscript(\.exe)?\s|cscript(\.exe)?\s|rundll32(\.exe)?|regsvr32(\.exe)?)\b`, "powershell", "pwsh", "cmd", "mshta", "wscript", "cscript", "rundll32", "regsvr32")
	hiddenRe   = p(`(-w(indowstyle)?\s+h(idden)?\b|-nop(rofile)?\b[^\n]*-ex(ecutionpolicy)?\s+bypass|-ex(ecutionpolicy)?\s+bypass|-noni(nteractive)?\b)`, "-w", "-nop", "-ex", "-noni")

	chrRe     = p(`\bchrw?\$?\s*\(\s*&?h?[0-9a-f]+\s*[\+\-\*]?\s*\d*\s*\)`, "chr")
	reverseRe = p(`(strreverse\s*\(|\.reverse\(\)\s*\.join|\[array\]::reverse|-join\s*\(\s*\$\w+\[-1\.\.)`, "reverse", "[-1..")
	concatRe  = p(`["'][^"'\n]{1,3}["']\s*[\+&]\s*["'][^"'\n]{1,3}["']\s*[\+&]\s*["'][^"'\n]{1,3}["']`)
	caretRe   = p(`\w\^\w\^\w\^\w`, "^")
	encCmdRe  = p(`(?:^|\s)-e(?:n|nc|nco|ncod|ncode|ncoded|ncodedc|ncodedco|ncodedcom|ncodedcomm|ncodedcomma|ncodedcomman|ncodedcommand)?\s+["']?([a-z0-9+/]{20,}={0,2})`, "-e")
	urlRe     = p(`\bhttps?://[a-z0-9\-._~%]+(?::\d+)?(?:/[^\s"'<>()]*)?`, "http")

	amsiRe        = p(`(amsiutils|amsiinitfailed|amsiscanbuffer|amsicontext|amsi\.dll)`, "amsi")
	shadowRe      = p(`(vssadmin(\.exe)?\s+delete\s+shadows|wmic\s+shadowcopy\s+delete|bcdedit[^\n]*recoveryenabled\s+no|wbadmin\s+delete\s+catalog)`, "shadow", "recoveryenabled", "wbadmin")
	persistRe     = p(`(currentversion\\run\b|schtasks(\.exe)?\s+/create|\\start menu\\programs\\startup|new-scheduledtask|register-scheduledtask)`, "currentversion", "schtasks", "startup", "scheduledtask")
	reflectRe     = p(`(\[(system\.)?reflection\.assembly\]::load|assembly\.load\s*\()`, "assembly")
	shellcodeRe   = p(`(virtualalloc|createthread|rtlmovememory|marshal\]::copy|getdelegateforfunctionpointer)`, "virtualalloc", "createthread", "rtlmovememory", "marshal", "getdelegateforfunctionpointer")
	lolbinRe      = p(`(mshta(\.exe)?\s+["']?(https?:|javascript:|vbscript:)|regsvr32(\.exe)?\s[^\n]*/i:\s*https?:|scrobj\.dll|rundll32(\.exe)?\s[^\n]*javascript:|certutil(\.exe)?\s[^\n]*-(decode|urlcache)|msiexec(\.exe)?\s[^\n]*https?://)`, "mshta", "regsvr32", "scrobj", "rundll32", "certutil", "msiexec")
	defenderOffRe = p(`(set-mppreference[^\n]*-disable|add-mppreference[^\n]*-exclusion)`, "mppreference")
)

// maxScan bounds how much text one Scan looks at; scripts past a few MiB are
// padded on purpose, and the interesting part of a dropper is small.
const maxScan = 4 << 20

// Scan looks at script text (JS, VBScript, VBA, PowerShell, batch, the text
// of a shortcut's arguments), records findings and returns the traits. It
// decodes PowerShell -EncodedCommand payloads and scans them too, to depth 2.
func Scan(ctx context.Context, text string, f *rules.Findings) Traits {
	return scan(ctx, text, f, 0, false)
}

func scan(ctx context.Context, text string, f *rules.Findings, depth int, resolved bool) Traits {
	t := Traits{Resolved: resolved}
	if len(text) > maxScan {
		text = text[:maxScan]
	}
	s := newSrc(text)
	if m := execRe.find(s); m != "" {
		t.Exec = true
	}
	if m := downloadRe.find(s); m != "" {
		t.Download = true
		f.Add("download", rules.Low, "fetches from the network with a Windows download API or tool", m)
	}
	if m := saveRe.find(s); m != "" {
		t.Save = true
	}
	if m := evalRe.find(s); m != "" {
		t.Eval = true
	}
	if m := wshRe.find(s); m != "" {
		t.WSH = true
		f.Add("wsh-object", rules.Low, "uses Windows Script Host objects (shell, file system)", m)
	}
	if m := shellRe.find(s); m != "" {
		t.Shell = true
	}
	if m := hiddenRe.find(s); m != "" {
		t.Hidden = true
		f.Add("hidden-window", rules.Medium, "asks for a hidden window or a bypassed execution policy", m)
	}
	if rules.Done(ctx) {
		return t
	}
	obfuscation(s, f, &t)

	for _, p := range []struct {
		re   pat
		rule string
		sev  verdict.Severity
		desc string
	}{
		{amsiRe, "amsi-bypass", rules.Critical, "tampers with AMSI, the interface anti-virus uses to see scripts"},
		{shadowRe, "shadow-copy-delete", rules.Critical, "deletes shadow copies or disables recovery (ransomware preparation)"},
		{defenderOffRe, "defender-tamper", rules.Critical, "disables Microsoft Defender or excludes paths from it"},
		{persistRe, "persistence", rules.Medium, "installs itself to run at logon (Run key, scheduled task, startup folder)"},
		{reflectRe, "reflective-load", rules.High, "loads a .NET assembly from memory"},
		{lolbinRe, "lolbin", rules.High, "abuses a signed Windows tool to fetch or run remote code"},
	} {
		if m := p.re.find(s); m != "" {
			f.Add(p.rule, p.sev, p.desc, m)
		}
	}
	if m := shellcodeRe.all(s, 16); len(m) >= 2 {
		// An allocation plus a way to copy into it or run it; the same
		// word twice (documentation about threads) is not a runner.
		seen := map[string]bool{}
		for _, x := range m {
			seen[strings.ToLower(x)] = true
		}
		if seen["virtualalloc"] && len(seen) >= 2 {
			f.Add("shellcode-runner", rules.High, "allocates executable memory and starts a thread in it", strings.Join(m[:min(len(m), 4)], " "))
		}
	}

	if depth < 2 {
		for _, m := range encCmdRe.submatches(s, 4) {
			dec, ok := cmdline.DecodeEncodedCommand(m)
			if !ok {
				continue
			}
			f.Add("encoded-command", rules.Medium, "passes PowerShell an -EncodedCommand (base64 UTF-16LE) to hide it", dec)
			t.Shell = true
			sub := scan(ctx, dec, f, depth+1, false)
			t.merge(sub)
		}
	}
	for _, u := range urlRe.all(s, 3) {
		f.Add("url", rules.Info, "contains a URL", u)
	}
	combine(s, f, t)
	return t
}

func (t *Traits) merge(o Traits) {
	t.Exec = t.Exec || o.Exec
	t.Download = t.Download || o.Download
	t.Save = t.Save || o.Save
	t.Eval = t.Eval || o.Eval
	t.Obfuscated = t.Obfuscated || o.Obfuscated
	t.WSH = t.WSH || o.WSH
	t.Shell = t.Shell || o.Shell
	t.Hidden = t.Hidden || o.Hidden
}

func obfuscation(s *src, f *rules.Findings, t *Traits) {
	if strings.Count(s.lower, "chr") >= 20 {
		if m := chrRe.all(s, 64); len(m) >= 20 {
			t.Obfuscated = true
			f.Add("chr-chain", rules.Medium, "builds strings from long chains of Chr() calls to hide them", m[0])
		}
	}
	if strings.Contains(s.lower, "fromcharcode") && charCodeList(s.text) {
		t.Obfuscated = true
		f.Add("charcode-chain", rules.Medium, "builds code from a long list of character codes", "fromCharCode")
	}
	if m := reverseRe.find(s); m != "" {
		t.Obfuscated = true
		f.Add("string-reverse", rules.Low, "reverses strings at run time, a common way to hide commands", m)
	}
	if m := longestB64(s.text, 800, false); m != "" {
		t.Obfuscated = true
		f.Add("long-base64", rules.Low, "carries a long base64 blob", m)
	}
	if concatGate(s.lower) {
		if m := concatRe.all(s, 16); len(m) >= 8 {
			t.Obfuscated = true
			f.Add("split-strings", rules.Medium, "splits strings into tiny concatenated pieces to hide them", m[0])
		}
	}
	if strings.Count(s.text, "^") >= 9 {
		if m := caretRe.all(s, 8); len(m) >= 3 {
			t.Obfuscated = true
			f.Add("caret-obfuscation", rules.Medium, "hides batch commands with ^ escapes", m[0])
		}
	}
}

// concatGate counts quote-plus-quote joins; the split-strings pattern runs
// only when there are enough of them.
func concatGate(lower string) bool {
	n := 0
	for _, j := range []string{`"+"`, `" + "`, `" & "`, `"&"`, `'+'`, `' + '`} {
		n += strings.Count(lower, j)
	}
	return n >= 16
}

// combine turns traits into the findings that decide: what honest scripts
// do not do together.
func combine(s *src, f *rules.Findings, t Traits) {
	switch {
	case t.Download && (t.Exec || t.Eval) && (t.WSH || t.Shell || t.Save):
		f.Add("download-execute", rules.Critical, "downloads code and runs it (dropper / download cradle)", firstOf(s, downloadRe, execRe, evalRe))
	case t.Download && t.Eval:
		f.Add("download-execute", rules.Critical, "downloads code and evaluates it (download cradle)", firstOf(s, downloadRe, evalRe))
	case t.Download && t.Save:
		f.Add("download-save", rules.High, "downloads a file and writes it to disk", firstOf(s, downloadRe, saveRe))
	}
	if t.WSH && t.Exec && t.Shell {
		f.Add("spawns-shell", rules.High, "starts a command interpreter (powershell, cmd, mshta) from a script", firstOf(s, shellRe))
	}
	if t.Obfuscated && (t.Eval || t.Exec && !t.Resolved) && (t.WSH || t.Shell || t.Eval) {
		f.Add("obfuscated-execution", rules.High, "hides its code and then evaluates or runs it", firstOf(s, evalRe, execRe))
	}
	if t.AutoExec && (t.Exec || t.Shell || t.Download) {
		f.Add("autoexec-action", rules.Critical, "runs on open and launches programs or downloads", firstOf(s, execRe, shellRe, downloadRe))
	}
}

func firstOf(s *src, res ...pat) string {
	for _, r := range res {
		if m := r.find(s); m != "" {
			return m
		}
	}
	return ""
}
