package script

import (
	"context"
	"regexp"
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/cmdline"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
)

// Scripts are judged on what they would run: the batch, PowerShell or
// VBScript text is deobfuscated (cmdline.Deobfuscate, VBSCommands), the
// result scanned like the original, and the commands it would start
// passed through the shared living-off-the-land rules (cmdline.Judge).

// language guesses which interpreter runs text: by extension first, then
// by content for files without a script extension.
func language(ext, lower string) (batch, ps, vbs bool) {
	switch strings.ToLower(ext) {
	case ".bat", ".cmd":
		return true, false, false
	case ".ps1", ".psm1", ".psd1":
		return false, true, false
	case ".vbs", ".vbe":
		return false, false, true
	case ".js", ".jse", ".sh", ".py":
		return false, false, false
	case ".hta", ".html", ".htm", ".wsf", ".wsh", ".xhtml", ".shtml", ".svg", ".sct":
		return false, false, strings.Contains(lower, "vbscript")
	}
	head := lower[:min(len(lower), 8192)]
	batch = strings.HasPrefix(strings.TrimSpace(head), "@echo off") || strings.Contains(head, "\nset ") && strings.Contains(head, "%")
	ps = psMarkers.MatchString(head)
	vbs = strings.Contains(head, "createobject(") || strings.Contains(head, "\ndim ") || strings.HasPrefix(head, "dim ") ||
		strings.Contains(head, "wscript.") && !strings.Contains(head, "activexobject")
	return batch, ps, vbs
}

var psMarkers = regexp.MustCompile(`(?i)(\$[a-z_]\w*\s*=|\b(invoke|new|get|set|start|write)-[a-z]+\b|\biex\b|\[system\.|\[convert\]::)`)

// vbsBlocks returns the VBScript of an HTML page, HTA or WSF: the text of
// every <script language="VBScript"> element.
var vbsBlockRe = regexp.MustCompile(`(?is)<script[^>]*language\s*=\s*["']?vbscript[^>]*>(.*?)</script>`)

// judgeCommands deobfuscates text in the languages it is written in,
// scans what deobfuscation revealed and judges the commands it runs. It
// returns the traits of the revealed text, and whether every command the
// (VBScript) text launches was worked out and found harmless.
func judgeCommands(ctx context.Context, text, ext string, f *rules.Findings) (Traits, bool) {
	if len(text) > maxScan {
		text = text[:maxScan]
	}
	lower := strings.ToLower(text)
	batch, ps, vbs := language(ext, lower)
	var t Traits
	var cmds []string
	resolved := false
	reveal := func(deob string) {
		if deob != text && !rules.Done(ctx) {
			t.merge(scan(ctx, deob, f, 0, resolved))
		}
	}
	if batch {
		d := cmdline.Deobfuscate(cmdline.LangBatch, text)
		reveal(d)
		cmds = append(cmds, d)
	}
	if ps && !rules.Done(ctx) {
		d := cmdline.Deobfuscate(cmdline.LangPowerShell, text)
		reveal(d)
		cmds = append(cmds, d)
	}
	if vbs && !rules.Done(ctx) {
		code := text
		if ms := vbsBlockRe.FindAllStringSubmatch(text, 64); len(ms) > 0 {
			var b strings.Builder
			for _, m := range ms {
				b.WriteString(m[1])
				b.WriteByte('\n')
			}
			code = b.String()
		} else if !rules.HasExt(ext, ".vbs", ".vbe", "") && !strings.HasPrefix(strings.ToLower(ext), ".txt") {
			code = ""
		}
		if code != "" {
			v := cmdline.VBSCommands(code)
			joined := strings.Join(v.Commands, "\n")
			resolved = v.Unresolved == 0 && len(v.Commands) > 0 && len(cmdline.Judge(f.Analyzer, joined)) == 0
			reveal(v.Text)
			cmds = append(cmds, joined)
		}
	}
	for _, c := range cmds {
		if rules.Done(ctx) {
			break
		}
		for _, x := range cmdline.Judge(f.Analyzer, c) {
			f.Add(x.Rule, x.Severity, x.Description, x.Evidence)
		}
	}
	return t, resolved
}

// uriRe finds protocol-handler URIs and UNC paths where a page would
// follow them: attribute values, script strings, url() and redirects.
// The character before the scheme must open a value, so prose ("search:
// our catalogue") is not a link.
var uriRe = regexp.MustCompile(`(?i)["'=(\x60]\s*((?:ms-[a-z0-9-]+|search|search-ms|hcp|its|mk|vbscript|mhtml|shell|file):[^"'<>\s\x60]*|\\\\[a-z0-9._@-]+\\[^"'<>\s\x60]*|https?://[^"'<>\s\x60]*(?:davwwwroot|@ssl)[^"'<>\s\x60]*)`)

// riskyURIs records every risky protocol handler or remote path a page
// links to or navigates to (Follina's ms-msdt:, search-ms: on a share).
func riskyURIs(text string, f *rules.Findings) {
	if len(text) > maxScan {
		text = text[:maxScan]
	}
	n := 0
	for _, m := range uriRe.FindAllStringSubmatch(text, 256) {
		if x, ok := cmdline.RiskyURI(f.Analyzer, m[1]); ok {
			f.Add(x.Rule, x.Severity, x.Description, x.Evidence)
			if n++; n >= 16 {
				return
			}
		}
	}
}
