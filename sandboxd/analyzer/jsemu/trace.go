package jsemu

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/cmdline"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
	"github.com/airlockmail/airlock/verdict"
)

// evKind is one kind of recorded event.
type evKind int

const (
	evFetch      evKind = iota // value: URL, detail: method
	evFetchOK                  // a download that "succeeded"
	evFile                     // value: path, detail: sha256 (or "from URL")
	evExecFile                 // value: path of a written file that was launched
	evCommand                  // value: command line, detail: via
	evRegistry                 // value: key, detail: value
	evObject                   // value: ProgID
	evLayer                    // value: code built at run time and evaluated
	evRemoteEval               // value: URL whose (fake) body was evaluated
	evWMI                      // value: query or class
	evNavigate                 // value: URL the page navigates or posts to
	evSmuggle                  // value: file name offered for download from a blob
	evScriptSrc                // value: <script src> URL
	evPersist                  // value: what (startup shortcut, copy)
	evDelete                   // value: deleted path
	evSleep                    // value: milliseconds
	evEcho                     // value: text shown
	evException                // value: uncaught exception
	evSyntax                   // value: syntax error
	evAbandoned                // the engine did not stop
	evVBObject                 // static VBScript: CreateObject target
	evVBCommand                // static VBScript: Run/Exec/ShellExecute line
	evVBURL                    // static VBScript: URL
	evFileURL                  // value: URL in text the script wrote to a file
	evKinds
)

// maxValue bounds one recorded string, in bytes.
const maxValue = 8192

// maxPerKind bounds each list of the recording (a script calling Run in a
// loop must not grow the verdict record).
const maxPerKind = 64

type event struct {
	kind   evKind
	value  string
	detail string
}

// trace is the recording of every run of one file. Methods lock: the
// watchdog may read while the script's goroutine still writes.
type trace struct {
	mu     sync.Mutex
	events [evKinds][]event
	seen   map[event]bool
	// dropped counts events over maxPerKind.
	dropped   int
	sleepMS   float64
	fetchesOK int
	fetches   int
}

func newTrace() *trace { return &trace{seen: map[event]bool{}} }

func (t *trace) add(k evKind, value, detail string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch k {
	case evFetch:
		t.fetches++
	case evFetchOK:
		t.fetchesOK++
	}
	// A script can pass megabytes to Run; the record keeps the start.
	if len(value) > maxValue {
		value = value[:maxValue]
	}
	if len(detail) > maxValue {
		detail = detail[:maxValue]
	}
	ev := event{k, value, detail}
	if t.seen[ev] {
		return
	}
	if len(t.events[k]) >= maxPerKind {
		t.dropped++
		return
	}
	t.seen[ev] = true
	t.events[k] = append(t.events[k], ev)
}

func (t *trace) sleep(ms float64) {
	t.mu.Lock()
	t.sleepMS += ms
	t.mu.Unlock()
}

func (t *trace) abandoned() { t.add(evAbandoned, "engine did not stop", "") }

// fetchedButNeverSucceeded: the script tried to download, and every
// attempt failed (so far only the deliberate first failure can have).
func (t *trace) fetchedButNeverSucceeded() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.fetches > 0 && t.fetchesOK == 0
}

func (t *trace) list(k evKind) []event {
	return append([]event(nil), t.events[k]...)
}

func values(evs []event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.value
	}
	return out
}

// join lists values for evidence; rules.Evidence bounds the result.
func join(vs []string) string { return strings.Join(vs, " | ") }

var cmdDownloaderRE = regexp.MustCompile(`(?i)powershell|pwsh|webclient|invoke-webrequest|\biwr\b|downloadstring|downloadfile|bitsadmin|certutil|curl|wget|mshta|regsvr32|rundll32|msiexec|start-bitstransfer`)

var urlRE = regexp.MustCompile(`(?i)\b(?:https?|ftp)://[^\s"'<>()\\^|{}` + "`" + `]+`)

// result turns the recording into findings and indicators.
func (t *trace) result(name string) analyzer.Result {
	t.mu.Lock()
	defer t.mu.Unlock()
	var res analyzer.Result
	find := func(rule string, sev verdict.Severity, desc, evidence string) {
		res.Findings = append(res.Findings, verdict.Finding{
			Analyzer: name, Rule: rule, Severity: sev,
			Description: desc, Evidence: rules.Evidence(evidence),
		})
	}
	fetched := values(t.list(evFetch))
	cmds := values(t.list(evCommand))
	files := t.list(evFile)
	execd := values(t.list(evExecFile))
	var fromNet []string
	var written []string
	for _, f := range files {
		written = append(written, f.value)
		if strings.HasPrefix(f.detail, "from http") || strings.HasPrefix(f.detail, "from ftp") {
			fromNet = append(fromNet, f.value)
		}
	}

	// The chain that makes a dropper: something fetched, then something
	// launched (the saved payload, or a command of its own).
	if len(fetched) > 0 && (len(cmds) > 0 || len(execd) > 0) {
		var chain []string
		chain = append(chain, "fetch "+fetched[0])
		if len(fromNet) > 0 {
			chain = append(chain, "save "+fromNet[0])
		}
		if len(cmds) > 0 {
			chain = append(chain, "run "+cmds[0])
		} else {
			chain = append(chain, "run "+execd[0])
		}
		find("download-execute", verdict.Critical,
			fmt.Sprintf("downloads (%d URL(s)) and launches a program (%d command(s)): a dropper", len(fetched), len(cmds)),
			join(chain))
	}
	// A file the script made itself (an embedded, decoded payload) and
	// then launched: a dropper without a download.
	if len(fetched) == 0 && len(execd) > 0 {
		find("drop-execute", verdict.Critical, "writes a file and launches it: a dropper with an embedded payload",
			join(append(execd[:1:1], cmds...)))
	}
	// A launched command that downloads by itself (PowerShell's
	// WebClient, certutil, bitsadmin, mshta http://...).
	for _, c := range cmds {
		if urlRE.MatchString(c) && cmdDownloaderRE.MatchString(c) {
			find("command-download", verdict.Critical, "launches a command that downloads from a URL", c)
			break
		}
	}
	if remote := values(t.list(evRemoteEval)); len(remote) > 0 {
		find("remote-script", verdict.Critical, "evaluates script code it downloaded", join(remote))
	}
	if len(fetched) > 0 {
		find("download", verdict.High, fmt.Sprintf("fetches %d URL(s) through an HTTP object", len(fetched)), join(fetched))
	}
	if len(fromNet) > 0 {
		find("save-download", verdict.High, "writes downloaded content to disk", join(fromNet))
	}
	if len(cmds) > 0 {
		sev := verdict.High
		find("process-launch", sev, fmt.Sprintf("launches %d command(s)", len(cmds)), join(cmds))
	}
	if len(files) > 0 {
		sev := verdict.Medium
		for _, w := range written {
			if rules.IsExecutableName(w) {
				sev = verdict.High
			}
		}
		find("file-write", sev, fmt.Sprintf("writes %d file(s)", len(files)), join(written))
	}
	if regs := t.list(evRegistry); len(regs) > 0 {
		sev := verdict.Medium
		var ev []string
		for _, r := range regs {
			k := strings.ToLower(r.value)
			if strings.Contains(k, `\currentversion\run`) || strings.Contains(k, `\winlogon`) || strings.Contains(k, `\image file execution options`) {
				sev = verdict.High
			}
			ev = append(ev, r.value+" = "+r.detail)
		}
		find("registry-write", sev, fmt.Sprintf("writes %d registry value(s)", len(regs)), join(ev))
	}
	if p := values(t.list(evPersist)); len(p) > 0 {
		find("persistence", verdict.High, "installs itself to run at logon", join(p))
	}
	if s := values(t.list(evSmuggle)); len(s) > 0 {
		sev := verdict.Medium
		for _, n := range s {
			if rules.IsExecutableName(n) || strings.HasSuffix(strings.ToLower(n), ".zip") || strings.HasSuffix(strings.ToLower(n), ".iso") {
				sev = verdict.High
			}
		}
		find("html-smuggling", sev, "builds a file in the page and offers it for download", join(s))
	}
	if w := values(t.list(evWMI)); len(w) > 0 {
		find("wmi", verdict.Low, "uses WMI (process creation or system queries)", join(w))
	}
	if d := values(t.list(evDelete)); len(d) > 0 {
		find("file-delete", verdict.Low, "deletes files (itself, or its traces)", join(d))
	}
	if l := values(t.list(evLayer)); len(l) > 0 {
		// The deepest layer first: it is the deobfuscated code.
		find("eval-layers", verdict.Low, fmt.Sprintf("builds and evaluates code at run time (%d layer(s))", len(l)), l[len(l)-1])
		for i := len(l) - 1; i >= 0 && i >= len(l)-maxLayerFindings; i-- {
			find("eval-layer", verdict.Info, fmt.Sprintf("layer %d of code built at run time", i+1), l[i])
		}
	}
	if n := values(t.list(evNavigate)); len(n) > 0 {
		find("navigate", verdict.Low, "sends the page or data to another address", join(n))
		// A page that navigates to a protocol handler hands the URI to
		// a program (ms-msdt: is Follina); judged by the shared table,
		// after the script built it however it liked.
		seen := map[string]bool{}
		for _, u := range n {
			if x, ok := cmdline.RiskyURI(name, u); ok && !seen[x.Rule] {
				seen[x.Rule] = true
				res.Findings = append(res.Findings, x)
			}
		}
	}
	// Commands the script launched, judged by the shared living-off-
	// the-land rules (what each runs, not only that it runs).
	if cmds := values(t.list(evCommand)); len(cmds) > 0 {
		for _, x := range cmdline.Judge(name, strings.Join(cmds, "\n")) {
			res.Findings = append(res.Findings, x)
		}
	}
	if t.sleepMS >= 10000 {
		find("long-sleep", verdict.Low, fmt.Sprintf("sleeps %.0f s in total (sandbox evasion)", t.sleepMS/1000), "")
	}
	if vo := values(t.list(evVBObject)); len(vo) > 0 {
		find("vbscript-objects", verdict.Info, "VBScript creates ActiveX objects (static pass, not executed)", join(vo))
	}
	if vc := values(t.list(evVBCommand)); len(vc) > 0 {
		urls := values(t.list(evVBURL))
		if len(urls) > 0 && hasDownloader(values(t.list(evVBObject))) {
			// The whole dropper chain is in the text: an HTTP or stream
			// object, a URL and a launch.
			find("vbscript-dropper", verdict.Critical,
				"VBScript downloads and launches (static pass, not executed)", join(append(urls[:1], vc...)))
		} else if allResolved(t.list(evVBCommand)) {
			find("vbscript-launch", verdict.Low, "VBScript launches commands, all worked out and none risky (static pass, not executed)", join(vc))
		} else {
			find("vbscript-launch", verdict.Medium, "VBScript launches commands (static pass, not executed)", join(vc))
		}
	}
	if o := values(t.list(evObject)); len(o) > 0 {
		find("activex", verdict.Info, "creates ActiveX objects", join(o))
	}
	if m := values(t.list(evEcho)); len(m) > 0 {
		// Decoy messages ("the document is damaged") tell a reader what
		// the victim saw.
		find("message", verdict.Info, "shows messages", join(m))
	}
	if x := values(t.list(evException)); len(x) > 0 {
		find("script-error", verdict.Info, "the script stopped on an uncaught exception", x[0])
	}
	if x := values(t.list(evSyntax)); len(x) > 0 {
		find("syntax-error", verdict.Info, "a script part does not parse as JavaScript", x[0])
	}
	if t.dropped > 0 {
		find("trace-truncated", verdict.Info, fmt.Sprintf("%d repeated events were not recorded", t.dropped), "")
	}
	res.Indicators = t.indicators()
	return res
}

// allResolved reports whether the static VBScript pass worked out every
// launched command and found it harmless.
func allResolved(evs []event) bool {
	for _, e := range evs {
		if e.detail != "resolved" {
			return false
		}
	}
	return len(evs) > 0
}

func hasDownloader(objs []string) bool {
	for _, o := range objs {
		o = strings.ToLower(o)
		if strings.Contains(o, "xmlhttp") || strings.Contains(o, "winhttp") || strings.Contains(o, "adodb.stream") {
			return true
		}
	}
	return false
}

// maxLayerFindings bounds the per-layer evidence findings.
const maxLayerFindings = 4

// maxIndicators bounds the indicator list of one file.
const maxIndicators = 100

// indicators lists URLs (fetched, launched, navigated, written into files
// or seen by the VBScript pass), their hosts as domains or IPs, and the
// hashes of the files the script made itself (not our fake downloads).
// Caller holds t.mu.
func (t *trace) indicators() []verdict.Indicator {
	seen := map[verdict.Indicator]bool{}
	var out []verdict.Indicator
	addInd := func(kind, v string) {
		ind := verdict.Indicator{Kind: kind, Value: v}
		if v == "" || seen[ind] || len(out) >= maxIndicators {
			return
		}
		seen[ind] = true
		out = append(out, ind)
	}
	addURL := func(raw string) {
		raw = strings.TrimRight(raw, ".,;:!?")
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return
		}
		addInd("url", raw)
		host := strings.ToLower(u.Hostname())
		if ip := net.ParseIP(host); ip != nil {
			addInd("ip", ip.String())
		} else if strings.Contains(host, ".") {
			addInd("domain", host)
		}
	}
	for _, k := range []evKind{evFetch, evNavigate, evScriptSrc, evVBURL, evFileURL} {
		for _, e := range t.events[k] {
			addURL(e.value)
		}
	}
	for _, k := range []evKind{evCommand, evVBCommand, evLayer, evRegistry} {
		for _, e := range t.events[k] {
			for _, u := range urlRE.FindAllString(e.value+" "+e.detail, 8) {
				addURL(u)
			}
		}
	}
	var hashes []string
	for _, f := range t.events[evFile] {
		if len(f.detail) == 64 {
			hashes = append(hashes, f.detail)
		}
	}
	sort.Strings(hashes)
	for _, h := range hashes {
		addInd("sha256", h)
	}
	return out
}
