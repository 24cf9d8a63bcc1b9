// Package script is the sandboxd analyzer for scripts and HTML: JavaScript
// and JScript, VBScript and encoded VBE/JSE (decoded here), PowerShell
// (encoded commands decoded), batch, HTA, WSF, and HTML pages with
// smuggling or credential-phishing forms.
//
// It promises to look at no more than a few MiB of text per file, to stop
// when its context is done, and to judge by combinations of traits
// (downloads and runs; hides and evaluates) rather than by single words, so
// that ordinary build scripts and libraries such as jQuery stay clean.
package script

import (
	"bytes"
	"context"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
	"github.com/airlockmail/airlock/verdict"
)

// Analyzer judges scripts and HTML.
type Analyzer struct{}

// New returns the script analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "script" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() string { return "2" }

var scriptExts = []string{".js", ".jse", ".vbs", ".vbe", ".wsf", ".wsh", ".ps1", ".psm1", ".psd1",
	".bat", ".cmd", ".hta", ".html", ".htm", ".xhtml", ".shtml", ".svg", ".sct", ".txt", ""}

// Accepts takes text: scripts, HTML and other text files (scripts are
// sniffed as text/plain). Binary files — Office packages, PDFs, programs —
// belong to other analyzers even when their type names XML.
func (*Analyzer) Accepts(f *analyzer.File) bool {
	if !looksText(f.Data) && !hasUTF16BOM(f.Data) {
		return false
	}
	if f.Category == verdict.Script {
		return true
	}
	t := strings.ToLower(f.Type)
	if strings.HasPrefix(t, "text/") || strings.Contains(t, "javascript") || strings.Contains(t, "html") ||
		t == "application/xml" || strings.Contains(t, "svg") {
		return true
	}
	if f.Ext != "" && rules.HasExt(f.Ext, scriptExts...) {
		return true
	}
	return t == ""
}

func hasUTF16BOM(b []byte) bool {
	return len(b) >= 2 && (b[0] == 0xff && b[1] == 0xfe || b[0] == 0xfe && b[1] == 0xff)
}

func looksText(b []byte) bool {
	if len(b) > 4096 {
		b = b[:4096]
	}
	return len(b) > 0 && bytes.IndexByte(b, 0) < 0 && utf8.Valid(b[:len(b)-min(len(b), 3)])
}

// Analyze implements analyzer.Analyzer.
func (a *Analyzer) Analyze(ctx context.Context, f *analyzer.File) (analyzer.Result, error) {
	fs := &rules.Findings{Analyzer: a.Name()}
	text := toText(f.Data)
	lower := strings.ToLower(text[:min(len(text), 1<<16)])

	if strings.Contains(text, "#@~^") {
		if dec, err := DecodeVBE([]byte(text)); err == nil {
			fs.Add("script-encoded", rules.Medium, "the script is hidden with the Windows Script Encoder (VBE/JSE)", dec)
			text = dec + "\n" + text
		}
	}
	isHTML := rules.HasExt(f.Ext, ".html", ".htm", ".hta", ".xhtml", ".shtml", ".svg") ||
		strings.Contains(strings.ToLower(f.Type), "html") || strings.Contains(lower, "<html") ||
		strings.Contains(lower, "<!doctype html") || strings.Contains(lower, "<hta:application")
	if strings.Contains(lower, "<hta:application") || rules.HasExt(f.Ext, ".hta") {
		fs.Add("hta", rules.Medium, "an HTML application (HTA) runs with full user rights outside the browser sandbox", "HTA:APPLICATION")
	}
	if strings.Contains(lower, "<job") && strings.Contains(lower, "<script") || rules.HasExt(f.Ext, ".wsf") {
		fs.Add("wsf", rules.Low, "a Windows Script File runs with full user rights", "<job>")
	}
	jt, rev, resolved := judgeCommands(ctx, text, f.Ext, fs)
	t := scan(ctx, text, fs, 0, resolved)
	if rev != "" {
		// Traits of the original and of what deobfuscation revealed
		// combine: a download in one and a launch in the other.
		t.merge(jt)
		combine(newSrc(text[:min(len(text), maxScan)]+"\n"+rev), fs, t)
	}
	if isHTML {
		html(ctx, text, fs, t)
		riskyURIs(text, fs)
		clipboardCommands(text, fs)
	}
	return analyzer.Result{Findings: fs.List(), Indicators: indicators(text)}, ctx.Err()
}

// toText turns the bytes into text: UTF-16 (with BOM) is converted, a UTF-8
// BOM dropped, anything else taken as is.
func toText(b []byte) string {
	switch {
	case len(b) >= 2 && b[0] == 0xff && b[1] == 0xfe:
		return utf16String(b[2:], false)
	case len(b) >= 2 && b[0] == 0xfe && b[1] == 0xff:
		return utf16String(b[2:], true)
	case len(b) >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf:
		return string(b[3:])
	}
	return string(b)
}

func utf16String(b []byte, be bool) string {
	if len(b) > 2*maxScan {
		b = b[:2*maxScan]
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		if be {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		}
	}
	return string(utf16.Decode(u))
}

// indicators lists up to ten URLs of the text for the SIEM.
func indicators(text string) []verdict.Indicator {
	var out []verdict.Indicator
	seen := map[string]bool{}
	if len(text) > maxScan {
		text = text[:maxScan]
	}
	for _, u := range urlRe.all(newSrc(text), 10) {
		if len(u) > 512 || seen[u] {
			continue
		}
		seen[u] = true
		out = append(out, verdict.Indicator{Kind: "url", Value: u})
	}
	return out
}
