package cmdline

import (
	"regexp"
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
)

// interpreters are programs that run whatever they are given.
var interpreters = map[string]bool{
	"powershell": true, "pwsh": true, "powershell_ise": true, "cmd": true, "mshta": true, "wscript": true,
	"cscript": true, "rundll32": true, "regsvr32": true, "msiexec": true, "conhost": true, "pcalua": true,
	"forfiles": true, "msbuild": true, "installutil": true, "bitsadmin": true, "certutil": true, "curl": true,
	"wget": true, "bash": true, "wsl": true,
}

// builtins are cmd's own commands: forfiles /c "cmd /c del @path" is
// housekeeping, not a proxy.
var builtins = map[string]bool{
	"del": true, "erase": true, "echo": true, "copy": true, "move": true, "rd": true, "rmdir": true, "type": true,
	"ren": true, "rename": true, "if": true, "md": true, "mkdir": true, "attrib": true, "dir": true, "for": true,
}

// program applies the rules of c's program; it reports whether the call
// downloads to memory and whether it evaluates text as code.
func (j *judge) program(c *call, s segment, depth int) (memDL, eval bool) {
	p := c.prog
	if p == "" {
		return false, false
	}
	for _, row := range byProg[p] {
		if row.match(c) {
			j.add(row.rule, row.sev, row.desc, c.raw)
		}
	}
	// The program itself may be the staged file: `%TEMP%\a.exe`,
	// `\\host@SSL\DavWWWRoot\a.exe`.
	if strings.ContainsAny(c.path, `\/`) || isExecName(c.path) {
		if isExecName(c.path) || isRemotePath(c.path) {
			j.addRun(c.path, c.raw, false)
		}
	}
	switch p {
	case "start", "explorer", "start-process", "saps", "invoke-item", "ii", "rundll32", "msdt", "hh", "ms-settings":
		for _, a := range c.args {
			if f, ok := RiskyURI(j.fs.Analyzer, a); ok && f.Rule != "risky-uri-unc" && f.Rule != "risky-uri-file" {
				j.add(f.Rule, f.Severity, f.Description, c.raw)
			}
		}
	}
	switch p {
	case "cmd":
		if i := c.flagAt("/c", "/k", "/r"); i >= 0 {
			j.line(unquote(tailAfter(c.raw, c.args[i])), depth+1)
		} else if s.piped {
			eval = true // `… | cmd` runs what it reads
		}
	case "powershell", "pwsh", "powershell_ise":
		eval = j.powershell(c, s, depth)
	case "iex", "invoke-expression":
		eval = true
	case "bash", "sh", "wsl":
		eval = s.piped
	case "curl", "wget", "iwr", "invoke-webrequest", "irm", "invoke-restmethod", "start-bitstransfer":
		memDL = j.fetch(c)
	case "certutil":
		if c.flag("-urlcache", "-verifyctl", "-url") && hasURL(c.raw) {
			j.fetched(c, lastNonURL(c))
		}
		if c.flag("-decode", "-decodehex") {
			if pos := c.positional(); len(pos) >= 2 {
				j.files = append(j.files, dl{dest: baseName(pos[len(pos)-1]), evidence: c.raw})
			}
		}
	case "bitsadmin":
		if hasURL(c.raw) {
			j.fetched(c, lastNonURL(c))
		}
	case "mpcmdrun":
		if c.flag("-downloadfile") {
			j.fetched(c, c.value("-path"))
		}
	case "finger":
		memDL = true
	case "esentutl", "expand", "extrac32", "replace", "xcopy", "robocopy", "copy", "copy-item", "cp":
		if _, ok := c.anyArg(isRemotePath); ok {
			j.fetched(c, lastNonURL(c))
		}
	case "rundll32":
		if pos := c.positional(); len(pos) > 0 {
			j.addRun(dllPart(pos[0]), c.raw, true)
		}
	case "regsvr32", "mshta", "hh":
		if pos := c.positional(); len(pos) > 0 {
			j.addRun(pos[0], c.raw, true)
		}
	case "msiexec":
		if v := c.value("/i", "/package", "/y", "/z", "/j"); v != "" {
			j.addRun(v, c.raw, true)
		}
	case "wscript", "cscript":
		if a := scriptArg(c); a != "" {
			j.addRun(a, c.raw, true)
		}
	case "set-alias", "sal", "new-alias", "nal":
		// Set-Alias x iex: later calls of x are calls of iex.
		name, value := c.value("-name", "-n"), c.value("-value", "-v")
		if pos := c.positional(); name == "" && len(pos) >= 2 {
			name, value = pos[0], pos[1]
		}
		if name != "" && value != "" && len(j.aliases) < 256 {
			j.aliases[strings.ToLower(name)] = progName(value)
		}
	case "start", "start-process", "saps", "invoke-item", "ii", "explorer", "call":
		if p == "start" {
			j.line(startTail(c.tail), depth+1)
		}
		if p == "start-process" || p == "saps" || p == "start" {
			// Start-Process X -ArgumentList Y runs the command line "X Y".
			if a := c.value("-argumentlist", "-args", "-arg", "-a"); a != "" {
				prog := c.value("-filepath", "-file", "-fi")
				if pos := c.positional(); prog == "" && len(pos) > 0 {
					prog = pos[0]
				}
				j.line(`"`+prog+`" `+a, depth+1)
			}
		}
		if v := c.value("-filepath", "-path", "-fi"); v != "" {
			j.addRun(v, c.raw, p != "explorer")
		} else if pos := startTarget(c); pos != "" {
			j.addRun(pos, c.raw, p != "explorer")
		}
	case "conhost":
		j.line(conhostTail(c), depth+1)
	case "pcalua":
		if v := c.value("-a"); v != "" {
			j.addRun(v, c.raw, true)
			j.line(tailAfter(c.raw, "-a"), depth+1)
		}
	case "forfiles":
		j.forfiles(c, depth)
	case "schtasks":
		j.schtasks(c, depth)
	case "reg":
		if c.flag("add") {
			j.runKey(c.raw, strings.ToLower(c.raw))
		}
	case "wmic":
		if i := strings.Index(strings.ToLower(c.raw), "call create"); i >= 0 {
			j.line(unquote(c.raw[i+len("call create"):]), depth+1)
		}
	}
	return memDL, eval
}

// fetch records what a download tool does: to a file (-o, -OutFile,
// -Destination) or to memory (stdout, the pipeline).
func (j *judge) fetch(c *call) (memDL bool) {
	if !hasURL(c.raw) && !c.flag("-source") {
		return false
	}
	if v := c.value("-o", "--output", "-outfile", "-outf", "-destination", "-od"); v != "" {
		j.fetched(c, v)
		return false
	}
	if c.flag("-o", "--remote-name") || c.prog == "wget" {
		if u, ok := c.anyArg(isURL); ok {
			j.fetched(c, u)
			return false
		}
	}
	for _, a := range c.args {
		if strings.HasPrefix(a, ">") {
			j.fetched(c, strings.TrimLeft(a, ">"))
			return false
		}
	}
	return true
}

// fetched records a download to dest.
func (j *judge) fetched(c *call, dest string) {
	j.anyFetch = c.raw
	if dest != "" {
		j.files = append(j.files, dl{dest: baseName(dest), evidence: c.raw})
	}
}

// lastNonURL is the last positional argument that is not the source URL
// (certutil and bitsadmin put the destination last).
func lastNonURL(c *call) string {
	pos := c.positional()
	for i := len(pos) - 1; i >= 0; i-- {
		if !isURL(pos[i]) && !isRemotePath(pos[i]) {
			if i == 0 {
				break
			}
			return pos[i]
		}
	}
	for _, a := range pos {
		if isURL(a) || isRemotePath(a) {
			return a
		}
	}
	return ""
}

// startTarget is what `start` runs: cmd's start takes a quoted title
// first, which argv cannot tell from the program, so a first argument
// that was quoted in the raw text and is followed by another is a title.
func startTarget(c *call) string {
	pos := c.positional()
	if len(pos) == 0 {
		return ""
	}
	t := strings.TrimSpace(afterFirstWord(c.raw))
	if len(pos) > 1 && strings.HasPrefix(t, `"`) && c.prog == "start" {
		return pos[1]
	}
	return pos[0]
}

// startTail is the command line cmd's start runs: without its switches
// and its quoted window title.
func startTail(tail string) string {
	t := strings.TrimSpace(tail)
	for {
		n := t
		if strings.HasPrefix(n, `"`) {
			// A quoted first word followed by more words is the title.
			if j := strings.IndexByte(n[1:], '"'); j >= 0 && strings.TrimSpace(n[j+2:]) != "" {
				n = strings.TrimSpace(n[j+2:])
			}
		}
		if strings.HasPrefix(n, "/") {
			w := strings.ToLower(strings.Fields(n)[0])
			n = strings.TrimSpace(n[len(w):])
			if w == "/d" || w == "/node" || w == "/affinity" {
				n = afterFirstWord(n)
			}
		}
		if n == t {
			return t
		}
		t = n
	}
}

// tailAfter returns the raw text after the first occurrence of word
// (case-insensitive) in raw.
func tailAfter(raw, word string) string {
	l := strings.ToLower(raw)
	w := strings.ToLower(word)
	i := strings.Index(l, " "+w)
	if i < 0 {
		i = strings.Index(l, w)
		if i < 0 {
			return ""
		}
	} else {
		i++
	}
	return strings.TrimSpace(raw[i+len(w):])
}

var conhostFlags = regexp.MustCompile(`(?i)^\s*((--headless|--inheritcursor|--feature\s+\S+|--width\s+\d+|--height\s+\d+|--signal\s+\S+|--server\s+\S+|-\s*-\S+)\s*)*`)

func conhostTail(c *call) string {
	return unquote(conhostFlags.ReplaceAllString(c.tail, ""))
}

// forfiles runs its /c command for each matching file; a /c that starts
// a program (not a cmd built-in) makes forfiles a proxy.
func (j *judge) forfiles(c *call, depth int) {
	inner := c.value("/c", "-c")
	if inner == "" {
		return
	}
	ic := parse(inner)
	if ic.prog == "cmd" {
		if i := ic.flagAt("/c", "/k"); i >= 0 {
			ic = parse(unquote(tailAfter(ic.raw, ic.args[i])))
		}
	}
	if ic.prog != "" && !builtins[ic.prog] && !strings.HasPrefix(ic.prog, "@") {
		j.add("lolbin-forfiles-proxy", rules.Medium, "forfiles starts a program for matching files (a proxy that hides the parent)", c.raw)
	}
	j.line(strings.ReplaceAll(inner, "0x22", `"`), depth+1)
}

// schtasks: a task that runs an interpreter, a staged file or a URL is
// persistence; creating an ordinary task is a note.
func (j *judge) schtasks(c *call, depth int) {
	if !c.flag("/create") {
		return
	}
	tr := c.value("/tr")
	ic := parse(tr)
	if tr != "" && (interpreters[ic.prog] || isStaged(tr) || hasURL(tr)) {
		j.add("persistence-task", rules.High, "creates a scheduled task that runs an interpreter or a staged file", c.raw)
	} else {
		j.add("schtasks-create", rules.Low, "creates a scheduled task", c.raw)
	}
	if tr != "" {
		j.line(tr, depth+1)
	}
}

// autorunKeys are registry places that start programs without the user.
var autorunKeys = []struct {
	key  string
	high bool // risky whatever the value
}{
	{`currentversion\run`, false},
	{`currentversion\policies\explorer\run`, false},
	{`currentversion\winlogon`, true},
	{`image file execution options`, true},
	{`\environment`, false},
	{`ms-settings\shell\open\command`, true},
	{`\mscfile\shell\open\command`, true},
	{`\exefile\shell\open\command`, true},
	{`currentversion\explorer\shell folders`, true},
	{`\inprocserver32`, false},
}

// runKey judges a registry write (reg add, Set-ItemProperty).
func (j *judge) runKey(raw, low string) {
	for _, k := range autorunKeys {
		if !strings.Contains(low, k.key) {
			continue
		}
		if k.key == `\environment` && !strings.Contains(low, "userinitmprlogonscript") {
			continue
		}
		data := low
		if i := strings.Index(low, " /d "); i >= 0 {
			data = low[i:]
		} else if i := strings.Index(low, "-value"); i >= 0 {
			data = low[i:]
		}
		// A Run value naming a program in a user-writable place is what
		// every per-user updater writes too; an interpreter, a share or a
		// URL there is not.
		risky := k.high || isRemotePath(strings.TrimPrefix(strings.TrimSpace(data), "/d ")) || hasURL(data) || strings.Contains(data, `\\`)
		for p := range interpreters {
			if strings.Contains(data, p) {
				risky = true
			}
		}
		if risky {
			j.add("persistence-autorun", rules.High, "writes an autorun registry key (Run, Winlogon, IFEO, handler hijack) that starts an interpreter or a staged file", raw)
		} else {
			j.add("autorun-key", rules.Medium, "writes an autorun registry key (Run, RunOnce, logon script)", raw)
		}
		return
	}
}
