package corpus

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/inproc"
)

// typicalDocx is a ~500 KB Word document: 400 paragraphs of text, two
// pictures (incompressible, as JPEGs are) and a hyperlink.
func typicalDocx() []byte {
	var body strings.Builder
	for i := 0; i < 400; i++ {
		body.WriteString(Para(fmt.Sprintf("Paragraph %d. The quarterly figures show steady growth in all regions; see the appendix for details and the method used.", i)))
	}
	return Docx(body.String(),
		ZipEntry{Name: "word/media/image1.jpeg", Data: Noise(220<<10, 1)},
		ZipEntry{Name: "word/media/image2.jpeg", Data: Noise(220<<10, 2)},
		ZipEntry{Name: "word/_rels/document.xml.rels", Data: Rels(Rel{Type: "hyperlink", Target: "https://www.example.org/", Mode: "External"}, Rel{Type: "image", Target: "media/image1.jpeg"})})
}

// typicalXls is a ~500 KB Excel 97 workbook with a (manual) VBA macro.
func typicalXls() []byte {
	wb := Workbook(false, Sheet{Name: "Data"}, Sheet{Name: "Summary"})
	wb = append(wb, Noise(480<<10, 3)...) // cell records stand-in
	return ExcelDoc(wb, [2]string{"Module1", strings.Repeat(vbaBenign, 20)})
}

// typicalPDF is a ~500 KB PDF: 30 pages of compressed text, one JPEG
// image, link annotations.
func typicalPDF() []byte {
	objs := []PDFObj{
		{Body: "<< /Type /Catalog /Pages 2 0 R >>"},
	}
	var kids []string
	pages := 30
	for i := 0; i < pages; i++ {
		kids = append(kids, fmt.Sprintf("%d 0 R", 4+2*i))
	}
	objs = append(objs, PDFObj{Body: fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), pages)})
	objs = append(objs, PDFObj{Body: "<< /Type /XObject /Subtype /Image /Width 600 /Height 400 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode", Stream: Noise(440<<10, 4)})
	for i := 0; i < pages; i++ {
		objs = append(objs, PDFObj{Body: fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R /Resources << /XObject << /Im0 3 0 R >> >> /Annots [<< /Type /Annot /Subtype /Link /Rect [72 72 200 90] /A << /S /URI /URI (https://www.example.org/p%d) >> >>] >>", 5+2*i, i)})
		var c strings.Builder
		for l := 0; l < 60; l++ {
			fmt.Fprintf(&c, "BT /F1 10 Tf 72 %d Td (Line %d of page %d: %s) Tj ET\n", 700-10*l, l, i, Noise(20, uint64(i*100+l)))
		}
		objs = append(objs, PDFObj{Body: "<<", Stream: []byte(c.String()), Flate: true})
	}
	return PDF(objs...)
}

// benchFile measures the whole registry and, side by side, the baseline:
// the analyzers that ran before the static ones (eicar, filetype,
// hashlist), so the static analyzers' own cost is the difference.
func benchFile(b *testing.B, name string, data []byte) {
	all := analyzers(b)
	var base []analyzer.Analyzer
	for _, a := range all {
		switch a.Name() {
		case "eicar", "filetype", "hashlist":
			base = append(base, a)
		}
	}
	b.Run("baseline", func(b *testing.B) { benchWith(b, base, name, data) })
	b.Run("all", func(b *testing.B) { benchWith(b, all, name, data) })
}

func benchWith(b *testing.B, as []analyzer.Analyzer, name string, data []byte) {
	sc := analyzer.DefaultScoring()
	b.SetBytes(int64(len(data)))
	b.ReportMetric(float64(len(data))/1024, "KiB")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep := inproc.Run(context.Background(), as, sc, inproc.File(name, data), time.Minute)
		if len(rep.Errors) > 0 {
			b.Fatal(rep.Errors)
		}
	}
}

// Static analysis of a typical 500 KB document with every analyzer that
// takes it (the whole registry, as sandboxd runs it).
func BenchmarkTypicalDocx(b *testing.B) { benchFile(b, "report.docx", typicalDocx()) }
func BenchmarkTypicalXls(b *testing.B)  { benchFile(b, "figures.xls", typicalXls()) }
func BenchmarkTypicalPDF(b *testing.B)  { benchFile(b, "report.pdf", typicalPDF()) }

// The typical documents are clean and sized as the benchmark claims.
func TestTypicalDocuments(t *testing.T) {
	as := analyzers(t)
	for _, tc := range []struct {
		name string
		data []byte
	}{{"report.docx", typicalDocx()}, {"figures.xls", typicalXls()}, {"report.pdf", typicalPDF()}} {
		if n := len(tc.data); n < 400<<10 || n > 700<<10 {
			t.Errorf("%s: %d bytes, want about 500 KB", tc.name, n)
		}
		rep := inproc.Run(context.Background(), as, analyzer.DefaultScoring(), inproc.File(tc.name, tc.data), time.Minute)
		if rep.Verdict != "clean" {
			t.Errorf("%s: %s, want clean: %+v", tc.name, rep.Verdict, rep.Findings)
		}
	}
}
