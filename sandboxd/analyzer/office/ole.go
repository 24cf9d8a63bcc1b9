package office

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/richardlehane/mscfb"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
)

// Budgets for one compound file.
const (
	maxOLEStream  = 32 << 20
	maxOLETotal   = 96 << 20
	maxOLEEntries = 10000
	maxVBASource  = 16 << 20
)

var oleMagic = []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")

// oleFile is a compound file read into memory: streams by their path
// ("Macros/VBA/dir"), in directory order.
type oleFile struct {
	streams map[string][]byte
	order   []string
	clsids  map[string]string
}

// readOLE reads the streams of a compound file within the budgets. mscfb
// trusts sector chains; the per-stream limit bounds a cyclic chain.
func readOLE(ctx context.Context, b []byte) (of *oleFile, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("ole: reader panicked: %v", r)
		}
	}()
	r, err := mscfb.New(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("ole: %w", err)
	}
	of = &oleFile{streams: map[string][]byte{}, clsids: map[string]string{}}
	total := 0
	for i := 0; i < maxOLEEntries; i++ {
		if rules.Done(ctx) {
			return of, ctx.Err()
		}
		e, err := r.Next()
		if err != nil {
			break
		}
		p := strings.Join(append(append([]string{}, e.Path...), cleanName(e.Name)), "/")
		if e.Size <= 0 || !e.FileInfo().Mode().IsRegular() {
			if id := e.ID(); id != "" && id != "00000000-0000-0000-0000-000000000000" {
				of.clsids[p] = id
			}
			continue
		}
		n := min(e.Size, maxOLEStream, int64(maxOLETotal-total))
		if n <= 0 {
			break
		}
		data, _ := io.ReadAll(io.LimitReader(e, n))
		total += len(data)
		if _, dup := of.streams[p]; !dup {
			of.order = append(of.order, p)
		}
		of.streams[p] = data
	}
	return of, nil
}

// cleanName drops the control characters that prefix special stream names
// ("\x01Ole10Native", "\x05SummaryInformation").
func cleanName(n string) string { return strings.TrimLeft(n, "\x01\x02\x03\x05") }

// analyzeOLE judges a compound file: VBA projects, Excel 4.0 macro sheets,
// embedded OLE packages, equation-editor objects, encryption.
func (a *Analyzer) analyzeOLE(ctx context.Context, b []byte, fs *rules.Findings, res *result) {
	of, err := readOLE(ctx, b)
	if err != nil && of == nil {
		res.unscannable = "the compound file (OLE) is corrupt: " + err.Error()
		return
	}
	var sources []string
	for _, p := range of.order {
		base := path.Base(p)
		data := of.streams[p]
		switch {
		case strings.EqualFold(base, "dir") && strings.EqualFold(path.Base(path.Dir(p)), "VBA"):
			sources = append(sources, vbaSources(ctx, of, path.Dir(p))...)
		case strings.EqualFold(base, "Workbook") || strings.EqualFold(base, "Book"):
			xlm(data, fs)
		case base == "EncryptedPackage":
			res.unscannable = "the document is encrypted (password protected)"
			fs.Add("encrypted", rules.Low, "the document is encrypted, so its content cannot be checked", p)
		case base == "Ole10Native":
			oleNative(data, fs)
		case base == "Ole":
			oleLink(data, p, fs)
		case base == "Equation Native":
			fs.Add("equation-editor", rules.Critical, "embeds an Equation Editor object (EQNEDT32, CVE-2017-11882 and kin)", p)
		}
		if rules.ContainsEICAR(data) {
			fs.AddEICAR(p)
		}
	}
	for p, id := range of.clsids {
		if strings.EqualFold(id, "0002CE02-0000-0000-C000-000000000046") || strings.EqualFold(id, "0002CE03-0000-0000-C000-000000000046") {
			fs.Add("equation-editor", rules.Critical, "embeds an Equation Editor object (EQNEDT32, CVE-2017-11882 and kin)", p)
		}
	}
	if len(sources) > 0 {
		judgeVBA(ctx, sources, fs)
	}
}

// vbaSources decompresses the modules the VBA storage's dir stream names.
// When the dir stream is damaged (or stomped), every stream of the storage
// is searched for the start of a compressed "Attribute" line instead, as
// olevba does.
func vbaSources(ctx context.Context, of *oleFile, storage string) []string {
	var out []string
	total := 0
	dir, err := Decompress(of.streams[storage+"/dir"], 4<<20)
	mods, _ := parseDir(dir)
	if err == nil || len(mods) > 0 {
		for _, m := range mods {
			if rules.Done(ctx) || total > maxVBASource {
				break
			}
			s, ok := of.streams[storage+"/"+m.Name]
			if !ok || int(m.Offset) >= len(s) {
				continue
			}
			src, _ := Decompress(s[m.Offset:], maxVBASource-total)
			total += len(src)
			out = append(out, "' module "+m.Name+"\n"+string(src))
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, p := range of.order {
		if path.Dir(p) != storage || rules.Done(ctx) {
			continue
		}
		s := of.streams[p]
		i := bytes.Index(s, []byte("\x00Attribut"))
		if i < 3 {
			continue
		}
		src, _ := Decompress(s[i-3:], maxVBASource-total)
		total += len(src)
		if len(src) > 0 {
			out = append(out, "' module "+path.Base(p)+"\n"+string(src))
		}
	}
	return out
}

// xlm reads the BIFF8 records of a Workbook stream for Excel 4.0 macro
// sheets (BOUNDSHEET with sheet type 1) and an Auto_Open name.
func xlm(b []byte, fs *rules.Findings) {
	var macroSheets []string
	hidden, autoOpen := false, false
	for pos, n := 0, 0; pos+4 <= len(b) && n < 1<<20; n++ {
		typ := binary.LittleEndian.Uint16(b[pos:])
		size := int(binary.LittleEndian.Uint16(b[pos+2:]))
		pos += 4
		if pos+size > len(b) {
			break
		}
		rec := b[pos : pos+size]
		pos += size
		switch typ {
		case 0x0085: // BOUNDSHEET8
			if len(rec) >= 8 && rec[5] == 0x01 {
				name := biffShortString(rec[6:])
				macroSheets = append(macroSheets, name)
				if rec[4]&0x03 != 0 {
					hidden = true
				}
			}
		case 0x0018: // Lbl: built-in name 0x01 is Auto_Open
			if len(rec) >= 16 && binary.LittleEndian.Uint16(rec)&0x0020 != 0 && rec[15] == 0x01 {
				autoOpen = true
			}
			if len(rec) >= 15 && bytes.Contains(rules.LowerASCII(rec[14:]), []byte("auto_open")) {
				autoOpen = true
			}
		}
	}
	if len(macroSheets) == 0 {
		return
	}
	ev := strings.Join(macroSheets, ", ")
	switch {
	case autoOpen && hidden:
		fs.Add("xlm-macro", rules.Critical, "has a hidden Excel 4.0 macro sheet that runs on open (Auto_Open)", ev)
	case autoOpen || hidden:
		fs.Add("xlm-macro", rules.High, "has an Excel 4.0 macro sheet that is hidden or runs on open", ev)
	default:
		fs.Add("xlm-macro", rules.Medium, "has an Excel 4.0 macro sheet", ev)
	}
}

// biffShortString reads a ShortXLUnicodeString (cch, flags, chars).
func biffShortString(b []byte) string {
	if len(b) < 2 {
		return ""
	}
	n := int(b[0])
	if b[1]&1 == 0 {
		return string(b[2:min(len(b), 2+n)])
	}
	var s strings.Builder
	for i := 2; i+1 < len(b) && i < 2+2*n; i += 2 {
		s.WriteRune(rune(binary.LittleEndian.Uint16(b[i:])))
	}
	return s.String()
}
