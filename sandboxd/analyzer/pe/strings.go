package pe

// Command lines a native program carries: a dropper that hands
// "powershell -w hidden -enc …" or "cmd /c certutil -urlcache …" to
// ShellExecute or CreateProcess keeps the text in its data, in ASCII or
// UTF-16. Those strings are judged with the shared command-line table,
// which stays silent on the benign uses of the same tools.

import (
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
)

// Bounds on the strings judged per file.
const (
	maxStringScan = 8 << 20 // bytes searched for strings
	maxCmdStrings = 256     // command-line strings judged
	minCmdString  = 10
)

// nativeCommands extracts the printable strings of d that look like
// command lines and judges them.
func nativeCommands(d []byte, fs *rules.Findings) {
	var cmds []string
	add := func(s string) {
		if len(cmds) >= maxCmdStrings || len(s) < minCmdString || !strings.Contains(s, " ") {
			return
		}
		l := strings.ToLower(s)
		for _, c := range cmdMarkers {
			if strings.Contains(l, c) {
				cmds = append(cmds, s)
				return
			}
		}
	}
	b := d[:min(len(d), maxStringScan)]
	// ASCII runs.
	start := -1
	for i := 0; i <= len(b); i++ {
		if i < len(b) && printable(b[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start >= minCmdString {
			add(string(b[start:min(i, start+4096)]))
		}
		start = -1
	}
	// UTF-16LE runs (ASCII range), at both alignments.
	for align := 0; align < 2; align++ {
		var run []byte
		for i := align; i+1 < len(b); i += 2 {
			if b[i+1] == 0 && printable(b[i]) {
				if len(run) < 4096 {
					run = append(run, b[i])
				}
				continue
			}
			if len(run) >= minCmdString {
				add(string(run))
			}
			run = run[:0]
		}
	}
	if len(cmds) > 0 {
		judgeCommand(strings.Join(cmds, "\n"), fs)
	}
}

func printable(c byte) bool { return c >= 0x20 && c < 0x7f || c == '\t' }
