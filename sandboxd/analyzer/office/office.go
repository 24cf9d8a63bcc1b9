// Package office is the sandboxd analyzer for Office documents: OLE
// compound files (Word, Excel, PowerPoint 97-2003) with their VBA projects,
// whose source it decompresses itself (MS-OVBA), and Excel 4.0 macro
// sheets; OOXML packages (docx/docm/xlsx/xlsm/pptx…) with vbaProject.bin,
// external relationships of every type, altChunk parts judged as the RTF,
// HTML or MHT they are, field codes, DDE, ActiveX and embedded or linked
// objects; RTF read through a deobfuscating reader (rtfparse.go) for
// templates, fields, embedded and linked objects; and OLE packages
// (Ole10Native) judged by every name they carry and by their bytes.
//
// It promises bounded work on hostile input: every stream, zip member and
// hex blob is read under a byte budget, parsers never trust a length they
// have not checked, panics in the OLE reader are recovered, and ctx is
// checked between streams and members.
package office

import (
	"bytes"
	"context"
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
)

// Analyzer judges Office documents.
type Analyzer struct{}

// New returns the Office analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "office" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() string { return "2" }

var officeExts = []string{".doc", ".dot", ".docx", ".docm", ".dotx", ".dotm", ".xls", ".xlt", ".xlsx",
	".xlsm", ".xltx", ".xltm", ".xlsb", ".xlam", ".xla", ".ppt", ".pps", ".pot", ".pptx", ".pptm", ".ppsx",
	".ppsm", ".potm", ".rtf", ".odt", ".ods", ".odp"}

// Accepts takes OLE compound files, zips that are OOXML packages, RTF, and
// anything named like an Office document.
func (*Analyzer) Accepts(f *analyzer.File) bool {
	d := f.Data
	switch {
	case bytes.HasPrefix(d, oleMagic), isRTF(d):
		return true
	case bytes.HasPrefix(d, []byte("PK\x03\x04")):
		head := d[:min(len(d), 1<<16)]
		return bytes.Contains(head, []byte("[Content_Types].xml")) || bytes.Contains(head, []byte("word/")) ||
			bytes.Contains(head, []byte("xl/")) || bytes.Contains(head, []byte("ppt/")) || rules.HasExt(f.Ext, officeExts...)
	}
	t := strings.ToLower(f.Type)
	return rules.HasExt(f.Ext, officeExts...) || strings.Contains(t, "msword") || strings.Contains(t, "ms-excel") ||
		strings.Contains(t, "ms-powerpoint") || strings.Contains(t, "officedocument") || strings.Contains(t, "rtf")
}

// result carries what the parts of the analysis learned beyond findings.
type result struct {
	unscannable string
	// nesting counts the Word packages opened inside one another
	// (altChunk parts that are themselves packages).
	nesting int
}

// Analyze implements analyzer.Analyzer.
func (a *Analyzer) Analyze(ctx context.Context, f *analyzer.File) (analyzer.Result, error) {
	fs := &rules.Findings{Analyzer: a.Name()}
	var res result
	d := f.Data
	switch {
	case bytes.HasPrefix(d, oleMagic):
		a.analyzeOLE(ctx, d, fs, &res)
	case bytes.HasPrefix(d, []byte("PK\x03\x04")):
		a.analyzeOOXML(ctx, d, fs, &res)
	case isRTF(d):
		analyzeRTF(ctx, d, fs)
	}
	out := analyzer.Result{Findings: fs.List(), Unscannable: res.unscannable}
	return out, ctx.Err()
}

// isRTF: Word opens anything starting "{\rt", so droppers start "{\rt1" or
// "{\rtf0x" to dodge exact-magic checks.
func isRTF(d []byte) bool { return bytes.HasPrefix(d, []byte(`{\rt`)) }
