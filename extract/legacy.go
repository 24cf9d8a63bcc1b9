package extract

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Legacy attachment encodings still seen in the wild: uuencode (as a
// transfer encoding, and inline in text bodies), yEnc and BinHex 4.0.
// Outlook, Thunderbird and news readers show uuencoded and yEnc blocks in
// a text body as attachments, so a block in any text part — preamble and
// epilogue included, in any charset — is a file.

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// decodeUU decodes the first "begin MODE NAME" ... "end" block in b.
func decodeUU(b []byte) (name string, data []byte, err error) {
	lines := bytes.Split(b, []byte("\n"))
	i := 0
	for ; i < len(lines); i++ {
		l := bytes.TrimRight(lines[i], "\r")
		if bytes.HasPrefix(l, []byte("begin ")) {
			f := strings.SplitN(string(l), " ", 3)
			if len(f) == 3 {
				name = strings.TrimSpace(f[2])
			}
			i++
			break
		}
	}
	if i >= len(lines) && name == "" {
		return "", nil, errors.New("no begin line")
	}
	data, end := uuLines(lines[i:])
	if !end {
		return name, data, errors.New("no end line")
	}
	return name, data, nil
}

// uuLines decodes uuencoded lines until "end"; end reports it was seen.
func uuLines(lines [][]byte) (data []byte, end bool) {
	for _, l := range lines {
		l = bytes.TrimRight(l, "\r")
		if bytes.Equal(bytes.TrimSpace(l), []byte("end")) {
			return data, true
		}
		if len(l) == 0 {
			continue
		}
		n := int((l[0] - ' ') & 0x3f)
		if n == 0 {
			continue // the "`" line before end
		}
		body := l[1:]
		out := make([]byte, 0, n)
		for j := 0; j+3 < len(body)+3 && len(out) < n; j += 4 {
			var q [4]byte
			for k := 0; k < 4; k++ {
				if j+k < len(body) {
					q[k] = (body[j+k] - ' ') & 0x3f
				}
			}
			out = append(out, q[0]<<2|q[1]>>4, q[1]<<4|q[2]>>2, q[2]<<6|q[3])
		}
		if len(out) > n {
			out = out[:n]
		}
		data = append(data, out...)
	}
	return data, false
}

// inlineFiles lists the files encoded inside a text body (uuencode, yEnc,
// BinHex), reading the text in charset too when that is not ASCII-based
// (UTF-16 and UTF-32, EBCDIC): the markers are then not visible in the raw
// bytes, but the client decodes the charset before it looks for them.
func (w *walker) inlineFiles(text []byte, charset string, at string, depth int) {
	w.inlineEncoded(text, at, depth)
	if alt := decodeText(text, charset); alt != nil {
		w.alternative("text decoded from "+orDefault(charset, "its byte-order mark"), func() { w.inlineEncoded(alt, at, depth) })
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// decodeText returns text converted to UTF-8 when its charset is not
// ASCII-based (so inline markers could hide in it), else nil.
func decodeText(text []byte, charset string) []byte {
	cs := strings.ToLower(strings.TrimSpace(charset))
	switch {
	case len(text) > 16<<20 || len(text) < 4:
		return nil
	case bytes.HasPrefix(text, []byte{0xff, 0xfe}), bytes.HasPrefix(text, []byte{0xfe, 0xff}):
		if cs == "" || cs == "us-ascii" || cs == "utf-8" {
			cs = "utf-16"
		}
	case cs == "", cs == "us-ascii", cs == "utf-8", strings.HasPrefix(cs, "iso-8859"), strings.HasPrefix(cs, "windows-"):
		return nil
	}
	r, err := charsetReader(cs, bytes.NewReader(text))
	if err != nil {
		return nil // unknown charset: cosmetic, the raw scan stands
	}
	out, err := io.ReadAll(io.LimitReader(r, 64<<20))
	if err != nil || bytes.Equal(out, text) {
		return nil
	}
	for _, m := range [][]byte{[]byte("begin "), []byte("=ybegin"), []byte("BinHex")} {
		if bytes.Contains(out, m) && !bytes.Contains(text, m) {
			return out
		}
	}
	return nil
}

// inlineEncoded lists uuencoded, yEnc and BinHex files inside text.
func (w *walker) inlineEncoded(text []byte, at string, depth int) {
	if bytes.Contains(text, []byte("begin ")) {
		w.inlineUU(text, at, depth)
	}
	if bytes.Contains(text, []byte("=ybegin ")) {
		w.inlineYEnc(text, at, depth)
	}
	if i := bytes.Index(text, []byte("(This file must be converted with BinHex")); i >= 0 {
		name, data, err := decodeBinHex(text[i:])
		fl, problem := Flags{}, ""
		if err != nil {
			fl, problem = Flags{Corrupt: true}, "BinHex block in text: "+err.Error()
		}
		w.blob(blobInfo{path: childPath(at, safeName(name, "binhex")), name: name, declared: "application/mac-binhex40", depth: depth + 1}, data, fl, problem)
	}
}

// inlineUU lists uuencoded files found inside a text body.
func (w *walker) inlineUU(text []byte, at string, depth int) {
	if !bytes.Contains(text, []byte("begin ")) {
		return
	}
	lines := bytes.Split(text, []byte("\n"))
	for i := 0; i < len(lines); i++ {
		l := bytes.TrimRight(lines[i], "\r")
		if !bytes.HasPrefix(l, []byte("begin ")) {
			continue
		}
		f := strings.SplitN(string(l), " ", 3)
		if len(f) != 3 || len(f[1]) < 3 || len(f[1]) > 4 || strings.Trim(f[1], "01234567") != "" {
			continue
		}
		name := strings.TrimSpace(f[2])
		data, end := uuLines(lines[i+1:])
		fl, problem := Flags{}, ""
		if !end {
			fl, problem = Flags{Truncated: true}, "uuencoded block without an end line"
		}
		w.blob(blobInfo{path: childPath(at, safeName(name, "uuencoded")), name: name, declared: "text/x-uuencode", depth: depth + 1}, data, fl, problem)
		if w.expired() {
			return
		}
	}
}

// inlineYEnc lists yEnc blocks ("=ybegin ... name=x" to "=yend") in text.
func (w *walker) inlineYEnc(text []byte, at string, depth int) {
	lines := bytes.Split(text, []byte("\n"))
	for i := 0; i < len(lines); i++ {
		l := bytes.TrimRight(lines[i], "\r")
		if !bytes.HasPrefix(l, []byte("=ybegin ")) {
			continue
		}
		name := ""
		if j := bytes.Index(l, []byte(" name=")); j >= 0 {
			name = strings.TrimSpace(string(l[j+6:]))
		}
		var data []byte
		end := false
		for i++; i < len(lines); i++ {
			d := bytes.TrimRight(lines[i], "\r")
			if bytes.HasPrefix(d, []byte("=yend")) {
				end = true
				break
			}
			if bytes.HasPrefix(d, []byte("=ypart ")) {
				continue
			}
			for k := 0; k < len(d); k++ {
				c := d[k]
				if c == '=' && k+1 < len(d) {
					k++
					c = d[k] - 64
				}
				data = append(data, c-42)
			}
		}
		fl, problem := Flags{}, ""
		if !end {
			fl, problem = Flags{Truncated: true}, "yEnc block without an =yend line"
		}
		w.blob(blobInfo{path: childPath(at, safeName(name, "yenc")), name: name, declared: "application/x-yenc", depth: depth + 1}, data, fl, problem)
		if w.expired() {
			return
		}
	}
}

// decodeBinHex decodes a BinHex 4.0 (RFC 1741) file and returns its name
// and data fork. The resource fork is dropped: Windows never sees it.
func decodeBinHex(b []byte) (string, []byte, error) {
	start := bytes.Index(b, []byte("(This file must be converted with BinHex"))
	if start >= 0 {
		b = b[start:]
	}
	i := bytes.IndexByte(b, ':')
	if i < 0 {
		return "", nil, errors.New("no start colon")
	}
	b = b[i+1:]
	const alphabet = "!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr"
	var dec [256]int8
	for k := range dec {
		dec[k] = -1
	}
	for k := 0; k < len(alphabet); k++ {
		dec[alphabet[k]] = int8(k)
	}
	// 6-bit to 8-bit.
	var raw []byte
	var acc uint32
	bits := 0
	for _, c := range b {
		if c == ':' {
			break
		}
		if c == '\r' || c == '\n' || c == ' ' || c == '\t' {
			continue
		}
		v := dec[c]
		if v < 0 {
			return "", nil, fmt.Errorf("bad character %q", c)
		}
		acc = acc<<6 | uint32(v)
		bits += 6
		if bits >= 8 {
			bits -= 8
			raw = append(raw, byte(acc>>bits))
		}
	}
	// Run-length decoding: 0x90 n repeats the previous byte n-1 more
	// times; 0x90 0x00 is a literal 0x90.
	out := make([]byte, 0, len(raw))
	for k := 0; k < len(raw); k++ {
		if raw[k] != 0x90 {
			out = append(out, raw[k])
			continue
		}
		if k+1 >= len(raw) {
			break
		}
		k++
		n := int(raw[k])
		if n == 0 {
			out = append(out, 0x90)
			continue
		}
		if len(out) == 0 {
			return "", nil, errors.New("run without a byte to repeat")
		}
		prev := out[len(out)-1]
		for r := 1; r < n; r++ {
			out = append(out, prev)
		}
		if len(out) > 256<<20 {
			return "", nil, errors.New("run-length expansion too large")
		}
	}
	// Header: name length, name, version, type(4), creator(4), flags(2),
	// data length(4), resource length(4), CRC(2).
	if len(out) < 1 {
		return "", nil, errors.New("empty")
	}
	nl := int(out[0])
	h := 1 + nl + 1 + 4 + 4 + 2
	if len(out) < h+10 {
		return "", nil, errors.New("header cut short")
	}
	name := toUTF8("macintosh", out[1:1+nl])
	dlen := int(uint32(out[h])<<24 | uint32(out[h+1])<<16 | uint32(out[h+2])<<8 | uint32(out[h+3]))
	ds := h + 10
	if dlen < 0 || ds+dlen > len(out) {
		return name, nil, errors.New("data fork cut short")
	}
	return name, out[ds : ds+dlen], nil
}
