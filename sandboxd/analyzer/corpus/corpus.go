// Package corpus builds the detection corpus of the static analyzers:
// benign files that carry the traits of malicious ones (macros that would
// download, PDFs that would launch, shortcuts that would run PowerShell),
// and clean look-alikes that must stay clean. Nothing here is live
// malware: payload URLs point at documentation addresses (RFC 5737,
// RFC 2606), "executables" run nothing but a RET, and the only test virus
// is EICAR.
//
// The generator is deterministic: the same code writes the same bytes, so
// sandboxd/analyzer/testdata/corpus can be checked against it. Third-party
// clean documents (MIT/BSD licensed) live beside it in testdata/thirdparty
// with their attribution.
package corpus

import (
	"encoding/base64"
	"unicode/utf16"

	"github.com/airlockmail/airlock/verdict"
)

// Sample is one corpus file and the verdict the analyzers must reach.
type Sample struct {
	// Name is the file name in testdata/corpus (its extension is the
	// declared extension).
	Name string
	Want verdict.Verdict
	// Why says what the sample carries, for the reader of a failure.
	Why  string
	Data []byte
}

// EICAR is the anti-virus test file.
const EICAR = `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`

// Documentation addresses used as "payload" locations.
const (
	payloadURL = "http://198.51.100.7/payload.bin"
	scriptURL  = "http://203.0.113.9/s.ps1"
)

// PSEncode is what `powershell -EncodedCommand` takes: base64 of UTF-16LE.
func PSEncode(s string) string {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		b[2*i], b[2*i+1] = byte(c), byte(c>>8)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// Samples returns the whole generated corpus.
func Samples() []Sample {
	var out []Sample
	out = append(out, scriptSamples()...)
	out = append(out, documentSamples()...)
	out = append(out, executableSamples()...)
	out = append(out, executableSamples2()...)
	out = append(out, linkSamples()...)
	out = append(out, linkSamples2()...)
	out = append(out, containerSamples()...)
	out = append(out, installerSamples()...)
	out = append(out, cmdlineSamples()...)
	out = append(out, shortcutSamples()...)
	return out
}

// ThirdParty lists the real clean documents copied into
// testdata/thirdparty (see NOTICE there) and their expected verdicts.
var ThirdParty = []Sample{
	{Name: "python-docx-test.docx", Want: verdict.Clean, Why: "python-docx test document (MIT)"},
	{Name: "python-docx-par-hyperlinks.docx", Want: verdict.Clean, Why: "python-docx document with hyperlinks (MIT)"},
	{Name: "excelize-Book1.xlsx", Want: verdict.Clean, Why: "excelize workbook (BSD-3-Clause)"},
	{Name: "excelize-encryptAES.xlsx", Want: verdict.Unscannable, Why: "excelize password-protected workbook (BSD-3-Clause): cannot be looked into"},
	{Name: "mail-test.pdf", Want: verdict.Clean, Why: "PDF from the Ruby mail gem's tests (MIT)"},
	{Name: "jquery-3.6.1.min.js", Want: verdict.Clean, Why: "jQuery 3.6.1 (MIT)"},
	{Name: "underscore.min.js", Want: verdict.Clean, Why: "Underscore.js (MIT)"},
}
