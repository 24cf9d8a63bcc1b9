// Package urlfile is the sandboxd analyzer for the INI-style shortcut
// files Explorer acts on: Internet Shortcuts (.url, .website) and Shell
// Command Files (.scf). A double click on a .url opens its URL= with
// whatever handler the scheme names, and merely showing the folder that
// holds one fetches its IconFile=. So a .url is judged on its URL (file://
// and UNC/WebDAV paths that serve the attacker's file and leak the user's
// NTLM hash, search-ms:, ms-msdt: and other risky handlers, a program or
// script behind a web link) and on its icon and working directory.
//
// It promises to read at most maxRead bytes, to fail closed (unscannable)
// on a shortcut it cannot find a target in, and to stay silent on
// ordinary web links.
package urlfile

import (
	"bytes"
	"context"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/cmdline"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
	"github.com/airlockmail/airlock/verdict"
)

// maxRead bounds the text looked at; real shortcuts are a few hundred
// bytes.
const maxRead = 1 << 20

// Analyzer judges .url, .website and .scf files.
type Analyzer struct{}

// New returns the analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "urlfile" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() string { return "1" }

// Accepts takes the extensions and, without one, text whose first
// section is [InternetShortcut] or [Shell].
func (*Analyzer) Accepts(f *analyzer.File) bool {
	if rules.HasExt(f.Ext, ".url", ".website", ".scf") {
		return true
	}
	if f.Ext != "" && !rules.HasExt(f.Ext, ".txt", ".ini") {
		return false
	}
	head := strings.ToLower(Text(f.Data[:min(len(f.Data), 4096)]))
	head = strings.TrimSpace(head)
	return strings.HasPrefix(head, "[internetshortcut]") || strings.HasPrefix(head, "[{000214a0-0000-0000-c000-000000000046}]") ||
		strings.HasPrefix(head, "[shell]") || strings.HasPrefix(head, "[default]") && strings.Contains(head, "[internetshortcut]")
}

// Text decodes the file: UTF-16 with a BOM (Windows writes some
// shortcuts so), UTF-8 with or without BOM, else bytes as Latin-1.
func Text(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xff, 0xfe}):
		return utf16LE(b[2:])
	case bytes.HasPrefix(b, []byte{0xef, 0xbb, 0xbf}):
		return string(b[3:])
	case len(b) >= 4 && b[1] == 0 && b[3] == 0 && b[0] != 0:
		return utf16LE(b)
	}
	if utf8.Valid(b) {
		return string(b)
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

func utf16LE(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	return string(utf16.Decode(u))
}

// Entry is one key=value line of a section.
type Entry struct {
	Section, Key, Value string
}

// Parse reads INI text the way Windows' profile API does: sections in
// brackets, key=value lines, keys case-insensitive, ';' comments, white
// space around keys and values dropped. Every entry is kept (a key given
// twice is two entries: the analyzer judges both, whichever Windows uses).
func Parse(text string) []Entry {
	var out []Entry
	section := ""
	for _, line := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\r' }) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			if i := strings.IndexByte(line, ']'); i > 0 {
				section = strings.ToLower(strings.TrimSpace(line[1:i]))
			}
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		out = append(out, Entry{Section: section, Key: strings.ToLower(strings.TrimSpace(k)), Value: strings.TrimSpace(v)})
		if len(out) >= 4096 {
			break
		}
	}
	return out
}

// Analyze implements analyzer.Analyzer.
func (a *Analyzer) Analyze(ctx context.Context, f *analyzer.File) (analyzer.Result, error) {
	data := f.Data
	if len(data) > maxRead {
		data = data[:maxRead]
	}
	fs := &rules.Findings{Analyzer: a.Name()}
	ents := Parse(Text(data))
	var res analyzer.Result
	targets := 0
	for _, e := range ents {
		if rules.Done(ctx) {
			break
		}
		switch {
		case e.Key == "url" || e.Key == "baseurl":
			targets++
			a.url(e.Value, fs)
			if isWeb(e.Value) {
				res.Indicators = append(res.Indicators, verdict.Indicator{Kind: "url", Value: rules.Evidence(e.Value)})
			}
		case e.Key == "iconfile":
			icon(e.Value, fs)
		case e.Key == "workingdirectory":
			if remote(e.Value) {
				fs.Add("remote-workdir", rules.Medium, "the shortcut's working directory is on a network share or WebDAV", e.Value)
			}
		case e.Section == "shell" && e.Key == "command":
			targets++
			// An .scf Command is a shell verb (2 = show desktop); an
			// .scf that names anything else runs it.
			if v := strings.TrimSpace(e.Value); v != "2" && v != "3" && !strings.EqualFold(v, "ToggleDesktop") {
				fs.Add("scf-command", rules.High, "a Shell Command File runs a command", v)
				for _, x := range cmdline.Judge(a.Name(), v) {
					fs.Add(x.Rule, x.Severity, x.Description, x.Evidence)
				}
			}
		case e.Section == "taskbar" && e.Key == "command":
			targets++
		}
	}
	if targets == 0 {
		res.Unscannable = "the shortcut names no URL or command (not an InternetShortcut or Shell Command File Windows can open)"
	}
	res.Findings = fs.List()
	return res, ctx.Err()
}

func isWeb(v string) bool {
	l := strings.ToLower(v)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// remote reports a share, WebDAV location or non-local file URL.
func remote(v string) bool { return cmdline.IsRemote(v) }

// webExecExts are what a web link should not hand the browser from a
// shortcut: programs and scripts that run once downloaded.
var webExecExts = []string{".exe", ".scr", ".com", ".pif", ".cpl", ".msi", ".hta", ".js", ".jse", ".vbs",
	".vbe", ".wsf", ".ps1", ".bat", ".cmd", ".lnk", ".jar", ".appx", ".msix", ".appinstaller", ".application",
	".library-ms", ".searchconnector-ms", ".search-ms", ".url", ".iso", ".img", ".vhd", ".vhdx", ".xll", ".chm", ".one"}

// url judges the target of an Internet Shortcut.
func (a *Analyzer) url(v string, fs *rules.Findings) {
	if x, ok := cmdline.RiskyURI(a.Name(), v); ok {
		sev := x.Severity
		// From a shortcut there is no page around the link: a file:// or
		// share target opens (and runs) the remote file directly.
		if x.Rule == "risky-uri-file" && sev < verdict.High && execPath(v) {
			sev = verdict.High
		}
		fs.Add(x.Rule, sev, "the Internet Shortcut "+x.Description, x.Evidence)
		if execPath(v) && (x.Rule == "risky-uri-unc" || x.Rule == "risky-uri-file" || x.Rule == "risky-uri-webdav") && remote(v) {
			fs.Add("remote-executable", verdict.Critical, "the Internet Shortcut runs a program or script straight from a network share or WebDAV", v)
		}
		return
	}
	l := strings.ToLower(strings.TrimSpace(v))
	switch {
	case isWeb(l):
		p := l
		if i := strings.IndexAny(p, "?#"); i >= 0 {
			p = p[:i]
		}
		for _, e := range webExecExts {
			if strings.HasSuffix(p, e) {
				fs.Add("url-executable", verdict.Medium, "the Internet Shortcut opens a program or script from the web", v)
				return
			}
		}
	case strings.HasPrefix(l, "javascript:"):
		fs.Add("url-script", verdict.Medium, "the Internet Shortcut runs script", v)
	case len(l) >= 3 && l[1] == ':' && (l[2] == '\\' || l[2] == '/'):
		// A bare local path: Windows opens (runs) it.
		if execPath(l) {
			fs.Add("url-local-program", verdict.High, "the Internet Shortcut runs a local program or script", v)
		}
	}
}

// execPath reports a path or URL ending in an extension Windows runs.
func execPath(v string) bool {
	l := strings.ToLower(strings.TrimSpace(v))
	if i := strings.IndexAny(l, "?#"); i >= 0 {
		l = l[:i]
	}
	l = strings.TrimRight(l, `/\ `)
	for _, e := range webExecExts {
		if strings.HasSuffix(l, e) {
			return true
		}
	}
	return strings.HasSuffix(l, ".dll") || strings.HasSuffix(l, ".sct")
}

// icon judges IconFile: Explorer fetches it as soon as the folder is
// shown, so a share or WebDAV icon leaks the user's NTLM hash without a
// click.
func icon(v string, fs *rules.Findings) {
	switch {
	case remote(v):
		fs.Add("remote-icon", verdict.High, "the shortcut's icon is fetched from a network share or WebDAV when the folder is shown (leaks the user's NTLM hash)", v)
	case isWeb(v):
		fs.Add("web-icon", verdict.Low, "the shortcut's icon is fetched from the web when the folder is shown (tells the sender the file was seen)", v)
	}
}
