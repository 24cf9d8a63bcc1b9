package office

import (
	"bytes"
	"context"
	"encoding/binary"
	"regexp"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
)

const (
	maxObjects    = 64
	maxObjdataHex = 64 << 20
)

var (
	objdataRe = regexp.MustCompile(`\\objdata\b`)
	objclass  = regexp.MustCompile(`(?i)\\objclass\s+([^}\\]{1,64})`)
	rtfWordRe = regexp.MustCompile(`\\[a-zA-Z]{1,32}(-?\d{1,10})?`)
)

// analyzeRTF looks at the objects of an RTF document. Word parses RTF very
// tolerantly and droppers lean on it: objects that update themselves on
// open (\objupdate), OLE1 objects whose class is the equation editor
// (Equation.3) or OLE2Link, packaged files, hex data interrupted by junk
// control words, and a header that is not quite "{\rtf1".
func analyzeRTF(ctx context.Context, d []byte, fs *rules.Findings) {
	if !bytes.HasPrefix(d, []byte(`{\rtf1`)) {
		fs.Add("rtf-odd-header", rules.Low, "the RTF header is malformed (Word still opens it)", string(d[:min(len(d), 12)]))
	}
	if bytes.Contains(d, []byte(`\object`)) {
		fs.Add("rtf-object", rules.Low, "embeds an OLE object", "\\object")
	}
	if bytes.Contains(d, []byte(`\objupdate`)) {
		fs.Add("rtf-objupdate", rules.High, "an embedded object updates itself when the document opens (\\objupdate)", "\\objupdate")
	}
	for _, m := range objclass.FindAllSubmatch(d, 16) {
		classCheck(string(m[1]), fs)
	}
	locs := objdataRe.FindAllIndex(d, maxObjects)
	for _, loc := range locs {
		if rules.Done(ctx) {
			return
		}
		data, junk := rtfHex(d[loc[1]:])
		if junk {
			fs.Add("rtf-obfuscated-objdata", rules.Medium, "object data is broken up with junk control words or groups", "\\objdata")
		}
		ole1(data, fs)
	}
	if rules.ContainsEICAR(d) {
		fs.AddEICAR("RTF")
	}
}

// rtfHex reads the hex digits of an \objdata group until the group closes,
// skipping white space and (noting) nested groups and control words.
func rtfHex(b []byte) (out []byte, junk bool) {
	depth := 0
	var hi byte
	half := false
	for i := 0; i < len(b) && len(out) < maxObjdataHex/2; i++ {
		c := b[i]
		switch {
		case c == '{':
			depth++
			junk = true
		case c == '}':
			if depth == 0 {
				return out, junk
			}
			depth--
		case c == '\\':
			if m := rtfWordRe.Find(b[i:]); m != nil {
				i += len(m) - 1
				junk = true
			}
		case depth > 0:
		case isHexDigit(c):
			v := hexVal(c)
			if half {
				out = append(out, hi<<4|v)
			} else {
				hi = v
			}
			half = !half
		}
	}
	return out, junk
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// ole1 reads an OLE1 ObjectHeader (version, format id, class name) and the
// native data after it.
func ole1(b []byte, fs *rules.Findings) {
	if len(b) < 12 {
		return
	}
	n := int(binary.LittleEndian.Uint32(b[8:]))
	if n <= 0 || n > 256 || 12+n > len(b) {
		if bytes.Contains(b, []byte("Equation.3")) {
			classCheck("Equation.3", fs)
		}
		return
	}
	class := string(bytes.TrimRight(b[12:12+n], "\x00"))
	classCheck(class, fs)
	rest := b[12+n:]
	// topic and item names (length-prefixed), then the native data size.
	for k := 0; k < 2 && len(rest) >= 4; k++ {
		l := int(binary.LittleEndian.Uint32(rest))
		if l < 0 || l+4 > len(rest) {
			return
		}
		rest = rest[4+l:]
	}
	if len(rest) < 4 {
		return
	}
	size := int(binary.LittleEndian.Uint32(rest))
	rest = rest[4:]
	if size < 0 || size > len(rest) {
		size = len(rest)
	}
	native := rest[:size]
	switch {
	case bytes.HasPrefix(native, oleMagic):
		of, err := readOLE(context.Background(), native)
		if err == nil {
			for _, p := range of.order {
				s := of.streams[p]
				switch cleanName(p) {
				case "Ole10Native":
					oleNative(s, fs)
				case "Equation Native":
					fs.Add("equation-editor", rules.Critical, "embeds an Equation Editor object (EQNEDT32, CVE-2017-11882 and kin)", p)
				}
				if rules.ContainsEICAR(s) {
					fs.AddEICAR("RTF object " + p)
				}
			}
		}
	case class == "Package":
		// OLE1 native data lacks the stream's 4-byte size prefix.
		oleNative(append([]byte{0, 0, 0, 0}, native...), fs)
	}
	if rules.ContainsEICAR(native) {
		fs.AddEICAR("RTF object " + class)
	}
}

func classCheck(class string, fs *rules.Findings) {
	switch {
	case bytes.HasPrefix([]byte(class), []byte("Equation")):
		fs.Add("equation-editor", rules.Critical, "embeds an Equation Editor object (EQNEDT32, CVE-2017-11882 and kin)", class)
	case class == "OLE2Link":
		fs.Add("ole2link", rules.Critical, "embeds an OLE2Link object that fetches remote content on open (CVE-2017-0199)", class)
	case class == "Package":
		fs.Add("ole-package", rules.Low, "embeds a file as an OLE package", class)
	}
}
