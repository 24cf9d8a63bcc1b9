package script

import (
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/cmdline"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
)

// Pages that put a command line on the clipboard and tell the reader to
// paste it into Win+R or a terminal ("ClickFix", fake CAPTCHA and fake
// error pages, 2024–2026) run nothing themselves: the reader does. The
// command is in a script string, often split and concatenated; it is
// judged like any other command line.

// clipboardCues are what a page needs to write the clipboard.
var clipboardCues = []string{"clipboard", "execcommand("}

// shellWords mark a string as a command line worth judging.
var shellWords = []string{"powershell", "pwsh", "mshta", "cmd /c", "cmd.exe", "curl ", "certutil", "rundll32",
	"msiexec", "wscript", "cscript", "iex", "bitsadmin", "conhost", "finger ", "regsvr32", "invoke-"}

// clipboardCommands judges the command lines a page may copy to the
// clipboard.
func clipboardCommands(text string, f *rules.Findings) {
	lower := strings.ToLower(text[:min(len(text), maxScan)])
	cue := false
	for _, c := range clipboardCues {
		cue = cue || strings.Contains(lower, c)
	}
	if !cue {
		return
	}
	n := 0
	for _, lit := range jsStrings(text[:min(len(text), maxScan)], 4096) {
		l := strings.ToLower(lit)
		shell := false
		for _, w := range shellWords {
			shell = shell || strings.Contains(l, w)
		}
		if !shell {
			continue
		}
		fs := cmdline.Judge(f.Analyzer, lit)
		risky := strings.Contains(l, "-w h") || strings.Contains(l, "-windowstyle h") || strings.Contains(l, "hidden")
		for _, x := range fs {
			f.Add(x.Rule, x.Severity, x.Description, x.Evidence)
			risky = risky || x.Severity >= rules.Medium
		}
		if risky {
			f.Add("clipboard-command", rules.High, "the page holds a command line to copy to the clipboard for the reader to run (ClickFix, fake CAPTCHA)", lit)
		}
		if n++; n >= 32 {
			return
		}
	}
}

// jsStrings returns the string literals of script text (', " and `
// quotes, backslash escapes undone), literals joined by + taken as one.
func jsStrings(s string, limit int) []string {
	var out []string
	for i := 0; i < len(s) && len(out) < limit; i++ {
		c := s[i]
		if c != '"' && c != '\'' && c != '`' {
			continue
		}
		lit, end, ok := jsLiteral(s, i)
		if !ok {
			continue
		}
		// "pow" + "ershell …" + "…"
		for {
			k := end
			for k < len(s) && (s[k] == ' ' || s[k] == '\t' || s[k] == '\n' || s[k] == '\r') {
				k++
			}
			if k >= len(s) || s[k] != '+' {
				break
			}
			k++
			for k < len(s) && (s[k] == ' ' || s[k] == '\t' || s[k] == '\n' || s[k] == '\r') {
				k++
			}
			if k >= len(s) || s[k] != '"' && s[k] != '\'' && s[k] != '`' {
				break
			}
			more, e, ok := jsLiteral(s, k)
			if !ok {
				break
			}
			lit += more
			end = e
		}
		if len(lit) >= 8 {
			out = append(out, lit)
		}
		i = end - 1
	}
	return out
}

// jsLiteral reads the literal opened by the quote at s[i]; it returns the
// text and the index after the closing quote.
func jsLiteral(s string, i int) (string, int, bool) {
	q := s[i]
	var b strings.Builder
	for j := i + 1; j < len(s) && j-i < 1<<16; j++ {
		c := s[j]
		switch {
		case c == '\\' && j+1 < len(s):
			j++
			switch s[j] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(s[j])
			}
		case c == q:
			return b.String(), j + 1, true
		case c == '\n' && q != '`':
			return "", j, false
		default:
			b.WriteByte(c)
		}
	}
	return "", len(s), false
}
