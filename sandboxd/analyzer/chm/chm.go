// Package chm is the sandboxd analyzer for Compiled HTML Help (.chm):
// ITSF archives of HTML pages that hh.exe shows with Internet Explorer's
// engine in the local-machine zone. It reads the ITSF/ITSP directory,
// inflates the MSCompressed section with its own bounded LZX decoder
// (no served Go module decodes CHM's LZX), and judges the pages: the HTML
// Help ActiveX control in its ShortCut mode runs a program with arguments
// (clicked from script, it runs on open), and page scripts run with WSH
// objects at hand. Help files with ordinary pages, related-topic buttons
// and harmless scripts stay clean.
//
// It promises bounded work: directory entries, decompressed bytes and the
// pages scanned are budgeted, and ctx is checked between frames and pages.
package chm

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"path"
	"regexp"
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/launch"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
)

// Analyzer judges compiled HTML help files.
type Analyzer struct{}

// New returns the CHM analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "chm" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() string { return "1" }

const (
	maxPages    = 4096
	maxPageScan = 4 << 20
	// maxScanTotal bounds the bytes judged over all files: directory
	// entries may overlap, so a small file can name the same 4 MiB a
	// thousand times.
	maxScanTotal = 64 << 20
)

// Accepts takes ITSF files and anything named .chm.
func (*Analyzer) Accepts(f *analyzer.File) bool {
	return isCHM(f.Data) || rules.HasExt(f.Ext, ".chm") || strings.Contains(f.Type, "htmlhelp")
}

// Analyze implements analyzer.Analyzer.
func (a *Analyzer) Analyze(ctx context.Context, f *analyzer.File) (analyzer.Result, error) {
	fs := &rules.Findings{Analyzer: a.Name()}
	ar, err := parseITSF(f.Data)
	if err != nil {
		return analyzer.Result{Unscannable: err.Error()}, nil
	}
	unscannable := ""
	pages, compressed, scanned := 0, 0, 0
	for _, e := range ar.entries {
		if rules.Done(ctx) {
			return analyzer.Result{Findings: fs.List()}, ctx.Err()
		}
		if e.length == 0 || strings.HasPrefix(e.name, "::") || strings.HasSuffix(e.name, "/") {
			continue
		}
		if pages >= maxPages {
			unscannable = fmt.Sprintf("chm: more than %d files", maxPages)
			break
		}
		b, err := ar.read(ctx, e)
		if err != nil {
			if ctx.Err() != nil {
				return analyzer.Result{Findings: fs.List()}, ctx.Err()
			}
			unscannable = err.Error()
			continue
		}
		if scanned += min(len(b), maxPageScan); scanned > maxScanTotal {
			unscannable = fmt.Sprintf("chm: files add up to more than %d bytes to judge", maxScanTotal)
			break
		}
		pages++
		if e.section == 1 {
			compressed++
		}
		judgeFile(ctx, e.name, b, fs)
	}
	if pages > 0 {
		fs.Add("pages", rules.Info, fmt.Sprintf("carries %d file(s), %d LZX-compressed", pages, compressed), firstNames(ar.entries))
	}
	return analyzer.Result{Findings: fs.List(), Unscannable: unscannable}, ctx.Err()
}

func firstNames(es []entry) string {
	var out []string
	for _, e := range es {
		if strings.HasPrefix(e.name, "/") && !strings.HasSuffix(e.name, "/") && len(out) < 6 {
			out = append(out, e.name)
		}
	}
	return strings.Join(out, ", ")
}

var (
	// {ADB880A6-D8FF-11CF-9377-00AA003B7A11}: the HTML Help control
	// (hhctrl.ocx). Its Command parameter picks what a click does.
	objectRe = regexp.MustCompile(`(?is)<object\b[^>]*adb880a6-d8ff-11cf-9377-00aa003b7a11[^>]*>(.*?)(?:</object>|$)`)
	paramRe  = regexp.MustCompile(`(?is)<param\b[^>]*\bname\s*=\s*["']?([\w]+)["']?[^>]*\bvalue\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)`)
	scriptRe = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)
	// Where a page names a location it loads or navigates to.
	linkRe  = regexp.MustCompile(`(?i)\b(?:href|src|action|data|location)\s*=\s*["']?([^"'\s>]{3,1000})`)
	clickRe = regexp.MustCompile(`(?i)\.click\s*\(\s*\)|\bhhclick\b|onload\s*=`)
)

// judgeFile judges one file of the help file by what it is.
func judgeFile(ctx context.Context, name string, b []byte, fs *rules.Findings) {
	if rules.ContainsEICAR(b) {
		fs.AddEICAR("CHM file " + name)
	}
	if bytes.HasPrefix(b, []byte("MZ")) {
		fs.Add("embedded-program", rules.Medium, "carries a Windows program inside the help file", name)
		return
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".htm", ".html", ".hhc", ".hhk", ".xml", ".sct", ".hta":
	case ".js", ".vbs", ".vbe", ".wsf", ".ps1", ".bat", ".cmd":
		fs.Add("embedded-script", rules.Low, "carries a Windows script inside the help file", name)
		launch.Script(ctx, fs, string(b[:min(len(b), maxPageScan)]), scriptLang(name))
		return
	default:
		return
	}
	text := string(b[:min(len(b), maxPageScan)])
	lower := strings.ToLower(text)
	// The regular expressions run only where their anchor word appears:
	// most pages of a large help file have none of them.
	var objects [][]string
	if strings.Contains(lower, "adb880a6") {
		objects = objectRe.FindAllStringSubmatch(text, 16)
	}
	for _, m := range objects {
		params := map[string]string{}
		for _, p := range paramRe.FindAllStringSubmatch(m[1], 32) {
			params[strings.ToLower(p[1])] = html.UnescapeString(strings.Trim(p[2], `"'`))
		}
		cmd := strings.ToLower(strings.TrimSpace(params["command"]))
		if !strings.HasPrefix(cmd, "shortcut") {
			continue
		}
		prog, args := shortcutItem(params["item1"])
		line := strings.TrimSpace(prog + " " + args)
		fs.Add("shortcut-object", rules.High, "a page carries the HTML Help ShortCut control, which starts a program with arguments", name+": "+line)
		if launch.Program(prog) != "" {
			fs.Add("shortcut-lolbin", rules.High, "the ShortCut control starts "+launch.Program(prog), line)
		}
		launch.Command(ctx, fs, line)
		if clickRe.MatchString(text) {
			fs.Add("shortcut-autoclick", rules.High, "the page clicks the ShortCut control from script: the program starts when the page opens", name)
		}
	}
	if riskyLinkHint(lower) {
		for _, m := range linkRe.FindAllStringSubmatch(text, 256) {
			launch.URI(fs, m[1]) // ms-msdt:, search-ms:, UNC and WebDAV paths
		}
	}
	if !strings.Contains(lower, "<script") {
		return
	}
	for _, m := range scriptRe.FindAllStringSubmatch(text, 64) {
		lang := launch.JScript
		if strings.Contains(strings.ToLower(m[1]), "vbscript") {
			lang = launch.VBScript
		}
		t := launch.Script(ctx, fs, m[2], lang)
		if t.WSH && (t.Exec || t.Shell) {
			fs.Add("page-script-runs", rules.High, "a page script starts programs through Windows Script Host (help pages run in the local-machine zone)", name)
		}
	}
}

// riskyLinkHint is a cheap test for text that may link to something
// cmdline.RiskyURI would flag (anything but plain web and page links).
func riskyLinkHint(lower string) bool {
	for _, h := range []string{"ms-", "search", `\\`, "file:", "mk:", "its:", "hcp:", "shell:", "davwwwroot", "@ssl", "script:", "mhtml:"} {
		if strings.Contains(lower, h) {
			return true
		}
	}
	return false
}

// shortcutItem splits the ShortCut control's Item1, "[window],program,
// arguments", into the program and its arguments.
func shortcutItem(v string) (prog, args string) {
	parts := strings.SplitN(v, ",", 3)
	switch len(parts) {
	case 3:
		return strings.TrimSpace(parts[1]), strings.TrimSpace(parts[2])
	case 2:
		return strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])
	}
	return strings.TrimSpace(v), ""
}

func scriptLang(n string) launch.Lang {
	switch strings.ToLower(path.Ext(n)) {
	case ".vbs", ".vbe":
		return launch.VBScript
	case ".ps1":
		return launch.PowerShell
	case ".bat", ".cmd":
		return launch.Batch
	}
	return launch.JScript
}
