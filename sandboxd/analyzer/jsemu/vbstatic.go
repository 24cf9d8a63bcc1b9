package jsemu

import (
	"regexp"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/cmdline"
	"strconv"
	"strings"
)

// vbStatic is the VBScript pass: it does not run the code, it reads what
// a static pass can see after folding the simplest obfuscation (Chr()
// calls and "a" & "b" concatenation): CreateObject/GetObject targets,
// the lines that launch commands, and URLs.
//
// Real VBScript emulation would need a VBScript interpreter (parser,
// Variant semantics, On Error Resume Next, ByRef, default properties,
// Execute/ExecuteGlobal with the caller's scope) wired to the same fake
// objects as the JScript world; no pure-Go one exists, so that is a
// project of its own.
//
// The launched commands come from the evaluator shared with the script
// analyzer (cmdline.VBSCommands), which follows variables, Replace,
// StrReverse, loops and Execute; when it works out every command and the
// shared command rules find nothing in them, they are recorded as
// resolved and the launch is a note, not a suspicion.
func vbStatic(code string, rec *trace) {
	v := cmdline.VBSCommands(code)
	if v.Unresolved == 0 && len(v.Commands) > 0 {
		detail := "resolved"
		if len(cmdline.Judge("jsemu", strings.Join(v.Commands, "\n"))) > 0 {
			detail = ""
		}
		for _, c := range v.Commands {
			rec.add(evVBCommand, c, detail)
		}
		code = foldVB(v.Text)
		for _, m := range vbCreateRE.FindAllStringSubmatch(code, maxPerKind) {
			rec.add(evVBObject, m[2], "")
		}
		for _, u := range urlRE.FindAllString(code, maxPerKind) {
			rec.add(evVBURL, u, "")
		}
		return
	}
	code = foldVB(v.Text)
	for _, m := range vbCreateRE.FindAllStringSubmatch(code, maxPerKind) {
		rec.add(evVBObject, m[2], "")
		if strings.HasPrefix(strings.ToLower(m[2]), "script:") {
			rec.add(evVBURL, m[2][len("script:"):], "")
		}
	}
	for _, line := range strings.Split(code, "\n") {
		if vbLaunchRE.MatchString(line) {
			rec.add(evVBCommand, strings.TrimSpace(line), "")
		}
	}
	for _, u := range urlRE.FindAllString(code, maxPerKind) {
		rec.add(evVBURL, u, "")
	}
}

var (
	vbCreateRE = regexp.MustCompile(`(?i)\b(CreateObject|GetObject)\s*\(\s*"([^"]+)"`)
	vbLaunchRE = regexp.MustCompile(`(?i)\.\s*(Run|Exec|ShellExecute|Create)\b\s*[\("]|\bShell\s*\(\s*"`)
	vbChrRE    = regexp.MustCompile(`(?i)\bChrW?\s*\(\s*(&H[0-9a-f]+|\d+)\s*\)`)
	vbConcatRE = regexp.MustCompile(`"\s*[&+]\s*(?:_\s*\r?\n\s*)?"`)
)

// foldVB turns Chr(104) into "h" and joins adjacent string literals, so
// that URLs and object names built character by character become visible.
func foldVB(code string) string {
	code = vbChrRE.ReplaceAllStringFunc(code, func(m string) string {
		s := vbChrRE.FindStringSubmatch(m)[1]
		var n int64
		var err error
		if strings.HasPrefix(strings.ToLower(s), "&h") {
			n, err = strconv.ParseInt(s[2:], 16, 32)
		} else {
			n, err = strconv.ParseInt(s, 10, 32)
		}
		if err != nil || n <= 0 || n > 0xFFFF || n == '"' || n == '\n' || n == '\r' {
			return m
		}
		return `"` + string(rune(n)) + `"`
	})
	return vbConcatRE.ReplaceAllString(code, "")
}
