package office

// The OLE1 Package object (the "\x01Ole10Native" stream, and the native
// data of an RTF "Package" object): the packager's label, the original
// path, the temporary path the file is dropped to when opened, the file's
// bytes, and — written by newer packagers — Unicode copies of the three
// names. A document that packages a program, script or shortcut invites
// the reader to double-click it; the label can show "invoice.pdf" while
// the path says ".js", so every name and the bytes are judged.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"path"
	"strings"
	"unicode/utf16"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
	"github.com/airlockmail/airlock/sandboxd/analyzer/script"
)

// oleNativePkg is a parsed Package.
type oleNativePkg struct {
	Label, OrigPath, TempPath string
	UnicodeNames              []string // label, temp path, original path (when present)
	Data                      []byte
}

// names returns every name the package carries, without duplicates.
func (p *oleNativePkg) names() []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range append([]string{p.Label, p.OrigPath, p.TempPath}, p.UnicodeNames...) {
		if n != "" && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

var errShortPackage = errors.New("ole10native: truncated package")

// parseOle10Native reads a Package from b, which starts with the stream's
// 4-byte total size. Names are bounded by cString; the data by the input.
func parseOle10Native(b []byte) (*oleNativePkg, error) {
	if len(b) < 6 {
		return nil, errShortPackage
	}
	le := binary.LittleEndian
	p := b[6:] // total size (4), type (2)
	pkg := &oleNativePkg{}
	var ok bool
	if pkg.Label, p, ok = cStringOK(p); !ok {
		return pkg, errShortPackage
	}
	if pkg.OrigPath, p, ok = cStringOK(p); !ok {
		return pkg, errShortPackage
	}
	if len(p) < 8 {
		return pkg, errShortPackage
	}
	p = p[4:] // type 0x00030000 (embedded file)
	n := int(le.Uint32(p))
	p = p[4:]
	if n < 0 || n > len(p) || n > 4096 {
		return pkg, errors.New("ole10native: bad temporary path length")
	}
	pkg.TempPath = string(bytes.TrimRight(p[:n], "\x00"))
	p = p[n:]
	if len(p) < 4 {
		return pkg, errShortPackage
	}
	size := int64(le.Uint32(p))
	p = p[4:]
	if size > int64(len(p)) {
		// Truncated: judge what is there.
		pkg.Data = p
		return pkg, errShortPackage
	}
	pkg.Data = p[:size]
	p = p[size:]
	// Optional Unicode names: length in characters, then UTF-16LE.
	for k := 0; k < 3 && len(p) >= 4; k++ {
		chars := int(le.Uint32(p))
		p = p[4:]
		if chars < 0 || chars > 4096 || 2*chars > len(p) {
			break
		}
		u := make([]uint16, chars)
		for i := range u {
			u[i] = le.Uint16(p[2*i:])
		}
		p = p[2*chars:]
		pkg.UnicodeNames = append(pkg.UnicodeNames, strings.TrimRight(string(utf16.Decode(u)), "\x00"))
	}
	return pkg, nil
}

// cStringOK reads a NUL-terminated string of at most 1 KiB.
func cStringOK(b []byte) (string, []byte, bool) {
	i := bytes.IndexByte(b[:min(len(b), 1025)], 0)
	if i < 0 {
		return "", nil, false
	}
	return string(b[:i]), b[i+1:], true
}

// runnableName reports whether Windows would run the named file: its last
// extension, once the trailing dots and spaces that Windows strips are
// gone, is executable.
func runnableName(name string) bool {
	base := strings.TrimRight(path.Base(strings.ReplaceAll(name, `\`, "/")), " .")
	return rules.IsExecutableName(base)
}

var lnkMagic = []byte{0x4c, 0, 0, 0, 0x01, 0x14, 0x02, 0x00}

// oleNative judges a Package stream (with its 4-byte size prefix).
func oleNative(b []byte, fs *rules.Findings) {
	pkg, err := parseOle10Native(b)
	if pkg == nil {
		return
	}
	names := pkg.names()
	shown := pkg.Label
	if shown == "" && len(names) > 0 {
		shown = names[0]
	}
	fs.Add("ole-package", rules.Low, "embeds a file as an OLE package", strings.Join(names, " | "))
	if err != nil && len(pkg.Data) == 0 {
		fs.Add("ole-package-malformed", rules.Low, "an OLE package is truncated or malformed", err.Error())
	}
	for _, n := range names {
		fs.NameFindings(n)
		if runnableName(n) {
			fs.Add("packaged-executable", rules.High, "embeds an executable or script file the reader is invited to open", n)
		}
	}
	judgePayload(pkg.Data, shown, fs)
}

// judgePayload judges the bytes of a packaged file by what they are, not
// by their name.
func judgePayload(data []byte, name string, fs *rules.Findings) {
	switch {
	case len(data) == 0:
		return
	case bytes.HasPrefix(data, []byte("MZ")):
		fs.Add("packaged-executable", rules.High, "embeds a Windows executable", name)
	case bytes.HasPrefix(data, lnkMagic):
		fs.Add("packaged-shortcut", rules.High, "embeds a Windows shortcut (runs a command when opened)", name)
	case bytes.HasPrefix(data, oleMagic), bytes.HasPrefix(data, []byte("PK\x03\x04")), bytes.HasPrefix(data, []byte("%PDF")):
		// Documents and archives are judged by their own analyzers when
		// extracted; here they are what a package usually holds.
	default:
		head := rules.LowerASCII(data[:min(len(data), 4096)])
		if bytes.Contains(head, []byte("<hta:application")) || bytes.Contains(head, []byte("<script")) && bytes.Contains(head, []byte("activexobject")) {
			fs.Add("packaged-script", rules.High, "embeds an HTML application or script page", name)
		}
		if looksText(data) {
			t := script.Scan(context.Background(), string(data[:min(len(data), 1<<20)]), &rules.Findings{Analyzer: fs.Analyzer})
			if t.Exec || t.Download || t.Shell || t.Eval {
				fs.Add("packaged-script", rules.High, "embeds a script that runs programs or downloads", name)
				judgeCommand(string(data[:min(len(data), 1<<20)]), fs)
			}
		}
	}
	if rules.ContainsEICAR(data) {
		fs.AddEICAR(name)
	}
}

// looksText: no NUL bytes in the first 4 KiB.
func looksText(b []byte) bool {
	return len(b) > 0 && bytes.IndexByte(b[:min(len(b), 4096)], 0) < 0
}
