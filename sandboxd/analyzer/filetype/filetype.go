// Package filetype checks that a file is what its extension says: an
// executable dressed as an invoice, or an HTML page named .pdf, is a trait
// of malicious mail on its own, whatever the content does.
package filetype

import (
	"context"
	"strings"

	"github.com/airlockmail/airlock/extract"
	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/verdict"
)

// Analyzer compares the sniffed type with the declared extension.
type Analyzer struct{}

// New returns the analyzer.
func New() *Analyzer { return &Analyzer{} }

func (*Analyzer) Name() string    { return "filetype" }
func (*Analyzer) Version() string { return "1" }

// Accepts every file that came with an extension: without one there is
// nothing to compare.
func (*Analyzer) Accepts(f *analyzer.File) bool { return f.Ext != "" }

// Extensions Windows runs when the user double-clicks.
var executableExt = set(".exe", ".dll", ".scr", ".com", ".pif", ".cpl", ".sys", ".drv", ".ocx", ".msi", ".efi")

// Executable extensions that are almost never sent by mail for a good reason.
var rareExecutableExt = set(".scr", ".pif", ".com", ".cpl")

// Extensions users trust as "just a document or picture".
var harmlessExt = set(".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".txt", ".rtf",
	".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".csv", ".odt", ".ods", ".mp3", ".mp4", ".wav")

// What the declared document extension must look like by content.
var docTypes = map[string][]string{
	".pdf":  {"application/pdf"},
	".png":  {"image/png"},
	".jpg":  {"image/jpeg"},
	".jpeg": {"image/jpeg"},
	".gif":  {"image/gif"},
	".zip":  {"application/zip", "application/vnd.openxmlformats", "application/x-zip"},
	".docx": {"application/vnd.openxmlformats-officedocument", "application/zip"},
	".xlsx": {"application/vnd.openxmlformats-officedocument", "application/zip"},
	".pptx": {"application/vnd.openxmlformats-officedocument", "application/zip"},
}

func set(xs ...string) map[string]bool {
	m := map[string]bool{}
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// Analyze reports mismatches between extension and content.
func (*Analyzer) Analyze(ctx context.Context, f *analyzer.File) (analyzer.Result, error) {
	ext := strings.ToLower(f.Ext)
	typ := f.Type
	if typ == "" {
		typ = extract.Sniff(f.Data) // the one sniffer, as the runner's File has it
	}
	isExe := isExecutable(typ)
	var out []verdict.Finding
	add := func(rule string, sev verdict.Severity, desc string) {
		out = append(out, verdict.Finding{Analyzer: "filetype", Rule: rule, Severity: sev, Description: desc, Evidence: ext + " is " + typ})
	}
	switch {
	case isExe && harmlessExt[ext]:
		add("executable-disguised", verdict.High, "an executable program carries a document or picture extension")
	case isExe && !executableExt[ext]:
		add("executable-unusual-extension", verdict.Medium, "an executable program carries a non-executable extension")
	case isExe && rareExecutableExt[ext]:
		add("rare-executable-extension", verdict.Medium, "executable with an extension rarely sent for a good reason (screensaver, PIF, COM, control panel)")
	case !isExe && executableExt[ext] && ext != ".msi" && len(f.Data) > 0:
		add("not-an-executable", verdict.Low, "the extension says program but the content is not one")
	case docTypes[ext] != nil && !hasPrefixAny(typ, docTypes[ext]) && len(f.Data) > 0:
		sev := verdict.Low
		if strings.HasPrefix(typ, "text/html") || strings.Contains(typ, "javascript") {
			sev = verdict.Medium // HTML smuggling pages pretend to be PDFs
		}
		add("type-mismatch", sev, "content does not match the extension")
	}
	return analyzer.Result{Findings: out}, nil
}

func isExecutable(typ string) bool {
	for _, p := range []string{"application/vnd.microsoft.portable-executable", "application/x-msdownload",
		"application/x-dosexec", "application/x-executable", "application/x-elf", "application/x-mach-binary",
		"application/x-sharedlib"} {
		if strings.HasPrefix(typ, p) {
			return true
		}
	}
	return false
}

func hasPrefixAny(s string, ps []string) bool {
	for _, p := range ps {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
