package script

import (
	"context"
	"encoding/base64"
	"regexp"
	"strings"
	"unicode/utf16"

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
}

type pattern struct {
	re   *regexp.Regexp
	rule string
}

func re(s string) *regexp.Regexp { return regexp.MustCompile(s) }

var (
	execRe = re(`(?im)(^\s*start\s+|\.run\s*[\(" ]|\.exec\s*\(|\bshell\s*\(|shellexecute|\bstart-process\b|\bprocess\]?::start|\bwinexec\b|\bcreateprocess|\binvoke-item\b)`)
	// Network fetches that a browser script never does: COM HTTP objects,
	// .NET web clients, PowerShell cmdlets, LOLBins, the URLMON API.
	downloadRe = re(`(?i)(msxml2\.(server)?xmlhttp|microsoft\.xmlhttp|winhttp\.winhttprequest|net\.webclient|downloadstring|downloadfile|downloaddata|invoke-webrequest|\biwr\s|invoke-restmethod|\birm\s|start-bitstransfer|urldownloadtofile|bitsadmin\s+/transfer|certutil(\.exe)?\s+[^\n]*-urlcache|\bnet\.http\.httpclient)`)
	saveRe     = re(`(?i)(certutil(\.exe)?\s[^\n]*-urlcache|adodb\.stream|savetofile|\.createtextfile|\bopentextfile\s*\([^\n]*,\s*[28]\b|writeallbytes|set-content\s[^\n]*-encoding\s+byte|\[io\.file\]::write)`)
	evalRe     = re(`(?im)(\beval\s*\(|\bexecuteglobal\b|\bexecute\s*\(|^\s*execute\s|\biex\b|invoke-expression|\bnew\s+function\s*\(|\bsetTimeout\s*\(\s*["'])`)
	wshRe      = re(`(?i)(wscript\.shell|wscript\.createobject|new\s+activexobject|scripting\.filesystemobject|shell\.application|\bwscript\.(run|sleep|scriptfullname)\b|getobject\s*\(\s*"winmgmts)`)
	shellRe    = re(`(?i)\b(powershell(\.exe)?|pwsh|cmd(\.exe)?\s+/[ck]|mshta(\.exe)?|wscript(\.exe)?\s|cscript(\.exe)?\s|rundll32(\.exe)?|regsvr32(\.exe)?)\b`)
	hiddenRe   = re(`(?i)(-w(indowstyle)?\s+h(idden)?\b|-nop(rofile)?\b[^\n]*-ex(ecutionpolicy)?\s+bypass|-ex(ecutionpolicy)?\s+bypass|-noni(nteractive)?\b)`)

	chrRe          = re(`(?i)\bchrw?\$?\s*\(\s*&?h?[0-9a-f]+\s*[\+\-\*]?\s*\d*\s*\)`)
	fromCharCodeRe = re(`(?i)fromcharcode`)
	reverseRe      = re(`(?i)(strreverse\s*\(|\.reverse\(\)\s*\.join|\[array\]::reverse|-join\s*\(\s*\$\w+\[-1\.\.)`)
	base64Re       = re(`[A-Za-z0-9+/]{400,}={0,2}`)
	concatRe       = re(`["'][^"'\n]{1,3}["']\s*[\+&]\s*["'][^"'\n]{1,3}["']\s*[\+&]\s*["'][^"'\n]{1,3}["']`)
	caretRe        = re(`\w\^\w\^\w\^\w`)
	encCmdRe       = re(`(?i)(?:^|\s)-e(?:n|nc|nco|ncod|ncode|ncoded|ncodedc|ncodedco|ncodedcom|ncodedcomm|ncodedcomma|ncodedcomman|ncodedcommand)?\s+["']?([A-Za-z0-9+/]{20,}={0,2})`)
	urlRe          = re(`(?i)\bhttps?://[a-z0-9\-._~%]+(?::\d+)?(?:/[^\s"'<>()]*)?`)

	amsiRe        = re(`(?i)(amsiutils|amsiinitfailed|amsiscanbuffer|amsicontext|amsi\.dll)`)
	shadowRe      = re(`(?i)(vssadmin(\.exe)?\s+delete\s+shadows|wmic\s+shadowcopy\s+delete|bcdedit[^\n]*recoveryenabled\s+no|wbadmin\s+delete\s+catalog)`)
	persistRe     = re(`(?i)(currentversion\\run\b|schtasks(\.exe)?\s+/create|\\start menu\\programs\\startup|new-scheduledtask|register-scheduledtask)`)
	reflectRe     = re(`(?i)(\[(system\.)?reflection\.assembly\]::load|assembly\.load\s*\()`)
	shellcodeRe   = re(`(?i)(virtualalloc|createthread|rtlmovememory|marshal\]::copy|getdelegateforfunctionpointer)`)
	lolbinRe      = re(`(?i)(mshta(\.exe)?\s+["']?(https?:|javascript:|vbscript:)|regsvr32(\.exe)?\s[^\n]*/i:\s*https?:|scrobj\.dll|rundll32(\.exe)?\s[^\n]*javascript:|certutil(\.exe)?\s[^\n]*-(decode|urlcache)|msiexec(\.exe)?\s[^\n]*https?://)`)
	defenderOffRe = re(`(?i)(set-mppreference[^\n]*-disable|add-mppreference[^\n]*-exclusion)`)
)

// maxScan bounds how much text one Scan looks at; scripts past a few MiB are
// padded on purpose, and the interesting part of a dropper is small.
const maxScan = 4 << 20

// Scan looks at script text (JS, VBScript, VBA, PowerShell, batch, the text
// of a shortcut's arguments), records findings and returns the traits. It
// decodes PowerShell -EncodedCommand payloads and scans them too, to depth 2.
func Scan(ctx context.Context, text string, f *rules.Findings) Traits {
	return scan(ctx, text, f, 0)
}

func scan(ctx context.Context, text string, f *rules.Findings, depth int) Traits {
	var t Traits
	if len(text) > maxScan {
		text = text[:maxScan]
	}
	if m := execRe.FindString(text); m != "" {
		t.Exec = true
	}
	if m := downloadRe.FindString(text); m != "" {
		t.Download = true
		f.Add("download", rules.Low, "fetches from the network with a Windows download API or tool", m)
	}
	if m := saveRe.FindString(text); m != "" {
		t.Save = true
	}
	if m := evalRe.FindString(text); m != "" {
		t.Eval = true
	}
	if m := wshRe.FindString(text); m != "" {
		t.WSH = true
		f.Add("wsh-object", rules.Low, "uses Windows Script Host objects (shell, file system)", m)
	}
	if m := shellRe.FindString(text); m != "" {
		t.Shell = true
	}
	if m := hiddenRe.FindString(text); m != "" {
		t.Hidden = true
		f.Add("hidden-window", rules.Medium, "asks for a hidden window or a bypassed execution policy", m)
	}
	if rules.Done(ctx) {
		return t
	}
	obfuscation(text, f, &t)

	for _, p := range []struct {
		re   *regexp.Regexp
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
		if m := p.re.FindString(text); m != "" {
			f.Add(p.rule, p.sev, p.desc, m)
		}
	}
	if m := shellcodeRe.FindAllString(text, 4); len(m) >= 2 {
		f.Add("shellcode-runner", rules.High, "allocates executable memory and starts a thread in it", strings.Join(m, " "))
	}

	if depth < 2 {
		for _, m := range encCmdRe.FindAllStringSubmatch(text, 4) {
			dec, ok := decodePSBase64(m[1])
			if !ok {
				continue
			}
			f.Add("encoded-command", rules.Medium, "passes PowerShell an -EncodedCommand (base64 UTF-16LE) to hide it", dec)
			t.Shell = true
			sub := scan(ctx, dec, f, depth+1)
			t.merge(sub)
		}
	}
	for _, u := range urlRe.FindAllString(text, 3) {
		f.Add("url", rules.Info, "contains a URL", u)
	}
	combine(text, f, t)
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

func obfuscation(text string, f *rules.Findings, t *Traits) {
	if n := len(chrRe.FindAllStringIndex(text, 64)); n >= 20 {
		t.Obfuscated = true
		f.Add("chr-chain", rules.Medium, "builds strings from long chains of Chr() calls to hide them", chrRe.FindString(text))
	}
	if n := len(fromCharCodeRe.FindAllStringIndex(text, 8)); n >= 1 {
		if strings.Count(text, ",") > 60 && n >= 1 && charCodeList(text) {
			t.Obfuscated = true
			f.Add("charcode-chain", rules.Medium, "builds code from a long list of character codes", fromCharCodeRe.FindString(text))
		}
	}
	if m := reverseRe.FindString(text); m != "" {
		t.Obfuscated = true
		f.Add("string-reverse", rules.Low, "reverses strings at run time, a common way to hide commands", m)
	}
	if m := base64Re.FindString(text); m != "" && len(m) >= 800 {
		t.Obfuscated = true
		f.Add("long-base64", rules.Low, "carries a long base64 blob", m)
	}
	if n := len(concatRe.FindAllStringIndex(text, 16)); n >= 8 {
		t.Obfuscated = true
		f.Add("split-strings", rules.Medium, "splits strings into tiny concatenated pieces to hide them", concatRe.FindString(text))
	}
	if n := len(caretRe.FindAllStringIndex(text, 8)); n >= 3 {
		t.Obfuscated = true
		f.Add("caret-obfuscation", rules.Medium, "hides batch commands with ^ escapes", caretRe.FindString(text))
	}
}

var charListRe = re(`(\d{2,3}\s*,\s*){40,}`)

func charCodeList(text string) bool { return charListRe.MatchString(text) }

// combine turns traits into the findings that decide: what honest scripts
// do not do together.
func combine(text string, f *rules.Findings, t Traits) {
	switch {
	case t.Download && (t.Exec || t.Eval) && (t.WSH || t.Shell || t.Save):
		f.Add("download-execute", rules.Critical, "downloads code and runs it (dropper / download cradle)", firstOf(text, downloadRe, execRe, evalRe))
	case t.Download && t.Eval:
		f.Add("download-execute", rules.Critical, "downloads code and evaluates it (download cradle)", firstOf(text, downloadRe, evalRe))
	case t.Download && t.Save:
		f.Add("download-save", rules.High, "downloads a file and writes it to disk", firstOf(text, downloadRe, saveRe))
	}
	if t.WSH && t.Exec && t.Shell {
		f.Add("spawns-shell", rules.High, "starts a command interpreter (powershell, cmd, mshta) from a script", firstOf(text, shellRe))
	}
	if t.Obfuscated && (t.Eval || t.Exec) && (t.WSH || t.Shell || t.Eval) {
		f.Add("obfuscated-execution", rules.High, "hides its code and then evaluates or runs it", firstOf(text, evalRe, execRe))
	}
	if t.AutoExec && (t.Exec || t.Shell || t.Download) {
		f.Add("autoexec-action", rules.Critical, "runs on open and launches programs or downloads", firstOf(text, execRe, shellRe, downloadRe))
	}
}

func firstOf(text string, res ...*regexp.Regexp) string {
	for _, r := range res {
		if m := r.FindString(text); m != "" {
			return m
		}
	}
	return ""
}

// decodePSBase64 decodes an -EncodedCommand argument (base64 of UTF-16LE).
func decodePSBase64(s string) (string, bool) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
		if err != nil {
			return "", false
		}
	}
	if len(b) < 4 || len(b)%2 != 0 {
		return "", false
	}
	u := make([]uint16, len(b)/2)
	printable := 0
	for i := range u {
		u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		if u[i] >= 0x20 && u[i] < 0x7f || u[i] == '\n' || u[i] == '\r' || u[i] == '\t' {
			printable++
		}
	}
	if printable*10 < len(u)*8 {
		return "", false
	}
	return string(utf16.Decode(u)), true
}
