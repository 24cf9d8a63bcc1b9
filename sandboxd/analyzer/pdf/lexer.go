package pdf

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/hex"
	"io"
	"regexp"
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
)

// watched are the names the analyzer acts on; names are counted only if
// they are in this set, so a file with a million distinct names costs no
// memory.
var watched = map[string]bool{
	"JavaScript": true, "JS": true, "OpenAction": true, "AA": true, "Launch": true,
	"SubmitForm": true, "ImportData": true, "EmbeddedFile": true, "EmbeddedFiles": true,
	"URI": true, "XFA": true, "RichMedia": true, "Flash": true, "ObjStm": true,
	"Encrypt": true, "AcroForm": true, "GoToR": true, "GoToE": true, "Filespec": true,
}

var (
	streamKW  = []byte("stream")
	endstream = []byte("endstream")
	jsStrRe   = regexp.MustCompile(`/JS\s*\(`)
	jsHexRe   = regexp.MustCompile(`/JS\s*<([0-9A-Fa-f\s]{2,})>`)
	uriRe     = regexp.MustCompile(`/URI\s*\(`)
	fileRe    = regexp.MustCompile(`/(?:F|UF)\s*\(`)
)

// scan collects names, strings and decoded streams from b. depth guards
// the recursion into object streams.
func (d *doc) scan(ctx context.Context, b []byte, depth int) {
	d.names1(b)
	d.strings1(b)
	if depth > 2 {
		return
	}
	pos := 0
	for {
		if rules.Done(ctx) {
			return
		}
		i := bytes.Index(b[pos:], streamKW)
		if i < 0 {
			return
		}
		start := pos + i
		pos = start + len(streamKW)
		// "endstream" contains "stream": skip it.
		if start >= 3 && bytes.Equal(b[start-3:start], []byte("end")) {
			continue
		}
		d.streams++
		if d.streams > maxStreams {
			d.truncated = true
			return
		}
		body := pos
		if body < len(b) && b[body] == '\r' {
			body++
		}
		if body < len(b) && b[body] == '\n' {
			body++
		}
		end := bytes.Index(b[body:], endstream)
		if end < 0 {
			end = len(b) - body
		}
		data := b[body : body+end]
		pos = body + end
		dict := streamDict(b[:start])
		out, ok := d.decode(dict, data)
		if !ok {
			continue
		}
		if bytes.Contains(dict, []byte("/EmbeddedFile")) {
			d.embedded = append(d.embedded, out[:min(len(out), 1<<20)])
			if len(d.embedded) > 64 {
				d.embedded = d.embedded[:64]
			}
		}
		if &out[0] != &data[0] || len(out) != len(data) {
			d.scan(ctx, out, depth+1)
		}
		if looksJS(out) && len(d.js) < 64 {
			d.js = append(d.js, string(out[:min(len(out), maxJSBytes)]))
		}
	}
}

// streamDict returns the dictionary before a "stream" keyword: the text
// since the last "obj" (at most 4 KiB back), which is enough to read the
// filters and the type of malformed objects too.
func streamDict(before []byte) []byte {
	from := max(0, len(before)-4096)
	w := before[from:]
	if i := bytes.LastIndex(w, []byte("obj")); i >= 0 {
		w = w[i:]
	}
	return decodeNames(w)
}

// decode applies the stream's filters. Unknown filters leave it encoded
// (ok false); a broken Flate stream yields what decoded before the error.
func (d *doc) decode(dict, data []byte) ([]byte, bool) {
	if len(data) == 0 {
		return nil, false
	}
	filters := filterNames(dict)
	out := data
	for _, f := range filters {
		switch f {
		case "FlateDecode", "Fl":
			budget := min(maxStreamBytes, maxTotalBytes-d.decoded)
			if budget <= 0 {
				d.truncated = true
				return nil, false
			}
			zr, err := zlib.NewReader(bytes.NewReader(out))
			if err != nil {
				d.badFilter++
				return nil, false
			}
			dec, err := io.ReadAll(io.LimitReader(zr, int64(budget)+1))
			if len(dec) > budget {
				dec = dec[:budget]
				d.truncated = true
			}
			if err != nil && len(dec) == 0 {
				d.badFilter++
				return nil, false
			}
			d.decoded += len(dec)
			out = dec
		case "ASCIIHexDecode", "AHx":
			out = asciiHex(out)
		default:
			return nil, false
		}
		if len(out) == 0 {
			return nil, false
		}
	}
	return out, true
}

var filterRe = regexp.MustCompile(`/Filter\s*(\[[^\]]*\]|/[A-Za-z0-9]+)`)

func filterNames(dict []byte) []string {
	m := filterRe.FindSubmatch(dict)
	if m == nil {
		return nil
	}
	var out []string
	for _, f := range strings.Fields(strings.NewReplacer("[", " ", "]", " ", "/", " ").Replace(string(m[1]))) {
		out = append(out, f)
	}
	if len(out) > 4 {
		out = out[:4]
	}
	return out
}

func asciiHex(b []byte) []byte {
	var clean []byte
	for _, c := range b {
		if c == '>' {
			break
		}
		if isHex(c) {
			clean = append(clean, c)
		}
	}
	if len(clean)%2 == 1 {
		clean = append(clean, '0')
	}
	out := make([]byte, len(clean)/2)
	hex.Decode(out, clean)
	return out
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// names1 counts the watched names in b, decoding #xx escapes and noting
// which watched names were escaped.
func (d *doc) names1(b []byte) {
	for i := 0; i < len(b); i++ {
		if b[i] != '/' {
			continue
		}
		j := i + 1
		for j < len(b) && j-i < 128 && !isDelim(b[j]) {
			j++
		}
		raw := b[i+1 : j]
		name := string(raw)
		esc := bytes.IndexByte(raw, '#') >= 0
		if esc {
			name = string(unescapeName(raw))
		}
		if watched[name] {
			d.names[name]++
			if esc {
				d.escaped["/"+name] = true
			}
		}
		i = j - 1
	}
}

func isDelim(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '\f', 0, '/', '(', ')', '<', '>', '[', ']', '{', '}', '%':
		return true
	}
	return false
}

func unescapeName(raw []byte) []byte {
	out := make([]byte, 0, len(raw))
	for k := 0; k < len(raw); k++ {
		if raw[k] == '#' && k+2 < len(raw)+0 && isHex(raw[k+1]) && isHex(raw[k+2]) {
			var v [1]byte
			hex.Decode(v[:], raw[k+1:k+3])
			out = append(out, v[0])
			k += 2
			continue
		}
		out = append(out, raw[k])
	}
	return out
}

// decodeNames rewrites #xx escapes in names so regexps see plain names.
func decodeNames(b []byte) []byte {
	if bytes.IndexByte(b, '#') < 0 {
		return b
	}
	var out []byte
	for i := 0; i < len(b); i++ {
		if b[i] == '/' {
			j := i + 1
			for j < len(b) && j-i < 128 && !isDelim(b[j]) {
				j++
			}
			out = append(out, '/')
			out = append(out, unescapeName(b[i+1:j])...)
			i = j - 1
			continue
		}
		out = append(out, b[i])
	}
	return out
}

// strings1 extracts /JS strings, URIs and file names.
func (d *doc) strings1(b []byte) {
	if bytes.IndexByte(b, '#') >= 0 {
		b = decodeNames(b)
	}
	if !bytes.Contains(b, []byte("/JS")) && !bytes.Contains(b, []byte("/URI")) && !bytes.Contains(b, []byte("/F")) && !bytes.Contains(b, []byte("/UF")) {
		return
	}
	for _, loc := range jsStrRe.FindAllIndex(b, 64) {
		s := literal(b[loc[1]-1:])
		if len(d.js) < 64 {
			d.js = append(d.js, s)
		}
	}
	for _, m := range jsHexRe.FindAllSubmatch(b, 16) {
		d.js = append(d.js, string(asciiHex(m[1])))
	}
	for _, loc := range uriRe.FindAllIndex(b, 256) {
		if len(d.uris) < 256 {
			d.uris = append(d.uris, literal(b[loc[1]-1:]))
		}
	}
	for _, loc := range fileRe.FindAllIndex(b, 64) {
		if len(d.fileNames) < 64 {
			if s := literal(b[loc[1]-1:]); s != "" {
				d.fileNames = append(d.fileNames, s)
			}
		}
	}
}

// maxLiteral bounds one string read from the file.
const maxLiteral = 1 << 20

// literal reads a PDF literal string starting at its '(' : balanced
// parentheses, backslash escapes (\n, \ddd, \( …). UTF-16BE strings with a
// BOM are converted.
func literal(b []byte) string {
	if len(b) == 0 || b[0] != '(' {
		return ""
	}
	var out []byte
	depth := 0
	for i := 0; i < len(b) && len(out) < maxLiteral; i++ {
		c := b[i]
		switch c {
		case '\\':
			if i+1 >= len(b) {
				break
			}
			i++
			switch e := b[i]; e {
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'b', 'f':
			case '\r', '\n':
			default:
				if e >= '0' && e <= '7' {
					v := 0
					k := 0
					for ; k < 3 && i+k < len(b) && b[i+k] >= '0' && b[i+k] <= '7'; k++ {
						v = v*8 + int(b[i+k]-'0')
					}
					out = append(out, byte(v))
					i += k - 1
				} else {
					out = append(out, e)
				}
			}
			continue
		case '(':
			depth++
			if depth == 1 {
				continue
			}
		case ')':
			depth--
			if depth == 0 {
				return utf16Maybe(out)
			}
		}
		out = append(out, c)
	}
	return utf16Maybe(out)
}

func utf16Maybe(b []byte) string {
	if len(b) >= 2 && b[0] == 0xfe && b[1] == 0xff {
		var s strings.Builder
		for i := 2; i+1 < len(b); i += 2 {
			s.WriteRune(rune(uint16(b[i])<<8 | uint16(b[i+1])))
		}
		return s.String()
	}
	return string(b)
}

// looksJS says whether a decoded stream is probably script text.
func looksJS(b []byte) bool {
	if len(b) < 8 {
		return false
	}
	head := b[:min(len(b), 4096)]
	if bytes.IndexByte(head, 0) >= 0 {
		return false
	}
	for _, k := range []string{"function", "var ", "app.", "this.", "eval(", "unescape(", "util.", "getField", "=>", "let "} {
		if bytes.Contains(head, []byte(k)) {
			return true
		}
	}
	return false
}
