package office

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"path"
	"regexp"
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
)

// Budgets for one OOXML package.
const (
	maxZipEntries = 5000
	maxPartBytes  = 16 << 20
	maxZipTotal   = 128 << 20
)

type relationship struct {
	Type       string `xml:"Type,attr"`
	Target     string `xml:"Target,attr"`
	TargetMode string `xml:"TargetMode,attr"`
}

type relationships struct {
	Rels []relationship `xml:"Relationship"`
}

var (
	instrTextRe = regexp.MustCompile(`(?s)<w:instrText[^>]*>(.*?)</w:instrText>`)
	instrAttrRe = regexp.MustCompile(`w:instr="([^"]*)"`)
	ddeRe       = regexp.MustCompile(`(?i)\bDDE(AUTO)?\b`)
	autoNameRe  = regexp.MustCompile(`(?i)<definedName[^>]*name="_xlnm\.Auto_Open`)
)

// analyzeOOXML opens the package and looks at the parts that carry code or
// reach outside: vbaProject.bin, macro sheets, relationships, field codes,
// ActiveX and embedded objects.
func (a *Analyzer) analyzeOOXML(ctx context.Context, d []byte, fs *rules.Findings, res *result) {
	zr, err := zip.NewReader(bytes.NewReader(d), int64(len(d)))
	if err != nil {
		res.unscannable = "the OOXML package (zip) is corrupt: " + err.Error()
		return
	}
	if len(zr.File) > maxZipEntries {
		fs.Add("too-many-parts", rules.Low, "the package has an unusual number of parts", "")
		res.unscannable = "the OOXML package has too many parts"
		return
	}
	total := 0
	read := func(f *zip.File) []byte {
		if total >= maxZipTotal {
			return nil
		}
		rc, err := f.Open()
		if err != nil {
			if f.Flags&1 != 0 {
				fs.Add("encrypted-part", rules.Medium, "a package part is encrypted", f.Name)
			}
			return nil
		}
		defer rc.Close()
		b, _ := io.ReadAll(io.LimitReader(rc, int64(min(maxPartBytes, maxZipTotal-total))))
		total += len(b)
		return b
	}
	var macroSheets []string
	var chunks []string // altChunk parts to open
	autoOpen := false
	var instr strings.Builder
	for _, f := range zr.File {
		if rules.Done(ctx) {
			return
		}
		name := f.Name
		lower := strings.ToLower(name)
		base := path.Base(lower)
		switch {
		case strings.Contains(lower, "/activex/"):
			fs.Add("activex", rules.Medium, "embeds ActiveX controls", name)
		case base == "vbaproject.bin":
			if b := read(f); b != nil {
				a.analyzeOLE(ctx, b, fs, res)
			}
		case strings.HasPrefix(lower, "xl/macrosheets/"):
			macroSheets = append(macroSheets, name)
		case lower == "xl/workbook.xml":
			b := read(f)
			if autoNameRe.Match(b) {
				autoOpen = true
			}
		case strings.HasSuffix(lower, ".rels"):
			chunks = append(chunks, rels(read(f), name, fs)...)
		case strings.HasPrefix(lower, "word/") && strings.HasSuffix(lower, ".xml") && !strings.Contains(lower, "/_rels/"):
			b := read(f)
			if bytes.Contains(b, []byte("instrText")) {
				for _, m := range instrTextRe.FindAllSubmatch(b, 4096) {
					instr.Write(m[1])
				}
			}
			if bytes.Contains(b, []byte("w:instr=")) {
				for _, m := range instrAttrRe.FindAllSubmatch(b, 4096) {
					instr.Write(m[1])
					instr.WriteByte(' ')
				}
			}
		case strings.HasPrefix(lower, "xl/externallinks/") && strings.HasSuffix(lower, ".xml"):
			if b := read(f); bytes.Contains(b, []byte("ddeLink")) {
				fs.Add("dde", rules.High, "has a DDE link that can start a program", ddeEvidence(b))
			}
		case strings.Contains(lower, "/embeddings/"):
			b := read(f)
			fs.Add("embedded-object", rules.Info, "embeds an object", name)
			if bytes.HasPrefix(b, oleMagic) {
				a.analyzeOLE(ctx, b, fs, res)
			} else if rules.ContainsEICAR(b) {
				fs.AddEICAR(name)
			}
		case strings.HasSuffix(lower, ".bin") || strings.HasSuffix(lower, ".xml"):
			// Other parts: only the EICAR check, on a prefix.
		default:
			if b := read(f); rules.ContainsEICAR(b) {
				fs.AddEICAR(name)
			}
		}
	}
	if len(macroSheets) > 0 {
		sev, desc := rules.High, "has an Excel 4.0 macro sheet"
		if autoOpen {
			sev, desc = rules.Critical, "has an Excel 4.0 macro sheet that runs on open (Auto_Open)"
		}
		fs.Add("xlm-macro", sev, desc, strings.Join(macroSheets, ", "))
	}
	if len(chunks) > 0 {
		a.altChunks(ctx, zr, chunks, read, fs, res)
	}
	judgeFields(instr.String(), fs)
	if s := instr.String(); ddeRe.MatchString(s) {
		sev := rules.High
		l := strings.ToLower(s)
		if strings.Contains(l, "cmd") || strings.Contains(l, "powershell") || strings.Contains(l, "mshta") {
			sev = rules.Critical
		}
		fs.Add("dde", sev, "has a DDE field that starts a program", s)
	}
}

func ddeEvidence(b []byte) string {
	i := bytes.Index(b, []byte("ddeService"))
	if i < 0 {
		return "ddeLink"
	}
	return string(b[i:min(len(b), i+100)])
}

// rels judges one relationships part: what the document loads from
// outside when it opens, and what it links to. It returns the parts that
// internal altChunk relationships import, to be opened and judged as what
// they are.
func rels(b []byte, part string, fs *rules.Findings) []string {
	if len(b) == 0 {
		return nil
	}
	var r relationships
	if err := xml.Unmarshal(b, &r); err != nil {
		fs.Add("bad-relationships", rules.Low, "a relationships part is not well-formed XML", part)
		return nil
	}
	var chunks []string
	for _, rel := range r.Rels {
		typ := path.Base(rel.Type)
		target := strings.TrimSpace(rel.Target)
		if !strings.EqualFold(rel.TargetMode, "External") {
			if typ == "aFChunk" && len(chunks) < 64 {
				chunks = append(chunks, relTarget(part, target))
			}
			continue
		}
		judgeRelationship(typ, target, fs)
	}
	return chunks
}
