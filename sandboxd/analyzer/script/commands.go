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
// returns the traits of the revealed text, the revealed text itself (the
// lines deobfuscation changed or added), and whether every command the
// (VBScript) text launches was worked out and found harmless.
func judgeCommands(ctx context.Context, text, ext string, f *rules.Findings) (Traits, string, bool) {
	if len(text) > maxScan {
		text = text[:maxScan]
	}
	lower := strings.ToLower(text)
	batch, ps, vbs := language(ext, lower)
	var t Traits
	var cmds []string
	resolved := false
	var seen map[string]bool
	var all strings.Builder
	reveal := func(deob string) {
		if deob == text || rules.Done(ctx) {
			return
		}
		if seen == nil {
			seen = lineSet(text)
		}
		if r := revealed(deob, seen); r != "" {
			t.merge(scan(ctx, r, f, 0, resolved))
			all.WriteString(r)
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
	return t, all.String(), resolved
}

// lineSet is the set of lines of text, quotes normalised.
func lineSet(text string) map[string]bool {
	m := map[string]bool{}
	for _, l := range strings.Split(text, "\n") {
		m[normLine(l)] = true
	}
	return m
}

func normLine(l string) string {
	return strings.TrimSpace(strings.ReplaceAll(l, `"`, "'"))
}

// revealed returns the lines of deob that are not lines of the original
// (only what deobfuscation changed or added is scanned again).
func revealed(deob string, orig map[string]bool) string {
	var b strings.Builder
	for _, l := range strings.Split(deob, "\n") {
		if !orig[normLine(l)] {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// uriKeys start the URIs riskyURIs looks at: protocol handlers, UNC
// paths, and WebDAV markers inside web URLs.
var uriKeys = []string{"ms-", "search:", "search-ms:", "hcp:", "its:", "mk:", "vbscript:", "mhtml:", "shell:", "file:", `\\`, "davwwwroot", "@ssl"}

// riskyURIs records every risky protocol handler or remote path a page
// links to or navigates to (Follina's ms-msdt:, search-ms: on a share).
// A URI counts where a page would follow it: right after a quote, '=',
// '(' or a backtick (attribute values, script strings, url()), so prose
// ("search: our catalogue") is not a link.
func riskyURIs(text string, f *rules.Findings) {
	if len(text) > maxScan {
		text = text[:maxScan]
	}
	lower := strings.ToLower(text)
	n := 0
	seen := map[int]bool{}
	for _, key := range uriKeys {
		for from := 0; from < len(lower); {
			i := strings.Index(lower[from:], key)
			if i < 0 {
				break
			}
			i += from
			from = i + len(key)
			start := i
			if key == "davwwwroot" || key == "@ssl" {
				// Back to the start of the value holding the URL.
				start = strings.LastIndexAny(lower[max(0, i-1024):i], "\"'=(\x60<> \t\r\n")
				if start < 0 {
					continue
				}
				start += max(0, i-1024) + 1
			}
			if seen[start] || !opensValue(lower, start) {
				continue
			}
			seen[start] = true
			end := start + strings.IndexFunc(text[start:], func(r rune) bool {
				return r == '"' || r == '\'' || r == '<' || r == '>' || r == '`' || r == ' ' || r == '\t' || r == '\r' || r == '\n'
			})
			if end < start {
				end = len(text)
			}
			if x, ok := cmdline.RiskyURI(f.Analyzer, text[start:min(end, start+4096)]); ok {
				f.Add(x.Rule, x.Severity, x.Description, x.Evidence)
				if n++; n >= 16 {
					return
				}
			}
		}
	}
}

// opensValue reports whether the text before i (spaces skipped) opens a
// value: a quote, '=', '(' or a backtick.
func opensValue(lower string, i int) bool {
	j := i - 1
	for j >= 0 && (lower[j] == ' ' || lower[j] == '\t') {
		j--
	}
	return j >= 0 && strings.IndexByte("\"'=(`", lower[j]) >= 0
}
