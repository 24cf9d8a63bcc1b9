package cmdline

import (
	"strings"
)

// call is one simple command of a command line: the program as Windows
// would look it up (lower case, no directory, no ".exe") and its
// arguments with quotes removed, plus the raw text for evidence.
type call struct {
	prog string
	// path is argv[0] as written (quotes removed), lower case.
	path string
	args []string
	// low is the lower-cased arguments, for flag matching.
	low []string
	raw string
	// tail is the raw text after argv[0], for programs that take a whole
	// command line (cmd /c, powershell -c, conhost).
	tail string
}

// segments splits a command line into simple commands at the separators
// cmd and PowerShell share: newlines, &, &&, ||, | and ; (outside quotes).
// Pipes are kept as a flag on the next segment so a cradle such as
// `iwr URL | iex` can be seen.
type segment struct {
	text  string
	piped bool // the previous segment's output feeds this one
}

func segments(s string) []segment {
	var out []segment
	var q byte
	start := 0
	piped := false
	depth := 0 // parentheses and braces: PowerShell sub-expressions stay whole
	flush := func(end int, nextPiped bool) {
		t := strings.TrimSpace(s[start:end])
		if t != "" {
			out = append(out, segment{text: t, piped: piped})
		}
		piped = nextPiped
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if q != 0 {
			if c == q {
				q = 0
			}
			if c == '\n' && q == '\'' {
				q = 0 // a lone apostrophe in batch text is not a quote
			}
			continue
		}
		switch c {
		case '"', '\'':
			q = c
		case '(', '{':
			depth++
		case ')', '}':
			if depth > 0 {
				depth--
			}
		case '\n', '\r':
			depth = 0
			flush(i, false)
			start = i + 1
		case ';':
			if depth == 0 {
				flush(i, false)
				start = i + 1
			}
		case '&':
			if depth > 0 {
				continue
			}
			flush(i, false)
			if i+1 < len(s) && s[i+1] == '&' {
				i++
			}
			start = i + 1
		case '|':
			if depth > 0 {
				continue
			}
			if i+1 < len(s) && s[i+1] == '|' {
				flush(i, false)
				i++
			} else {
				flush(i, true)
			}
			start = i + 1
		}
	}
	flush(len(s), false)
	return out
}

// argv splits a simple command into words; double and single quotes group
// (single quotes are PowerShell's) and are removed.
func argv(s string) []string {
	var out []string
	var b strings.Builder
	var q byte
	in := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0:
			if c == q {
				q = 0
				continue
			}
			b.WriteByte(c)
		case c == '"' || c == '\'':
			q = c
			in = true
		case c == ' ' || c == '\t' || c == ',' && b.Len() == 0:
			if in {
				out = append(out, b.String())
				b.Reset()
				in = false
			}
		default:
			b.WriteByte(c)
			in = true
		}
	}
	if in {
		out = append(out, b.String())
	}
	return out
}

// parse turns a segment into a call. The program name drops a leading
// "call", "start"-less "&" call operator and PowerShell's "." dot-source.
func parse(seg string) call {
	c := call{raw: seg}
	s := strings.TrimSpace(seg)
	// PowerShell call operator and cmd's @ echo-off prefix.
	for _, p := range []string{"& ", "&", ". ", "@"} {
		if strings.HasPrefix(s, p) {
			s = strings.TrimSpace(s[len(p):])
		}
	}
	words := argv(s)
	if len(words) == 0 {
		return c
	}
	if strings.EqualFold(words[0], "call") && len(words) > 1 {
		words = words[1:]
		if i := strings.Index(strings.ToLower(s), "call"); i >= 0 {
			s = strings.TrimSpace(s[i+4:])
		}
	}
	c.path = strings.ToLower(words[0])
	c.prog = progName(c.path)
	c.args = words[1:]
	c.low = make([]string, len(c.args))
	for i, a := range c.args {
		c.low[i] = strings.ToLower(a)
	}
	c.tail = afterFirstWord(s)
	return c
}

// progName is the program a path names: the last path element, lower
// case, without a quote, ".exe" or ".com".
func progName(p string) string {
	p = strings.Trim(strings.ToLower(p), `"'() `)
	// "iex(...)" and "iex$x": PowerShell lets a command touch its argument.
	if i := strings.IndexAny(p, "($"); i > 0 {
		p = p[:i]
	}
	if i := strings.LastIndexAny(p, `\/`); i >= 0 {
		p = p[i+1:]
	}
	for _, ext := range []string{".exe", ".com"} {
		p = strings.TrimSuffix(p, ext)
	}
	return p
}

// afterFirstWord returns s after its first (possibly quoted) word.
func afterFirstWord(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if s[0] == '"' || s[0] == '\'' {
		if j := strings.IndexByte(s[1:], s[0]); j >= 0 {
			return strings.TrimSpace(s[j+2:])
		}
		return ""
	}
	if j := strings.IndexAny(s, " \t"); j >= 0 {
		return strings.TrimSpace(s[j+1:])
	}
	return ""
}

// unquote removes one pair of surrounding quotes.
func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return s[1 : len(s)-1]
	}
	if len(s) >= 1 && s[0] == '"' {
		return s[1:]
	}
	return s
}

// flag reports whether one of the call's arguments is one of names
// (lower case; "-" and "/" spellings are tried both ways).
func (c *call) flag(names ...string) bool {
	return c.flagAt(names...) >= 0
}

func (c *call) flagAt(names ...string) int {
	for i, a := range c.low {
		for _, n := range names {
			if a == n || len(a) > 1 && len(n) > 1 && (a[0] == '-' || a[0] == '/') && (n[0] == '-' || n[0] == '/') && a[1:] == n[1:] {
				return i
			}
		}
	}
	return -1
}

// flagPrefix reports an argument that starts with one of prefixes (for
// PowerShell's abbreviable parameters and "/i:URL" forms).
func (c *call) flagPrefix(prefixes ...string) (string, bool) {
	for _, a := range c.low {
		for _, p := range prefixes {
			if strings.HasPrefix(a, p) {
				return a, true
			}
		}
	}
	return "", false
}

// value returns the argument after the first of names, or "".
func (c *call) value(names ...string) string {
	if i := c.flagAt(names...); i >= 0 && i+1 < len(c.args) {
		return c.args[i+1]
	}
	return ""
}

// anyArg returns the first argument for which ok holds.
func (c *call) anyArg(ok func(string) bool) (string, bool) {
	for _, a := range c.args {
		if ok(a) {
			return a, true
		}
	}
	return "", false
}

// positional returns the arguments that are not flags.
func (c *call) positional() []string {
	var out []string
	for _, a := range c.args {
		if len(a) > 1 && (a[0] == '-' || a[0] == '/' && isSwitch(a)) {
			continue
		}
		out = append(out, a)
	}
	return out
}

// isSwitch tells a "/x" or "/name:value" switch from a path starting
// with '/': the name before any ':' is a short word.
func isSwitch(a string) bool {
	name := a[1:]
	if i := strings.IndexByte(name, ':'); i >= 0 {
		name = name[:i]
	} else if strings.Contains(name, "/") {
		return false
	}
	if len(name) == 0 || len(name) > 24 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !isAlnum(name[i]) && name[i] != '-' && name[i] != '_' && name[i] != '?' {
			return false
		}
	}
	return true
}
