package cmdline

import (
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
)

// psParam reports whether a (lower case) is an abbreviation of the
// PowerShell host parameter full, at least min characters after the dash
// (PowerShell accepts any unambiguous prefix, and "/" as well as "-").
func psParam(a, full string, min int) bool {
	if len(a) < 2 || a[0] != '-' && a[0] != '/' {
		return false
	}
	a = a[1:]
	return len(a) >= min && strings.HasPrefix(full, a)
}

// powershell judges a call of powershell.exe: an encoded command is
// decoded and judged, a -Command judged as PowerShell text, a -File run
// recorded. It reports whether the call evaluates its standard input
// (`… | powershell -`).
func (j *judge) powershell(c *call, s segment, depth int) (eval bool) {
	hidden, bypass := false, false
	for i := 0; i < len(c.low); i++ {
		a := c.low[i]
		next := ""
		if i+1 < len(c.args) {
			next = c.args[i+1]
		}
		switch {
		case psParam(a, "encodedcommand", 1) || a == "-ec" || a == "/ec":
			dec, ok := DecodeEncodedCommand(next)
			if !ok {
				j.add("powershell-encoded", rules.Medium, "passes PowerShell an -EncodedCommand that does not decode to text", c.raw)
				return false
			}
			ev := dec
			if strings.TrimSpace(dec) == "" {
				ev = c.raw
			}
			j.add("powershell-encoded", rules.Medium, "passes PowerShell an -EncodedCommand (base64 UTF-16LE) to hide it", ev)
			j.line(Deobfuscate(LangPowerShell, dec), depth+1)
			return false
		case psParam(a, "windowstyle", 1):
			nl := lowerASCII(next)
			hidden = nl == "hidden" || nl == "h" || nl == "hid" || nl == "1"
			i++
		case psParam(a, "executionpolicy", 2) || a == "-ep":
			bypass = strings.EqualFold(next, "bypass") || strings.EqualFold(next, "unrestricted")
			i++
		case psParam(a, "file", 1):
			j.addRun(next, c.raw, true)
			if isStaged(next) {
				j.add("lolbin-powershell-staged", rules.High, "PowerShell runs a script from a share, WebDAV or user-writable place", c.raw)
			}
			return false
		case psParam(a, "command", 1) || a == "-cwa" || a == "-commandwithargs":
			j.line(Deobfuscate(LangPowerShell, unquote(tailAfter(c.raw, c.args[i]))), depth+1)
			j.hidden(hidden, bypass, c.raw)
			return false
		case a == "-":
			return s.piped
		case psParam(a, "noprofile", 3) || psParam(a, "noninteractive", 4) || psParam(a, "nologo", 3) ||
			psParam(a, "noexit", 4) || psParam(a, "sta", 2) || psParam(a, "mta", 1) || psParam(a, "version", 1) ||
			a == "-nop" || a == "-noni":
			if psParam(a, "version", 1) {
				i++
			}
		default:
			// The first word that is not a parameter starts the command.
			j.line(Deobfuscate(LangPowerShell, unquote(tailFrom(c.raw, c.args[i]))), depth+1)
			j.hidden(hidden, bypass, c.raw)
			return false
		}
	}
	return s.piped
}

func (j *judge) hidden(hidden, bypass bool, raw string) {
	if hidden && bypass {
		j.add("powershell-hidden", rules.Low, "starts PowerShell with a hidden window and a bypassed execution policy", raw)
	}
}

// tailFrom returns the raw text from the first occurrence of word.
func tailFrom(raw, word string) string {
	l := lowerASCII(raw)
	i := strings.Index(l, lowerASCII(word))
	if i < 0 {
		return ""
	}
	return raw[i:]
}
