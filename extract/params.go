package extract

import (
	"bytes"
	"io"
	"mime"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
)

// header is one entity's header: fields in order, names lower-cased,
// values unfolded. Parsed by hand because real mail breaks every rule
// (docs/libraries.md: go-message ends the walk at a header line without a colon).
type header []headerField

type headerField struct {
	name, value string
}

// get returns the first value of name (lower case).
func (h header) get(name string) string {
	for _, f := range h {
		if f.name == name {
			return f.value
		}
	}
	return ""
}

// all returns the distinct non-empty values of name (lower case), in order.
func (h header) all(name string) []string {
	var out []string
	for _, f := range h {
		if f.name != name || f.value == "" {
			continue
		}
		dup := false
		for _, v := range out {
			dup = dup || v == f.value
		}
		if !dup {
			out = append(out, f.value)
		}
	}
	return out
}

// parseHeader splits an entity into header and body. A line that is
// neither a field nor a continuation ends the header (as Python's email
// package does), so a message with no blank line after its header still has
// a body. problem says what was wrong, if anything.
func parseHeader(b []byte) (h header, body []byte, problem string) {
	r := readHeader(b, headerStrict)
	return r.h, r.body, r.problem
}

// headerMode is how a header parser treats the lines RFC 5322 has no place
// for. Mail clients differ here, and an attacker picks the difference: a
// line without a colon ends the header for Python's email package (the
// MIME fields after it become body text), while Thunderbird and others skip
// it and keep reading fields; a line of only white space is a folded
// continuation for some and the end of the header for others.
type headerMode int

const (
	headerStrict  headerMode = iota // a broken line ends the header; a blank-looking line continues
	headerLenient                   // a broken line is skipped; fields are read up to the blank line
	headerWSEnds                    // a line of only spaces or tabs ends the header
)

// headerReading is one way of splitting an entity into header and body.
type headerReading struct {
	h       header
	body    []byte
	problem string
	why     string // empty for the strict reading
	broken  bool   // a broken line was met
	wsLine  bool   // a line of only white space was met inside the header
}

func readHeader(b []byte, mode headerMode) headerReading {
	var r headerReading
	pos := 0
	for pos < len(b) {
		end := bytes.IndexByte(b[pos:], '\n')
		var line []byte
		next := len(b)
		if end < 0 {
			line = b[pos:]
		} else {
			line = b[pos : pos+end]
			next = pos + end + 1
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			r.body = b[next:]
			return r
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(bytes.Trim(line, " \t")) == 0 {
				r.wsLine = true
				if mode == headerWSEnds {
					r.body = b[next:]
					return r
				}
			}
			if len(r.h) > 0 {
				r.h[len(r.h)-1].value += " " + strings.TrimSpace(string(line))
			}
			pos = next
			continue
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !isFieldName(line[:colon]) {
			if pos == 0 && bytes.HasPrefix(line, []byte("From ")) {
				pos = next // mbox separator
				continue
			}
			r.broken = true
			if mode == headerLenient {
				r.problem = "header line without a colon"
				pos = next
				continue
			}
			r.body, r.problem = b[pos:], "header ends without a blank line"
			return r
		}
		r.h = append(r.h, headerField{
			name:  strings.ToLower(string(bytes.TrimSpace(line[:colon]))),
			value: strings.TrimSpace(string(line[colon+1:])),
		})
		pos = next
	}
	return r
}

// headerReadings returns the strict reading first, then the others that
// differ from it in a field that shapes the MIME structure.
func headerReadings(b []byte) []headerReading {
	strict := readHeader(b, headerStrict)
	out := []headerReading{strict}
	if strict.broken {
		if l := readHeader(b, headerLenient); mimeFields(l.h) != mimeFields(strict.h) {
			l.why = "header read past a line without a colon"
			out = append(out, l)
		}
	}
	if strict.wsLine {
		if l := readHeader(b, headerWSEnds); mimeFields(l.h) != mimeFields(strict.h) {
			l.why = "header ended at a line of white space"
			out = append(out, l)
		}
	}
	return out
}

// mimeFields is the MIME-shaping part of a header, to compare readings.
func mimeFields(h header) string {
	var b strings.Builder
	for _, f := range h {
		if strings.HasPrefix(f.name, "content-") || f.name == "mime-version" {
			b.WriteString(f.name + ":" + f.value + "\n")
		}
	}
	return b.String()
}

func isFieldName(b []byte) bool {
	b = bytes.TrimRight(b, " \t") // "Subject :" is seen in the wild
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// parseMediaType parses "type/subtype; a=b; c*=utf-8”x" tolerantly:
// duplicate parameters keep the first non-empty value (go-message returns
// "" for them), RFC 2231 continuations and charsets are decoded (the
// standard library drops any charset but utf-8 and us-ascii), RFC 2047
// encoded words inside values are decoded, and raw 8-bit values are taken
// as UTF-8 when valid, else Latin-1.
func parseMediaType(v string) (string, map[string]string) {
	parts := splitParams(v)
	mt := ""
	if len(parts) > 0 {
		// RFC 822 comments ("multipart/mixed (generated)") are not part
		// of the type; a missing ';' leaves the parameter glued on.
		mt = strings.ToLower(strings.TrimSpace(stripComments(parts[0])))
		if i := strings.IndexAny(mt, " \t"); i >= 0 {
			mt = mt[:i]
		}
		parts = parts[1:]
	}
	raw := map[string]string{}
	type cont struct {
		vals    map[int]string
		encoded map[int]bool
	}
	conts := map[string]*cont{}
	for _, p := range parts {
		eq := strings.IndexByte(p, '=')
		if eq <= 0 {
			continue
		}
		k := strings.ToLower(strings.TrimSpace(stripComments(p[:eq])))
		rawVal := strings.TrimSpace(p[eq+1:])
		if strings.HasPrefix(rawVal, "(") {
			// A leading RFC 822 comment is no part of the value. (Not
			// stripped elsewhere: "report(1).pdf" is a name.)
			rawVal = strings.TrimSpace(stripComments(rawVal))
		}
		val := unquote(rawVal)
		if i := strings.IndexByte(k, '*'); i > 0 {
			base, rest := k[:i], k[i+1:]
			c := conts[base]
			if c == nil {
				c = &cont{vals: map[int]string{}, encoded: map[int]bool{}}
				conts[base] = c
			}
			enc := strings.HasSuffix(rest, "*") || rest == ""
			rest = strings.TrimSuffix(rest, "*")
			n := 0
			if rest != "" {
				var err error
				if n, err = strconv.Atoi(rest); err != nil || n > 1000 {
					continue
				}
			}
			if _, dup := c.vals[n]; !dup {
				c.vals[n], c.encoded[n] = val, enc
			}
			continue
		}
		if _, dup := raw[k]; !dup || raw[k] == "" {
			raw[k] = val
		}
	}
	out := map[string]string{}
	for k, v := range raw {
		out[k] = decodeWords(v)
	}
	for k, c := range conts {
		var b strings.Builder
		charset := ""
		for i := 0; i <= 1000; i++ {
			v, ok := c.vals[i]
			if !ok {
				break
			}
			if c.encoded[i] {
				if i == 0 {
					// charset'language'value
					if p := strings.SplitN(v, "'", 3); len(p) == 3 {
						charset, v = p[0], p[2]
					}
				}
				v = percentDecode(v)
			}
			b.WriteString(v)
		}
		if b.Len() == 0 {
			continue
		}
		// RFC 2231 values win over plain ones: they are the precise form.
		out[k] = toUTF8(charset, []byte(b.String()))
	}
	return mt, out
}

// splitParams splits on ';' outside quoted strings.
func splitParams(v string) []string {
	var out []string
	start := 0
	inQuote, esc := false, false
	// Bytes, not runes: raw 8-bit names must survive untouched until
	// toUTF8 decides their charset.
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case esc:
			esc = false
		case c == '\\' && inQuote:
			esc = true
		case c == '"':
			inQuote = !inQuote
		case c == ';' && !inQuote:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' {
		s = s[1:]
		if i := strings.LastIndexByte(s, '"'); i >= 0 {
			s = s[:i]
		}
		return strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(s)
	}
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		s = s[:i]
	}
	return s
}

func percentDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b = append(b, byte(v))
				i += 2
				continue
			}
		}
		b = append(b, s[i])
	}
	return string(b)
}

// wordDecoder decodes RFC 2047 encoded words in any charset x/text knows.
var wordDecoder = &mime.WordDecoder{CharsetReader: charsetReader}

func charsetReader(charset string, r io.Reader) (io.Reader, error) {
	e, err := htmlindex.Get(charset)
	if err != nil {
		if e, err = ianaindex.MIME.Encoding(charset); err != nil || e == nil {
			return nil, errUnknownCharset
		}
	}
	return e.NewDecoder().Reader(r), nil
}

type charsetError struct{}

func (charsetError) Error() string { return "unknown charset" }

var errUnknownCharset = charsetError{}

// decodeWords decodes RFC 2047 encoded words; raw 8-bit text becomes UTF-8.
func decodeWords(s string) string {
	if strings.Contains(s, "=?") {
		if d, err := wordDecoder.DecodeHeader(s); err == nil {
			s = d
		}
	}
	return toUTF8("", []byte(s))
}

// toUTF8 converts b from charset (empty: guess UTF-8, else Latin-1).
func toUTF8(charset string, b []byte) string {
	if charset != "" && !strings.EqualFold(charset, "utf-8") && !strings.EqualFold(charset, "us-ascii") {
		if r, err := charsetReader(charset, bytes.NewReader(b)); err == nil {
			if out, err := io.ReadAll(r); err == nil {
				return string(out)
			}
		}
	}
	if utf8.Valid(b) {
		return string(b)
	}
	rs := make([]rune, len(b))
	for i, c := range b {
		rs[i] = rune(c)
	}
	return string(rs)
}

// stripComments removes RFC 822 comments — parenthesised, nestable, with
// quoted-pairs — outside quoted strings.
func stripComments(s string) string {
	if !strings.Contains(s, "(") {
		return s
	}
	var b strings.Builder
	depth := 0
	inQuote, esc := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case esc:
			esc = false
			if depth == 0 {
				b.WriteByte(c)
			}
			continue
		case c == '\\' && (inQuote || depth > 0):
			esc = true
			if depth == 0 {
				b.WriteByte(c)
			}
			continue
		case c == '"' && depth == 0:
			inQuote = !inQuote
		case c == '(' && !inQuote:
			depth++
			continue
		case c == ')' && !inQuote && depth > 0:
			depth--
			continue
		}
		if depth == 0 {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// paramCandidates returns every value some parser could take for the
// parameter key of the header value v, the one parseMediaType picks first.
// Parsers differ on duplicates (the first, the last: CVE-2024-28054 in
// amavis), on RFC 2231 and RFC 2047 forms, on RFC 822 comments, on a NUL
// byte (C parsers stop there), on single quotes and on values with spaces.
// The caller keeps the candidates that the body actually uses.
func paramCandidates(v, key string) []string {
	var out []string
	add := func(c string) {
		c = strings.TrimSpace(c)
		if c == "" || len(c) > 200 {
			return
		}
		for _, o := range out {
			if o == c {
				return
			}
		}
		out = append(out, c)
	}
	_, p := parseMediaType(v)
	add(p[key])
	variants := func(raw string) {
		if strings.HasPrefix(raw, "(") {
			add(unquote(strings.TrimSpace(stripComments(raw)))) // a comment first: RFC 822 readers skip it
		}
		add(unquote(raw))
		add(strings.Trim(raw, "\" \t"))
		add(decodeWords(unquote(raw)))
		add(unquote(strings.TrimSpace(stripComments(raw))))
		add(strings.Trim(unquote(raw), "'"))
		if i := strings.IndexByte(raw, 0); i >= 0 {
			add(unquote(raw[:i]))
		}
	}
	for _, part := range splitParams(v) {
		eq := strings.IndexByte(part, '=')
		if eq <= 0 {
			continue
		}
		k := strings.ToLower(strings.TrimSpace(stripComments(part[:eq])))
		if k != key {
			continue
		}
		variants(strings.TrimSpace(part[eq+1:]))
	}
	_, p = parseMediaType(stripComments(v))
	add(p[key])
	// "multipart/mixed boundary=x" (no ';') and other glued forms.
	lv := asciiLower(v) // same length as v, so its offsets index v
	for off := 0; ; {
		i := strings.Index(lv[off:], key+"=")
		if i < 0 {
			break
		}
		i += off
		rest := v[i+len(key)+1:]
		if j := strings.IndexAny(rest, ";"); j >= 0 {
			rest = rest[:j]
		}
		variants(strings.TrimSpace(rest))
		off = i + len(key) + 1
	}
	return out
}

// asciiLower folds ASCII letters only, keeping every byte offset.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
