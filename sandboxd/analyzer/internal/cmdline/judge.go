// Package cmdline judges command lines: the one table of Windows
// living-off-the-land binaries (LOLBAS) and what makes their use risky,
// the table of risky URI schemes (protocol handlers and remote file
// paths), and the deobfuscators that turn batch, PowerShell and VBScript
// text into the commands it would run. Every analyzer that sees a command
// line (scripts, shortcuts, installers, documents) asks Judge, so a rule
// learned once holds everywhere.
//
// It promises bounded work (depth, segment and size limits), findings
// with evidence, and silence on benign uses of the same tools:
// `certutil -hashfile`, `curl -o file` that is never run, https links.
package cmdline

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf16"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
	"github.com/airlockmail/airlock/verdict"
)

// Bounds on one Judge call; a hostile script cannot make it work longer
// than these allow.
const (
	maxDepth    = 6       // nested cmd /c, powershell -c, -enc, schtasks /tr …
	maxSegments = 1 << 15 // simple commands judged per call
	maxInput    = 4 << 20 // bytes of command text per call
)

// Judge inspects one command line (already deobfuscated) and returns
// findings for risky use; analyzer is the calling analyzer's Name().
// The command line may hold several commands (a batch file, a PowerShell
// script): downloads in one and the run of the same file in another are
// judged together.
func Judge(analyzer, cmd string) []verdict.Finding {
	j := newJudge(analyzer)
	j.line(cmd, 0)
	j.combine()
	return j.fs.List()
}

// dl is a file a command fetched or decoded to disk.
type dl struct {
	dest, evidence string
}

// run is a file a command starts.
type run struct {
	target, evidence string
	proxy            bool // started through a signed proxy (rundll32, regsvr32, mshta …)
}

type judge struct {
	fs       *rules.Findings
	segs     int
	files    []dl
	runs     []run
	memDL    string          // evidence of a download held in memory
	tainted  map[string]bool // PowerShell variables that hold downloaded text
	cradle   string          // evidence of download piped into evaluation
	prevDL   bool            // a segment earlier in this pipeline downloaded to memory
	aliases  map[string]string
	anyFetch string // evidence of any network fetch to disk
}

func newJudge(analyzer string) *judge {
	return &judge{fs: &rules.Findings{Analyzer: analyzer}, tainted: map[string]bool{}, aliases: map[string]string{}}
}

// normalize undoes the escapes that change no meaning: cmd's caret and
// PowerShell's backtick in front of a letter.
func normalize(s string) string {
	if !strings.ContainsAny(s, "^`") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '^' && i+1 < len(s) && s[i+1] != '\n' {
			continue
		}
		if c == '`' && i+1 < len(s) && isAlnum(s[i+1]) {
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// line judges every simple command of text.
func (j *judge) line(text string, depth int) {
	if depth > maxDepth || j.segs >= maxSegments {
		return
	}
	if len(text) > maxInput {
		text = text[:maxInput]
	}
	text = normalize(text)
	j.prevDL = false
	for _, s := range segments(text) {
		j.segs++
		if j.segs >= maxSegments {
			return
		}
		j.segment(s, depth)
	}
}

// assignMatch matches a PowerShell assignment "$name =" at the start of
// low, returning its span as regexp.FindStringIndex would.
func assignMatch(low string) []int {
	if !strings.HasPrefix(low, "$") {
		return nil
	}
	return assignRe.FindStringIndex(low)
}

var (
	assignRe     = regexp.MustCompile(`^\$([a-z0-9_:]+)\s*=`)
	varRe        = regexp.MustCompile(`\$([a-z0-9_:]+)`)
	dlFileRe     = regexp.MustCompile(`downloadfile(?:async)?\s*\(\s*[^,]+,\s*["']?([^"')]+)`)
	memDLRe      = regexp.MustCompile(`\.(downloadstring|downloaddata|openread|getstringasync|getbytearrayasync|uploadstring)\s*\(|\[(system\.)?net\.webrequest\]::create`)
	evalTextRe   = regexp.MustCompile(`\[scriptblock\]::create\s*\(|\binvoke-expression\b|(^|[^a-z0-9_\-.])iex\b|\.invokescript\s*\(|\binvoke-command\s+-scriptblock`)
	inlineDLRe   = regexp.MustCompile(`(^|[^a-z0-9_\-])(iwr|irm|invoke-webrequest|invoke-restmethod|curl|wget)\b`)
	procStartRe  = regexp.MustCompile(`\[(system\.)?diagnostics\.process\]::start\s*\(\s*["']?([^"',)]+)`)
	reflectRe    = regexp.MustCompile(`\[(system\.)?reflection\.assembly\]::(load|loadfile|loadfrom|unsafeloadfrom)\s*\(`)
	amsiRe       = regexp.MustCompile(`amsiutils|amsiinitfailed|amsiscanbuffer|amsicontext|amsiopensession`)
	defenderRe   = regexp.MustCompile(`(set-mppreference\s[^|;]*-disable\w*(\s+\$?(true|1))?|add-mppreference\s[^|;]*-exclusion(path|process|extension))`)
	runKeyTextRe = regexp.MustCompile(`(new-itemproperty|set-itemproperty)\s[^|;]*currentversion\\(run|runonce)\b`)
)

// segment judges one simple command.
func (j *judge) segment(s segment, depth int) {
	low := lowerASCII(s.text)
	body := s.text
	if m := assignMatch(low); m != nil {
		// `$d = irm URL`: judge the right-hand side as the command.
		body = strings.TrimLeft(strings.TrimSpace(s.text[m[1]:]), "(")
	}
	c := parse(body)
	if a, ok := j.aliases[c.prog]; ok {
		c.prog = a
	}
	// A download feeds the whole pipeline after it:
	// iwr URL | Select -Expand Content | iex.
	wasDL := j.prevDL && s.piped
	j.prevDL = wasDL

	// Text patterns that do not depend on which program runs (PowerShell
	// code inside a command line, .NET calls). Each regexp runs only
	// when a word it needs is there: most commands have none of them.
	has := func(words ...string) bool {
		for _, w := range words {
			if strings.Contains(low, w) {
				return true
			}
		}
		return false
	}
	memDL := has("download", "openread", "getstringasync", "getbytearrayasync", "uploadstring", "webrequest]") && memDLRe.MatchString(low)
	if has("downloadfile") {
		if m := dlFileRe.FindStringSubmatch(low); m != nil {
			j.files = append(j.files, dl{dest: baseName(m[1]), evidence: s.text})
			j.anyFetch = s.text
			memDL = false
		}
	}
	eval := has("iex", "invoke-expression", "scriptblock", "invokescript", "invoke-command") && evalTextRe.MatchString(low)
	if has("process]::start") {
		if m := procStartRe.FindStringSubmatch(low); m != nil {
			j.addRun(m[2], s.text, false)
		}
	}
	if has("assembly]::") && reflectRe.MatchString(low) {
		j.add("reflective-load", rules.High, "loads a .NET assembly from memory", s.text)
	}
	if has("amsi") && amsiRe.MatchString(low) {
		j.add("amsi-bypass", rules.Critical, "tampers with AMSI, the interface anti-virus uses to see scripts", s.text)
	}
	if has("mppreference") && defenderRe.MatchString(low) {
		j.add("defender-tamper", rules.Critical, "disables Microsoft Defender or excludes paths from it", s.text)
	}
	if i := strings.Index(low, "ms-msdt:"); i >= 0 {
		if f, ok := RiskyURI(j.fs.Analyzer, s.text[i:]); ok {
			j.add(f.Rule, f.Severity, f.Description, s.text)
		}
	}
	if has("currentversion") && runKeyTextRe.MatchString(low) {
		j.runKey(s.text, low)
	}

	// Program-specific rules.
	mem, ev := j.program(&c, s, depth)
	memDL = memDL || mem
	eval = eval || ev
	if eval && !memDL && hasURL(low) && inlineDLRe.MatchString(low) && !strings.Contains(low, "-outf") {
		memDL = true // iex (irm URL), iex(iwr URL).Content
	}

	if memDL {
		j.memDL = s.text
		j.prevDL = true
		if m := assignMatch(low); m != nil {
			j.tainted[strings.TrimSpace(low[1:m[1]-1])] = true
		}
	}
	if eval {
		switch {
		case memDL:
			j.cradle = s.text
		case s.piped && wasDL:
			j.cradle = j.memDL + " | " + s.text
		default:
			if len(j.tainted) > 0 && strings.Contains(low, "$") {
				for _, m := range varRe.FindAllStringSubmatch(low, 16) {
					if j.tainted[m[1]] {
						j.cradle = j.memDL + " … " + s.text
					}
				}
			}
		}
	}
}

// add records a finding with the command as evidence.
func (j *judge) add(rule string, sev verdict.Severity, desc, evidence string) {
	if rules.Evidence(evidence) == "" {
		// Every finding shows something: a command that is only white
		// space or control characters is named by its length.
		evidence = fmt.Sprintf("(%d bytes of blank or control characters)", len(evidence))
	}
	j.fs.Add(rule, sev, desc, evidence)
}

func (j *judge) addRun(target, evidence string, proxy bool) {
	target = strings.TrimSpace(target)
	if target == "" {
		return
	}
	j.runs = append(j.runs, run{target: target, evidence: evidence, proxy: proxy})
}

// combine judges what the commands do together.
func (j *judge) combine() {
	if j.cradle != "" {
		j.add("download-cradle", rules.Critical, "downloads code and evaluates it in memory (download cradle)", j.cradle)
	}
	for _, r := range j.runs {
		b := baseName(r.target)
		for _, d := range j.files {
			if b != "" && (b == d.dest || strings.TrimSuffix(b, ".exe") == strings.TrimSuffix(d.dest, ".exe")) {
				j.add("download-execute", rules.Critical, "fetches or decodes a file and then runs it", d.evidence+" → "+r.evidence)
				return
			}
		}
		if j.anyFetch != "" && r.proxy && isStaged(r.target) {
			j.add("download-execute", rules.Critical, "downloads a file and runs a file from a user-writable place through a system tool", j.anyFetch+" → "+r.evidence)
			return
		}
	}
	for _, r := range j.runs {
		if isURL(r.target) && isExecName(r.target) || isRemotePath(r.target) {
			j.add("exec-remote", rules.High, "runs a program or script straight from a network share, WebDAV or URL", r.evidence)
			return
		}
	}
	for _, r := range j.runs {
		// Installers unpack to %TEMP% and run from there too: a note,
		// which the other traits of the file turn into a verdict.
		if isUserWritable(r.target) && isExecName(r.target) {
			j.add("exec-staged", rules.Low, "runs a program or script from a user-writable place (temp, AppData, Public)", r.evidence)
			return
		}
	}
}

// DecodeEncodedCommand decodes a PowerShell -EncodedCommand argument
// (base64 of UTF-16LE). It reports false for anything that is not mostly
// text. The script analyzer uses it too.
func DecodeEncodedCommand(s string) (string, bool) {
	s = strings.Trim(s, `"' `)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
		if err != nil {
			return "", false
		}
	}
	if len(b) < 2 || len(b)%2 != 0 {
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
