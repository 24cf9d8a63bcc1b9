package cmdline

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/base64"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
)

// PowerShell deobfuscation folds the expressions droppers build their
// commands from into plain string literals, pass after pass until
// nothing changes: backticks, [char] codes, concatenation, -join, the
// format operator, -replace and .Replace, indexing and reversal of
// literals, simple string variables, &('iex') call operators, and base64
// (optionally deflated or gzipped) layers, whose text is decoded and
// deobfuscated in turn. Decoded layers and strings handed to iex are
// appended as lines of their own, so that Judge sees them as commands.
const (
	maxPSPasses = 12
	maxPSDepth  = 4
	maxDecoded  = 1 << 20 // bytes of one decoded or inflated layer
)

var (
	psDQRe          = regexp.MustCompile("\"([^\"$`\\n]*)\"")
	psCharRe        = regexp.MustCompile(`(?i)\[char\]\s*\(?\s*(0x[0-9a-f]+|\d+)\s*\)?`)
	psCharArrRe     = regexp.MustCompile(`(?i)\[char\[\]\]\s*\(\s*((?:0x[0-9a-f]+|\d+)(?:\s*,\s*(?:0x[0-9a-f]+|\d+))*)\s*\)`)
	psCharPipeRe    = regexp.MustCompile(`(?i)\(?\s*((?:0x[0-9a-f]+|\d+)(?:\s*,\s*(?:0x[0-9a-f]+|\d+))+)\s*\)?\s*\|\s*(?:%|foreach(?:-object)?)\s*\{\s*\[char\]\s*(?:\(\s*)?\$_\s*(?:\)\s*)?\}`)
	psJoinPreRe     = regexp.MustCompile(`(?i)(^|[=(,;|{][ \t]*)-join[ \t]*\(?[ \t]*('[^'\n]*'(?:[ \t]*,[ \t]*'[^'\n]*')*)[ \t]*\)?`)
	psJoinPostRe    = regexp.MustCompile(`(?i)\(\s*('[^'\n]*'(?:\s*,\s*'[^'\n]*')*)\s*\)\s*-join\s*'([^'\n]*)'|'([^'\n]*)'\s*-join\s*'([^'\n]*)'`)
	psStrJoinRe     = regexp.MustCompile(`(?i)\[string\]::(?:join\s*\(\s*'([^'\n]*)'\s*,|concat\s*\()\s*\(?\s*('[^'\n]*'(?:\s*,\s*'[^'\n]*')*)\s*\)?\s*\)`)
	psReplaceRe     = regexp.MustCompile(`(?i)'([^'\n]*)'\s*-c?replace\s*'([^'\n]*)'\s*,\s*'([^'\n]*)'`)
	psDotRepRe      = regexp.MustCompile(`(?i)'([^'\n]*)'\s*\.replace\s*\(\s*'([^'\n]*)'\s*,\s*'([^'\n]*)'\s*\)`)
	psIndexRe       = regexp.MustCompile(`'([^'\n]*)'\s*\[\s*(-?\d+(?:\s*,\s*-?\d+)*|-?\d+\s*\.\.\s*-?\d+)\s*\]`)
	psToStrRe       = regexp.MustCompile(`(?i)'([^'\n]*)'\s*\.\s*(?:tostring|trim|tolower|toupper)\s*\(\s*\)`)
	psMemberRe      = regexp.MustCompile(`(?i)\.\s*\(?\s*'([a-z_][\w]*)'\s*\)?\s*(\(|\b)`)
	psCallOpRe      = regexp.MustCompile(`(?i)(^|[\s;(|{=])[&.]\s*\(?\s*'([a-z][\w-]*)'\s*\)?`)
	psAssignAnyR    = regexp.MustCompile(`(?im)\$\{?([a-z_][\w]*)\}?\s*=\s*'([^'\n]*)'\s*(?:;|$)`)
	psB64Re         = regexp.MustCompile(`(?i)frombase64string\s*\(\s*'([a-z0-9+/=\s]{8,})'\s*\)`)
	psEvalLitRe     = regexp.MustCompile(`(?i)(?:\biex|invoke-expression|\[scriptblock\]::create)\s*\(?\s*'([^'\n]{4,})'`)
	psLitRe         = regexp.MustCompile(`'([^'\n]*)'`)
	psPlaceRe       = regexp.MustCompile(`\{(\d+)(?:,[^}]*)?\}`)
	psOtherAssignRe = regexp.MustCompile(`(?i)\$\{?([a-z_][\w]*)\}?\s*(\+|-)?=\s*[^'\s]`)
	psVarRe         = regexp.MustCompile(`(?i)\$\{?([a-z_][\w]*)\}?`)
	psEnvRe         = regexp.MustCompile(`(?i)\$(env:comspec|pshome|shellid|verbosepreference|env:windir|env:public)\b`)
)

// psAutomatic are the values droppers pick letters from ($pshome[4],
// $env:comspec[4,15,25] spell "iex").
var psAutomatic = map[string]string{
	"env:comspec":       `C:\WINDOWS\system32\cmd.exe`,
	"pshome":            `C:\Windows\System32\WindowsPowerShell\v1.0`,
	"shellid":           `Microsoft.PowerShell`,
	"verbosepreference": `SilentlyContinue`,
	"env:windir":        `C:\WINDOWS`,
	"env:public":        `C:\Users\Public`,
}

func psQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "’") + "'" }

func deobfuscatePS(text string, depth int) string {
	if depth > maxPSDepth {
		return text
	}
	lines := strings.Split(normalize(text), "\n")
	stable := make([]bool, len(lines))
	size := len(text)
	consts := psConsts{vals: map[string]string{}, bad: map[string]bool{}}
	for pass := 0; pass < maxPSPasses && size < maxOut; pass++ {
		var changed []int
		now := make([]bool, len(lines))
		for i, l := range lines {
			if stable[i] {
				continue
			}
			stable[i] = true
			n := foldLine(l)
			if n != l {
				size += len(n) - len(l)
				lines[i] = n
			}
			if pass == 0 || n != l {
				changed = append(changed, i)
				now[i] = true
			}
		}
		// Constants cross lines: a variable assigned one literal is
		// replaced where it is used, and those lines folded again. Only
		// the lines that changed can assign anew.
		fresh := consts.learn(lines, changed)
		substituted := false
		for i, l := range lines {
			if !strings.Contains(l, "$") || !fresh && !now[i] {
				continue
			}
			if n := consts.substitute(l); n != l {
				size += len(n) - len(l)
				lines[i] = n
				stable[i] = false
				substituted = true
			}
		}
		if !substituted {
			break // every line is folded and no constant is left to use
		}
	}
	s := strings.Join(lines, "\n")
	var extra []string
	low := strings.ToLower(s)
	if strings.Contains(low, "frombase64string") {
		seen := map[string]bool{}
		for _, m := range psB64Re.FindAllStringSubmatchIndex(s, 16) {
			b64 := s[m[2]:m[3]]
			if seen[b64] {
				continue
			}
			seen[b64] = true
			if dec, ok := decodeLayer(b64, low[max(0, m[0]-160):min(len(s), m[1]+200)]); ok {
				extra = append(extra, deobfuscatePS(dec, depth+1))
			}
		}
	}
	if strings.Contains(low, "iex") || strings.Contains(low, "invoke-expression") || strings.Contains(low, "scriptblock") {
		for _, m := range psEvalLitRe.FindAllStringSubmatch(s, 16) {
			extra = append(extra, deobfuscatePS(m[1], depth+1))
		}
	}
	if len(extra) == 0 {
		return s
	}
	out := s + "\n" + strings.Join(extra, "\n")
	if len(out) > maxOut {
		out = out[:maxOut]
	}
	return out
}

// foldLine folds one line until nothing changes; each fold runs only
// when the operator it folds is on the line.
func foldLine(s string) string {
	for pass := 0; pass < maxPSPasses && len(s) < maxVarValue*4; pass++ {
		prev := s
		low := strings.ToLower(s)
		has := func(w string) bool { return strings.Contains(low, w) }
		if has(`"`) {
			s = psDQRe.ReplaceAllStringFunc(s, func(m string) string { return psQuote(m[1 : len(m)-1]) })
		}
		if has("$env:") || has("$pshome") || has("$shellid") || has("$verbosepreference") {
			s = psEnvRe.ReplaceAllStringFunc(s, func(m string) string { return psQuote(psAutomatic[strings.ToLower(m[1:])]) })
		}
		if !strings.Contains(s, "'") && !has("[char") {
			return s // every other fold works on literals
		}
		if has("[char") {
			s = psCharArrRe.ReplaceAllStringFunc(s, func(m string) string {
				return psQuote(codes(psCharArrRe.FindStringSubmatch(m)[1]))
			})
			s = psCharRe.ReplaceAllStringFunc(s, func(m string) string {
				return psQuote(codes(psCharRe.FindStringSubmatch(m)[1]))
			})
			if strings.Contains(s, "$_") {
				s = psCharPipeRe.ReplaceAllStringFunc(s, func(m string) string {
					return psQuote(codes(psCharPipeRe.FindStringSubmatch(m)[1]))
				})
			}
		}
		if strings.Contains(s, "[") {
			s = psIndexRe.ReplaceAllStringFunc(s, func(m string) string {
				g := psIndexRe.FindStringSubmatch(m)
				return psQuote(index(g[1], g[2]))
			})
		}
		if has(".to") || has(".trim") {
			s = psToStrRe.ReplaceAllString(s, "'$1'")
		}
		s = foldConcat(s)
		if has("-join") || has("[string]::") {
			s = psJoinPostRe.ReplaceAllStringFunc(s, func(m string) string {
				g := psJoinPostRe.FindStringSubmatch(m)
				if g[1] != "" {
					return psQuote(strings.Join(literals(g[1]), g[2]))
				}
				return psQuote(g[3])
			})
			s = psJoinPreRe.ReplaceAllStringFunc(s, func(m string) string {
				g := psJoinPreRe.FindStringSubmatch(m)
				return g[1] + psQuote(strings.Join(literals(g[2]), ""))
			})
			s = psStrJoinRe.ReplaceAllStringFunc(s, func(m string) string {
				g := psStrJoinRe.FindStringSubmatch(m)
				return psQuote(strings.Join(literals(g[2]), g[1]))
			})
		}
		if has("-f") && strings.Contains(s, "{") {
			s = foldFormat(s)
		}
		if has("replace") {
			s = psReplaceRe.ReplaceAllStringFunc(s, func(m string) string {
				g := psReplaceRe.FindStringSubmatch(m)
				return psQuote(regexReplace(g[1], g[2], g[3]))
			})
			s = psDotRepRe.ReplaceAllStringFunc(s, func(m string) string {
				g := psDotRepRe.FindStringSubmatch(m)
				if g[2] == "" {
					return m
				}
				return psQuote(strings.ReplaceAll(g[1], g[2], g[3]))
			})
		}
		s = foldParen(s)
		if litAfter(s, "&.") {
			s = psCallOpRe.ReplaceAllString(s, "$1$2 ")
			s = psMemberRe.ReplaceAllString(s, ".$1$2")
		}
		if s == prev {
			break
		}
	}
	return s
}

// codes turns "72, 0x65" into the characters they name.
func codes(list string) string {
	var b strings.Builder
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		n, err := strconv.ParseInt(f, 0, 32)
		if err != nil || n <= 0 || n > 0x10ffff {
			continue
		}
		b.WriteRune(rune(n))
	}
	return b.String()
}

// literals splits "'a', 'b'" into its strings.
func literals(list string) []string {
	var out []string
	for _, m := range psLitRe.FindAllStringSubmatch(list, -1) {
		out = append(out, m[1])
	}
	return out
}

// index is PowerShell's indexing of a string by a list or range of
// (possibly negative) positions; the characters come out joined.
func index(s, spec string) string {
	r := []rune(s)
	n := len(r)
	at := func(i int) (rune, bool) {
		if i < 0 {
			i += n
		}
		if i < 0 || i >= n {
			return 0, false
		}
		return r[i], true
	}
	var b strings.Builder
	if a, z, ok := strings.Cut(spec, ".."); ok {
		x, err1 := strconv.Atoi(strings.TrimSpace(a))
		y, err2 := strconv.Atoi(strings.TrimSpace(z))
		if err1 != nil || err2 != nil {
			return s
		}
		step := 1
		if y < x {
			step = -1
		}
		for i, k := x, 0; k <= 4*n+4; i, k = i+step, k+1 {
			if c, ok := at(i); ok {
				b.WriteRune(c)
			}
			if i == y {
				break
			}
		}
		return b.String()
	}
	for _, f := range strings.Split(spec, ",") {
		i, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			continue
		}
		if c, ok := at(i); ok {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// format is the -f operator for {n} placeholders.
func format(f string, args []string) string {
	return psPlaceRe.ReplaceAllStringFunc(f, func(m string) string {
		i, _ := strconv.Atoi(strings.Trim(strings.SplitN(m[1:], ",", 2)[0], "}"))
		if i < len(args) {
			return args[i]
		}
		return ""
	})
}

// regexReplace is -replace: a case-insensitive regular expression, or a
// literal when the pattern does not compile in Go's syntax.
func regexReplace(s, pat, repl string) string {
	if pat == "" {
		return s
	}
	re, err := regexp.Compile("(?i)" + pat)
	if err != nil {
		return replaceFold(s, pat, repl)
	}
	return re.ReplaceAllLiteralString(s, repl)
}

// litAfter reports whether one of the characters in chars is followed,
// after spaces and opening parentheses, by a quote: the shape the
// parenthesis, call-operator and member folds work on. It is a cheap
// gate in front of their regular expressions.
func litAfter(s, chars string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(chars, s[i]) < 0 {
			continue
		}
		j := i + 1
		for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '(') {
			j++
		}
		if j < len(s) && s[j] == '\'' {
			return true
		}
	}
	return false
}

// psConsts are the variables a script assigns exactly one literal
// ($name = 'text' and nothing else anywhere), learnt line by line.
type psConsts struct {
	vals map[string]string
	bad  map[string]bool
}

// learn reads the assignments of the given lines; it reports whether a
// new constant was found.
func (c *psConsts) learn(lines []string, which []int) bool {
	fresh := false
	for _, i := range which {
		l := lines[i]
		if !strings.Contains(l, "$") || !strings.Contains(l, "=") {
			continue
		}
		// A variable assigned anything but a literal is not a constant.
		for _, m := range psOtherAssignRe.FindAllStringSubmatch(l, 64) {
			k := strings.ToLower(m[1])
			c.bad[k] = true
			delete(c.vals, k)
		}
		if !strings.Contains(l, "'") {
			continue
		}
		for _, m := range psAssignAnyR.FindAllStringSubmatch(l, 64) {
			k := strings.ToLower(m[1])
			if c.bad[k] {
				continue
			}
			if v, ok := c.vals[k]; ok && v != m[2] {
				c.bad[k] = true
				delete(c.vals, k)
				continue
			}
			if _, ok := c.vals[k]; !ok {
				fresh = true
			}
			c.vals[k] = m[2]
		}
	}
	return fresh
}

// substitute replaces the uses of constant variables in s by their
// literal.
func (c *psConsts) substitute(s string) string {
	if len(c.vals) == 0 {
		return s
	}
	var b strings.Builder
	last, grown := 0, 0
	for _, loc := range psVarRe.FindAllStringIndex(s, -1) {
		m := s[loc[0]:loc[1]]
		k := strings.ToLower(strings.Trim(m[1:], "{}"))
		v, ok := c.vals[k]
		if !ok || grown > maxVarValue*4 || isAssigned(s[loc[1]:]) {
			continue // the left-hand side of an assignment stays a name
		}
		grown += len(v)
		b.WriteString(s[last:loc[0]])
		b.WriteString(psQuote(v))
		last = loc[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// isAssigned reports whether rest (the text after a variable) starts
// with an assignment operator.
func isAssigned(rest string) bool {
	rest = strings.TrimLeft(rest, " \t")
	return strings.HasPrefix(rest, "=") && !strings.HasPrefix(rest, "==") ||
		len(rest) > 1 && strings.Contains("+-*/", rest[:1]) && rest[1] == '='
}

// decodeLayer decodes a FromBase64String literal: inflated when the code
// around it names a Deflate or GZip stream, UTF-16 when it names Unicode.
func decodeLayer(b64, around string) (string, bool) {
	b64 = strings.Join(strings.Fields(b64), "")
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(b64, "=")); err != nil {
			return "", false
		}
	}
	switch {
	case strings.Contains(around, "gzipstream") || bytes.HasPrefix(b, []byte{0x1f, 0x8b}):
		if r, err := gzip.NewReader(bytes.NewReader(b)); err == nil {
			b, _ = io.ReadAll(io.LimitReader(r, maxDecoded))
		}
	case strings.Contains(around, "deflatestream"):
		b, _ = io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(b)), maxDecoded))
	}
	if len(b) > maxDecoded {
		b = b[:maxDecoded]
	}
	var text string
	if strings.Contains(around, "unicode") || len(b) >= 4 && b[1] == 0 && b[3] == 0 {
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		}
		text = string(utf16.Decode(u))
	} else {
		text = string(b)
	}
	if !mostlyText(text) {
		return "", false
	}
	return text, true
}

// mostlyText reports whether s is at least 80% printable ASCII.
func mostlyText(s string) bool {
	if s == "" {
		return false
	}
	p := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c < 0x7f || c == '\n' || c == '\r' || c == '\t' {
			p++
		}
	}
	return p*10 >= len(s)*8
}
