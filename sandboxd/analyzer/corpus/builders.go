package corpus

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/airlockmail/airlock/sandboxd/analyzer/onenote"
)

// fixedTime keeps archives deterministic.
var fixedTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// ZipEntry is one member of a generated zip.
type ZipEntry struct {
	Name      string
	Data      []byte
	Encrypted bool // flag bit 0 with ZipCrypto-looking bytes
}

// Zip writes a zip archive (deflated members, fixed times).
func Zip(entries ...ZipEntry) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range entries {
		if e.Encrypted {
			fh := &zip.FileHeader{Name: e.Name, Method: zip.Store, Flags: 0x1, CRC32: 0x12345678,
				CompressedSize64: uint64(12 + len(e.Data)), UncompressedSize64: uint64(len(e.Data)), Modified: fixedTime}
			w, err := zw.CreateRaw(fh)
			if err != nil {
				panic(err)
			}
			w.Write(Noise(12+len(e.Data), uint64(len(e.Name))))
			continue
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.Name, Method: zip.Deflate, Modified: fixedTime})
		if err != nil {
			panic(err)
		}
		w.Write(e.Data)
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// TarGz writes a gzip-compressed tar of the entries.
func TarGz(entries ...ZipEntry) []byte {
	var b bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		tw.WriteHeader(&tar.Header{Name: e.Name, Mode: 0o644, Size: int64(len(e.Data)), ModTime: fixedTime, Typeflag: tar.TypeReg})
		tw.Write(e.Data)
	}
	tw.Close()
	gz.Close()
	return b.Bytes()
}

// PDFObj is one indirect object: a dictionary (or any object text) and an
// optional stream, Flate-compressed when Flate is set.
type PDFObj struct {
	Body   string
	Stream []byte
	Flate  bool
}

// PDF writes objects 1..n with a cross-reference table; object 1 must be
// the catalog.
func PDF(objs ...PDFObj) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n", i+1)
		if o.Stream == nil {
			b.WriteString(o.Body + "\nendobj\n")
			continue
		}
		data := o.Stream
		filter := ""
		if o.Flate {
			data = Deflate(data)
			filter = " /Filter /FlateDecode"
		}
		body := strings.TrimSuffix(strings.TrimSpace(o.Body), ">>")
		if body == "" {
			body = "<<"
		}
		fmt.Fprintf(&b, "%s /Length %d%s >>\nstream\n", body, len(data), filter)
		b.Write(data)
		b.WriteString("\nendstream\nendobj\n")
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// ObjStm packs objects (numbered from first) into an object stream body.
func ObjStm(first int, objs ...string) PDFObj {
	var head, body strings.Builder
	for i, o := range objs {
		fmt.Fprintf(&head, "%d %d ", first+i, body.Len())
		body.WriteString(o + "\n")
	}
	h := head.String()
	return PDFObj{
		Body:   fmt.Sprintf("<< /Type /ObjStm /N %d /First %d >>", len(objs), len(h)),
		Stream: []byte(h + body.String()),
		Flate:  true,
	}
}

// Deflate zlib-compresses b (deterministic).
func Deflate(b []byte) []byte {
	var out bytes.Buffer
	w, _ := zlib.NewWriterLevel(&out, zlib.BestCompression)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

// SimplePDF is a one-page PDF with text, plus extra catalog entries and
// extra objects (numbered from 5).
func SimplePDF(text, catalogExtra string, extra ...PDFObj) []byte {
	content := fmt.Sprintf("BT /F1 12 Tf 72 720 Td (%s) Tj ET", text)
	objs := []PDFObj{
		{Body: "<< /Type /Catalog /Pages 2 0 R " + catalogExtra + " >>"},
		{Body: "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"},
		{Body: "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>"},
		{Body: "<<", Stream: []byte(content), Flate: true},
	}
	return PDF(append(objs, extra...)...)
}

// LNK describes a shell link to write.
type LNK struct {
	Target, Args, Icon, WorkingDir string
	Show                           uint32
}

// Bytes writes the link (MS-SHLLINK) with LinkInfo and Unicode strings.
func (l LNK) Bytes() []byte {
	le := binary.LittleEndian
	flags := uint32(0x02 | 0x80) // HasLinkInfo, IsUnicode
	if l.WorkingDir != "" {
		flags |= 0x10
	}
	if l.Args != "" {
		flags |= 0x20
	}
	if l.Icon != "" {
		flags |= 0x40
	}
	h := make([]byte, 0x4c)
	copy(h, []byte{0x4c, 0, 0, 0, 0x01, 0x14, 0x02, 0x00, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46})
	le.PutUint32(h[0x14:], flags)
	le.PutUint32(h[0x18:], 0x20)
	show := l.Show
	if show == 0 {
		show = 1
	}
	le.PutUint32(h[0x3c:], show)
	// LinkInfo with a VolumeID and LocalBasePath.
	vol := make([]byte, 0x11)
	le.PutUint32(vol, 0x11)
	le.PutUint32(vol[4:], 3)
	le.PutUint32(vol[8:], 0x1234abcd)
	le.PutUint32(vol[12:], 0x10)
	base := append([]byte(l.Target), 0)
	info := make([]byte, 0x1c)
	size := 0x1c + len(vol) + len(base) + 1
	le.PutUint32(info, uint32(size))
	le.PutUint32(info[4:], 0x1c)
	le.PutUint32(info[8:], 1)
	le.PutUint32(info[12:], 0x1c)
	le.PutUint32(info[16:], uint32(0x1c+len(vol)))
	le.PutUint32(info[24:], uint32(0x1c+len(vol)+len(base)))
	info = append(append(append(info, vol...), base...), 0)
	out := append(h, info...)
	str := func(s string) {
		u := utf16.Encode([]rune(s))
		out = le.AppendUint16(out, uint16(len(u)))
		for _, c := range u {
			out = le.AppendUint16(out, c)
		}
	}
	if l.WorkingDir != "" {
		str(l.WorkingDir)
	}
	if l.Args != "" {
		str(l.Args)
	}
	if l.Icon != "" {
		str(l.Icon)
	}
	return append(out, 0, 0, 0, 0)
}

// OneNote writes a .one-like section file: the section GUID header, a
// UTF-16 file name property, and one FileDataStoreObject per file.
func OneNote(files ...ZipEntry) []byte {
	le := binary.LittleEndian
	out := onenote.SectionHeader()
	out = append(out, make([]byte, 64)...)
	for _, f := range files {
		for _, c := range utf16.Encode([]rune(f.Name)) {
			out = le.AppendUint16(out, c)
		}
		out = append(out, 0, 0, 0, 0)
	}
	for _, f := range files {
		out = append(out, onenote.FileDataHeader()...)
		out = le.AppendUint64(out, uint64(len(f.Data)))
		out = append(out, make([]byte, 12)...)
		out = append(out, f.Data...)
		for len(out)%8 != 0 {
			out = append(out, 0)
		}
		// FileDataStoreObject footer {71FBA722-0F79-4A0B-BB13-899256426B24}.
		out = append(out, 0x22, 0xa7, 0xfb, 0x71, 0x79, 0x0f, 0x0b, 0x4a, 0xbb, 0x13, 0x89, 0x92, 0x56, 0x42, 0x6b, 0x24)
	}
	return out
}

const contentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>`

// Rel is one relationship of a generated .rels part.
type Rel struct{ Type, Target, Mode string }

// Rels writes a relationships part.
func Rels(rels ...Rel) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`)
	for i, r := range rels {
		mode := ""
		if r.Mode != "" {
			mode = ` TargetMode="` + r.Mode + `"`
		}
		fmt.Fprintf(&b, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/%s" Target="%s"%s/>`, i+1, r.Type, r.Target, mode)
	}
	b.WriteString(`</Relationships>`)
	return []byte(b.String())
}

// Docx writes a Word package whose body is the given WordprocessingML
// paragraphs, with extra parts.
func Docx(body string, extra ...ZipEntry) []byte {
	doc := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` + body + `</w:body></w:document>`
	parts := []ZipEntry{
		{Name: "[Content_Types].xml", Data: []byte(contentTypes)},
		{Name: "_rels/.rels", Data: Rels(Rel{Type: "officeDocument", Target: "word/document.xml"})},
		{Name: "word/document.xml", Data: []byte(doc)},
	}
	return Zip(append(parts, extra...)...)
}

// Xlsx writes a spreadsheet package with one sheet, plus extra parts;
// workbookExtra goes inside <workbook>.
func Xlsx(workbookExtra string, extra ...ZipEntry) []byte {
	wb := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="Sheet1" sheetId="1"/></sheets>` + workbookExtra + `</workbook>`
	parts := []ZipEntry{
		{Name: "[Content_Types].xml", Data: []byte(contentTypes)},
		{Name: "_rels/.rels", Data: Rels(Rel{Type: "officeDocument", Target: "xl/workbook.xml"})},
		{Name: "xl/workbook.xml", Data: []byte(wb)},
		{Name: "xl/worksheets/sheet1.xml", Data: []byte(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Quarterly figures</t></is></c></row></sheetData></worksheet>`)},
	}
	return Zip(append(parts, extra...)...)
}

// Para is a WordprocessingML paragraph with text.
func Para(text string) string { return `<w:p><w:r><w:t>` + text + `</w:t></w:r></w:p>` }

// Field is a complex field with the given instruction, split over runs the
// way Word writes it.
func Field(instr string) string {
	half := len(instr) / 2
	return `<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve">` + instr[:half] +
		`</w:instrText></w:r><w:r><w:instrText xml:space="preserve">` + instr[half:] +
		`</w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>`
}

// RTFObject is an RTF \object group with an OLE1 object of the given class
// and native data, written as hex; junk inserts groups into the hex.
func RTFObject(class string, native []byte, update, junk bool) string {
	var ole []byte
	le := binary.LittleEndian
	ole = le.AppendUint32(ole, 0x00000501)
	ole = le.AppendUint32(ole, 2) // embedded
	ole = le.AppendUint32(ole, uint32(len(class)+1))
	ole = append(ole, class...)
	ole = append(ole, 0)
	ole = le.AppendUint32(ole, 0) // topic
	ole = le.AppendUint32(ole, 0) // item
	ole = le.AppendUint32(ole, uint32(len(native)))
	ole = append(ole, native...)
	hex := fmt.Sprintf("%x", ole)
	var b strings.Builder
	b.WriteString(`{\object\objemb`)
	if update {
		b.WriteString(`\objupdate`)
	}
	b.WriteString(`\objw2180\objh300{\*\objclass ` + class + `}{\*\objdata `)
	for i := 0; i < len(hex); i += 64 {
		b.WriteString(hex[i:min(len(hex), i+64)])
		if junk && i%256 == 0 {
			b.WriteString(`{\*\ju` + `nk 7}`)
		}
		b.WriteString("\n")
	}
	b.WriteString(`}}`)
	return b.String()
}
