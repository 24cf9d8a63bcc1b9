package office

import (
	"bytes"
	"context"
	"encoding/binary"
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
)

const (
	maxObjects = 64
	// maxObjdata bounds the decoded bytes of one object.
	maxObjdata = 32 << 20
)

// analyzeRTF judges an RTF document on what Word would act on, after the
// obfuscation is undone (see parseRTF): objects that update themselves on
// open (\objupdate) or link to a remote source (\objautlink, \objlink),
// OLE1 objects whose class is the equation editor or OLE2Link, packaged
// files, object data broken up by junk, a remote \*\template, fields
// that fetch or open risky targets, and a header that is not quite
// "{\rtf1".
func analyzeRTF(ctx context.Context, d []byte, fs *rules.Findings) {
	if !bytes.HasPrefix(d, []byte(`{\rtf1`)) {
		fs.Add("rtf-odd-header", rules.Low, "the RTF header is malformed (Word still opens it)", string(d[:min(len(d), 12)]))
	}
	doc := parseRTF(d)
	if len(doc.objects) > 0 || doc.words["object"] {
		fs.Add("rtf-object", rules.Low, "embeds an OLE object", "\\object")
	}
	if doc.words["objupdate"] {
		fs.Add("rtf-objupdate", rules.High, "an embedded object updates itself when the document opens (\\objupdate)", "\\objupdate")
	}
	for _, t := range doc.templates {
		t = strings.TrimSpace(t)
		judgeURI(t, fs)
		if classify(t) != targetLocal {
			fs.Add("remote-template", rules.Critical, "loads its template from a remote address when opened (RTF template injection)", t)
		}
	}
	seen := map[string]bool{} // a table of contents repeats its fields
	for _, f := range doc.fields {
		if f = strings.TrimSpace(f); !seen[f] {
			seen[f] = true
			judgeFields(f, fs)
		}
	}
	for _, o := range doc.objects {
		if rules.Done(ctx) {
			return
		}
		if o.class != "" {
			classCheck(strings.TrimSpace(o.class), fs)
		}
		if o.junk {
			fs.Add("rtf-obfuscated-objdata", rules.Medium, "object data is broken up with junk control words or groups", "\\objdata")
		}
		source := ole1(o.data, fs)
		auto := o.flags["objautlink"] || o.flags["objupdate"]
		linked := o.flags["objlink"] || o.flags["objautlink"] || source != ""
		switch {
		case !linked:
		case source != "":
			judgeURI(source, fs)
			switch {
			case classify(source) == targetLocal:
				fs.Add("rtf-linked-object", rules.Low, "an object is linked to a local file", source)
			case auto:
				fs.Add("rtf-remote-link", rules.Critical, "an object linked to a remote source updates itself when the document opens", source)
			default:
				fs.Add("rtf-remote-link", rules.High, "an object is linked to a remote source", source)
			}
		case auto:
			fs.Add("rtf-autolink", rules.Medium, "an object linked to a source this reader cannot see updates itself on open", strings.TrimSpace(o.class))
		}
	}
	if rules.ContainsEICAR(d) {
		fs.AddEICAR("RTF")
	}
}

// ole1 reads an OLE1 ObjectHeader (version, format id, class name) and the
// native data after it; for a linked object (format id 1) it returns the
// link source (the topic name).
func ole1(b []byte, fs *rules.Findings) (source string) {
	if len(b) < 12 {
		return ""
	}
	linked := binary.LittleEndian.Uint32(b[4:]) == 1
	n := int(binary.LittleEndian.Uint32(b[8:]))
	if n <= 0 || n > 256 || 12+n > len(b) {
		if bytes.Contains(b, []byte("Equation.3")) {
			classCheck("Equation.3", fs)
		}
		return ""
	}
	class := string(bytes.TrimRight(b[12:12+n], "\x00"))
	classCheck(class, fs)
	rest := b[12+n:]
	// topic and item names (length-prefixed), then the native data size.
	for k := 0; k < 2 && len(rest) >= 4; k++ {
		l := int(binary.LittleEndian.Uint32(rest))
		if l < 0 || l+4 > len(rest) {
			return ""
		}
		if k == 0 && linked {
			source = string(bytes.TrimRight(rest[4:4+l], "\x00"))
		}
		rest = rest[4+l:]
	}
	if linked || len(rest) < 4 {
		return source
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
				case "Ole":
					oleLink(s, "RTF object "+class, fs)
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
	return ""
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
