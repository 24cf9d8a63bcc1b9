// Package pdf is the sandboxd analyzer for PDF documents. It does not parse
// the cross-reference table: malicious PDFs are malformed on purpose, so it
// reads the file as a sequence of tokens, decodes the streams it finds
// (FlateDecode, ASCIIHexDecode; object streams included) under byte budgets,
// and judges by the names and actions it sees: JavaScript and what starts
// it (OpenAction, AA), Launch, SubmitForm, embedded files and their types,
// URIs, XFA. Names hidden with #xx escapes (/J#61vaScript) are decoded.
//
// It promises bounded work: at most maxStreams streams, maxStreamBytes per
// decoded stream and maxTotalBytes for all, and a check of ctx per stream.
package pdf

import (
	"bytes"
	"context"
	"regexp"
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/cmdline"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
	"github.com/airlockmail/airlock/sandboxd/analyzer/script"
	"github.com/airlockmail/airlock/verdict"
)

// Limits on what one file may make the analyzer decode.
const (
	maxStreams     = 20000
	maxStreamBytes = 16 << 20
	maxTotalBytes  = 96 << 20
	maxJSBytes     = 4 << 20
)

// Analyzer judges PDF files.
type Analyzer struct{}

// New returns the PDF analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "pdf" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() string { return "2" }

// Accepts takes files whose type or extension says PDF, or with %PDF- in
// the first KiB (readers accept it there, so attackers put it there).
func (*Analyzer) Accepts(f *analyzer.File) bool {
	if strings.Contains(f.Type, "pdf") || rules.HasExt(f.Ext, ".pdf") {
		return true
	}
	head := f.Data[:min(len(f.Data), 1024)]
	return bytes.Contains(head, []byte("%PDF-"))
}

// doc is what the scan collected.
type doc struct {
	names     map[string]int // decoded name → count
	escaped   map[string]bool
	js        []string // JavaScript source found in strings and streams
	uris      []string
	fileNames []string
	embedded  [][]byte // decoded /EmbeddedFile streams
	streams   int
	decoded   int
	badFilter int
	truncated bool
}

// Analyze implements analyzer.Analyzer.
func (a *Analyzer) Analyze(ctx context.Context, f *analyzer.File) (analyzer.Result, error) {
	fs := &rules.Findings{Analyzer: a.Name()}
	d := &doc{names: map[string]int{}, escaped: map[string]bool{}}
	d.scan(ctx, f.Data, 0)
	if err := ctx.Err(); err != nil {
		return analyzer.Result{Findings: fs.List()}, err
	}
	judge(ctx, d, fs)
	// A link to a risky protocol handler or share (ms-msdt:, search-ms:,
	// file://host) is judged by the table every analyzer shares.
	for i, u := range d.uris {
		if i >= 64 {
			break
		}
		if x, ok := cmdline.RiskyURI(a.Name(), u); ok {
			fs.Add(x.Rule, x.Severity, "a link "+x.Description, x.Evidence)
		}
	}
	var res analyzer.Result
	res.Findings = fs.List()
	for i, u := range d.uris {
		if i >= 10 {
			break
		}
		res.Indicators = append(res.Indicators, verdict.Indicator{Kind: "url", Value: rules.Evidence(u)})
	}
	if d.truncated {
		// Said, not scored: what was seen is judged; the rest could not be.
		fs.Add("budget", rules.Info, "some streams were not decoded whole (size budget)", "")
		res.Findings = fs.List()
	}
	return res, nil
}

func (d *doc) has(names ...string) bool {
	for _, n := range names {
		if d.names[n] > 0 {
			return true
		}
	}
	return false
}

func judge(ctx context.Context, d *doc, fs *rules.Findings) {
	hasJS := d.has("JavaScript", "JS")
	auto := d.has("OpenAction", "AA")
	if hasJS && formHelpersOnly(d.js) {
		// Acrobat's own field formatting and calculation helpers
		// (AFNumber_Format …) in field actions: every tax form has them.
		fs.Add("form-scripts", rules.Info, "form fields use Acrobat's formatting and calculation helpers", firstJS(d))
		hasJS = false
	}
	if hasJS {
		sev, desc := rules.Medium, "contains JavaScript"
		if auto {
			sev, desc = rules.High, "runs JavaScript when the document is opened or a page is shown (OpenAction / AA)"
		}
		fs.Add("javascript", sev, desc, firstJS(d))
		jsFindings(ctx, d, fs)
	}
	if d.has("Launch") {
		sev := rules.High
		for _, n := range d.fileNames {
			l := strings.ToLower(n)
			if rules.IsExecutableName(n) || strings.Contains(l, "cmd") || strings.Contains(l, "powershell") {
				sev = rules.Critical
			}
		}
		fs.Add("launch", sev, "has a Launch action that starts a program or opens a file", launchEvidence(d))
	}
	if d.has("SubmitForm") {
		fs.Add("submit-form", rules.Medium, "has a SubmitForm action that sends form fields to a server", firstURI(d))
	}
	if d.has("ImportData") {
		fs.Add("import-data", rules.Low, "has an ImportData action", "")
	}
	if d.has("XFA") {
		fs.Add("xfa", rules.Low, "carries an XFA form (scriptable, rarely used by honest senders)", "")
	}
	if d.has("RichMedia") || d.has("Flash") {
		fs.Add("richmedia", rules.Medium, "embeds rich media (Flash)", "")
	}
	if d.has("EmbeddedFile") || len(d.embedded) > 0 {
		fs.Add("embedded-file", rules.Low, "carries embedded files", strings.Join(d.fileNames, ", "))
		for _, n := range d.fileNames {
			if rules.IsExecutableName(n) {
				fs.Add("embedded-executable", rules.High, "carries an embedded file with an executable name", n)
			}
			fs.NameFindings(n)
		}
		for _, b := range d.embedded {
			if rules.ContainsEICAR(b) {
				fs.AddEICAR("PDF embedded file")
			}
			if k := kind(b); k != "" {
				sev := rules.High
				if auto && (hasJS || d.has("Launch")) {
					sev = rules.Critical
				}
				fs.Add("embedded-payload", sev, "carries an embedded "+k, k)
			}
		}
	}
	if len(d.escaped) > 0 {
		var ev []string
		for n := range d.escaped {
			ev = append(ev, n)
		}
		fs.Add("obfuscated-name", rules.Medium, "writes action names with #xx escapes to hide them from scanners", strings.Join(ev, " "))
	}
	if d.badFilter > 0 && hasJS {
		fs.Add("broken-stream", rules.Low, "has streams that do not decode, alongside JavaScript", "")
	}
	if d.has("Encrypt") {
		fs.Add("encrypted", rules.Info, "is encrypted; string and stream contents were not decrypted", "")
	}
	if hasJS && auto && d.has("Launch") {
		fs.Add("autorun-launch", rules.Critical, "starts JavaScript and a Launch action on open", "OpenAction + JavaScript + Launch")
	}
}

// jsFindings scans the JavaScript for what PDF exploits and droppers do.
func jsFindings(ctx context.Context, d *doc, fs *rules.Findings) {
	all := strings.Join(d.js, "\n")
	if len(all) > maxJSBytes {
		all = all[:maxJSBytes]
	}
	low := strings.ToLower(all)
	for _, p := range []struct {
		needle, rule string
		sev          verdict.Severity
		desc         string
	}{
		{"unescape(", "js-unescape", rules.Medium, "JavaScript decodes %u-escaped data (shellcode / heap spray)"},
		{"%u9090", "js-shellcode", rules.Critical, "JavaScript carries NOP-sled shellcode"},
		{"util.printf", "js-exploit-api", rules.High, "JavaScript calls an API with known Reader exploits (util.printf)"},
		{"collab.geticon", "js-exploit-api", rules.High, "JavaScript calls an API with known Reader exploits (Collab.getIcon)"},
		{"collab.collectemailinfo", "js-exploit-api", rules.High, "JavaScript calls an API with known Reader exploits"},
		{"media.newplayer", "js-exploit-api", rules.High, "JavaScript calls an API with known Reader exploits (media.newPlayer)"},
		{"spell.customdictionaryopen", "js-exploit-api", rules.High, "JavaScript calls an API with known Reader exploits"},
		{"exportdataobject", "js-export", rules.High, "JavaScript extracts an embedded file (exportDataObject)"},
		{"app.launchurl", "js-launch-url", rules.Medium, "JavaScript opens a web address"},
		{"submitform", "js-submit", rules.Medium, "JavaScript submits form data to a server"},
		{"eval(", "js-eval", rules.Medium, "JavaScript evaluates a string as code"},
	} {
		if i := strings.Index(low, p.needle); i >= 0 {
			fs.Add(p.rule, p.sev, p.desc, all[i:min(len(all), i+80)])
		}
	}
	if strings.Contains(low, "exportdataobject") && strings.Contains(low, "nlaunch") {
		fs.Add("js-export-launch", rules.Critical, "JavaScript extracts an embedded file and launches it", "exportDataObject nLaunch")
	}
	script.Scan(ctx, all, fs)
}

func firstJS(d *doc) string {
	if len(d.js) > 0 {
		return d.js[0]
	}
	return "/JavaScript"
}

func firstURI(d *doc) string {
	if len(d.uris) > 0 {
		return d.uris[0]
	}
	return ""
}

func launchEvidence(d *doc) string {
	if len(d.fileNames) > 0 {
		return strings.Join(d.fileNames, ", ")
	}
	return "/Launch"
}

// kind names an embedded payload by its magic bytes.
func kind(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("MZ")):
		return "Windows executable"
	case bytes.HasPrefix(b, []byte("\x7fELF")):
		return "ELF executable"
	case bytes.HasPrefix(b, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")) && bytes.Contains(b, []byte("V\x00B\x00A")):
		return "Office document with macros"
	case bytes.HasPrefix(b, []byte("PK\x03\x04")) && bytes.Contains(b, []byte("vbaProject.bin")):
		return "Office document with macros"
	case bytes.HasPrefix(b, []byte("L\x00\x00\x00\x01\x14\x02\x00")):
		return "Windows shortcut (LNK)"
	}
	return ""
}

// afHelperRe matches one call of an Acrobat form helper (AFNumber_Format,
// AFSimple_Calculate, AFDate_FormatEx …) and nothing else.
var afHelperRe = regexp.MustCompile(`^\s*(AF[A-Za-z]+_[A-Za-z]+\((?:[^()]|\([^()]*\))*\)\s*;?\s*)+$`)

// formHelpersOnly reports whether every JavaScript string found is made of
// Acrobat form helper calls only (and there is at least one).
func formHelpersOnly(js []string) bool {
	if len(js) == 0 {
		return false
	}
	for _, s := range js {
		if !afHelperRe.MatchString(s) {
			return false
		}
	}
	return true
}
