// Package pe is the sandboxd analyzer for executables: Windows PE judged
// on its merits — packed or high-entropy sections and data blobs, missing
// or odd imports, API combinations that mean download-and-run, injection
// or hollowing (imported, resolved by name, or declared through P/Invoke),
// command lines the program carries, other programs hidden inside it
// (plain, XOR-ed, base64), an entry point outside the code, a forged or
// empty signature directory, overlays, and .NET assemblies read through
// their metadata tables (clrmeta.go) — and the basics of ELF and Mach-O
// (packers, entropy, stripped headers).
//
// Parsing uses the standard library (debug/pe, debug/elf, debug/macho) on
// the bytes in memory; their panics on hostile headers are recovered and
// reported as a malformed file.
package pe

import (
	"bytes"
	"context"
	"debug/pe"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
)

// Analyzer judges executables.
type Analyzer struct{}

// New returns the executable analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "pe" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() string { return "2" }

var machoMagics = [][]byte{{0xfe, 0xed, 0xfa, 0xce}, {0xfe, 0xed, 0xfa, 0xcf}, {0xce, 0xfa, 0xed, 0xfe}, {0xcf, 0xfa, 0xed, 0xfe}}

// Accepts takes files that start like a PE, ELF or Mach-O image.
func (*Analyzer) Accepts(f *analyzer.File) bool {
	d := f.Data
	if bytes.HasPrefix(d, []byte("MZ")) || bytes.HasPrefix(d, []byte("\x7fELF")) {
		return true
	}
	for _, m := range machoMagics {
		if bytes.HasPrefix(d, m) {
			return true
		}
	}
	return false
}

// Analyze implements analyzer.Analyzer.
func (a *Analyzer) Analyze(ctx context.Context, f *analyzer.File) (res analyzer.Result, err error) {
	fs := &rules.Findings{Analyzer: a.Name()}
	defer func() {
		if r := recover(); r != nil {
			fs.Add("malformed", rules.Medium, "the executable's headers are malformed (the parser gave up)", fmt.Sprint(r))
			res = analyzer.Result{Findings: fs.List()}
		}
	}()
	d := f.Data
	switch {
	case bytes.HasPrefix(d, []byte("MZ")):
		analyzePE(ctx, d, fs)
	case bytes.HasPrefix(d, []byte("\x7fELF")):
		analyzeELF(ctx, d, fs)
	default:
		analyzeMachO(ctx, d, fs)
	}
	return analyzer.Result{Findings: fs.List()}, ctx.Err()
}

var packerSections = map[string]string{
	"UPX0": "UPX", "UPX1": "UPX", "UPX2": "UPX", ".aspack": "ASPack", ".adata": "ASPack", ".petite": "Petite",
	".MPRESS1": "MPRESS", ".MPRESS2": "MPRESS", ".nsp0": "NsPack", ".nsp1": "NsPack", ".packed": "packer",
	".themida": "Themida", ".vmp0": "VMProtect", ".vmp1": "VMProtect", ".enigma1": "Enigma", "PEC2": "PECompact",
	"pebundle": "PEBundle", "FSG!": "FSG", ".perplex": "Perplex", ".yP": "Y0da",
}

const (
	scnCode    = 0x00000020
	scnExecute = 0x20000000
	scnWrite   = 0x80000000
)

func analyzePE(ctx context.Context, d []byte, fs *rules.Findings) {
	f, err := pe.NewFile(bytes.NewReader(d))
	if err != nil {
		fs.Add("malformed", rules.Medium, "starts like a Windows executable but its headers are malformed", err.Error())
		return
	}
	defer f.Close()
	var ep uint32
	var dirs []pe.DataDirectory
	var dll bool
	switch oh := f.OptionalHeader.(type) {
	case *pe.OptionalHeader32:
		ep, dirs = oh.AddressOfEntryPoint, oh.DataDirectory[:min(len(oh.DataDirectory), int(oh.NumberOfRvaAndSizes))]
	case *pe.OptionalHeader64:
		ep, dirs = oh.AddressOfEntryPoint, oh.DataDirectory[:min(len(oh.DataDirectory), int(oh.NumberOfRvaAndSizes))]
	default:
		fs.Add("malformed", rules.Medium, "a Windows executable without an optional header", "")
		return
	}
	dll = f.Characteristics&pe.IMAGE_FILE_DLL != 0
	dir := func(i int) pe.DataDirectory {
		if i < len(dirs) {
			return dirs[i]
		}
		return pe.DataDirectory{}
	}
	dotnet := dir(pe.IMAGE_DIRECTORY_ENTRY_COM_DESCRIPTOR).Size > 0

	// Sections: packers, entropy, the entry point's home, the end of the image.
	var lastEnd int64
	epSection := (*pe.Section)(nil)
	var highEntropy []string
	for _, s := range f.Sections {
		if rules.Done(ctx) {
			return
		}
		name := strings.TrimRight(s.Name, "\x00")
		if p, ok := packerSections[name]; ok {
			fs.Add("packer", rules.Medium, "packed with "+p+" (the real code is hidden until it runs)", name)
		}
		end := int64(s.Offset) + int64(s.Size)
		if s.Size > 0 && end <= int64(len(d)) {
			lastEnd = max(lastEnd, end)
			// Only code is judged: data, resources and (compressed) debug
			// sections are high-entropy in honest programs too; packed
			// code is what a packer leaves.
			if s.Size >= 1024 && s.Characteristics&(scnCode|scnExecute) != 0 && !strings.Contains(name, "debug") {
				if e := rules.Entropy(d[s.Offset:end]); e > 7.2 {
					highEntropy = append(highEntropy, fmt.Sprintf("%s %.2f", name, e))
				}
			}
		}
		if ep >= s.VirtualAddress && ep < s.VirtualAddress+max(s.VirtualSize, s.Size) {
			epSection = s
		}
		if s.Characteristics&scnExecute != 0 && s.Characteristics&scnWrite != 0 {
			fs.Add("wx-section", rules.Low, "a section is both writable and executable (self-modifying or unpacking code)", name)
		}
	}
	if len(highEntropy) > 0 && !dotnet {
		fs.Add("high-entropy", rules.Medium, "code sections look compressed or encrypted (entropy above 7.2 bits/byte)", strings.Join(highEntropy, ", "))
	}
	switch {
	case ep == 0 && !dll:
		fs.Add("no-entry-point", rules.Low, "an executable without an entry point", "")
	case ep != 0 && epSection == nil:
		fs.Add("entry-outside-sections", rules.High, "the entry point lies outside every section", fmt.Sprintf("0x%x", ep))
	case ep != 0 && epSection.Characteristics&(scnCode|scnExecute) == 0:
		fs.Add("entry-outside-code", rules.Medium, "the entry point lies in a section that is not marked as code", strings.TrimRight(epSection.Name, "\x00"))
	case ep != 0 && len(f.Sections) > 1 && epSection == f.Sections[len(f.Sections)-1] && !dotnet:
		fs.Add("entry-last-section", rules.Low, "the entry point lies in the last section (typical of packers and infectors)", strings.TrimRight(epSection.Name, "\x00"))
	}

	imports(f, d, dotnet, fs)
	signature(d, dir(pe.IMAGE_DIRECTORY_ENTRY_SECURITY), fs)
	overlay(d, lastEnd, dir(pe.IMAGE_DIRECTORY_ENTRY_SECURITY), fs)
	packedData(f, d, fs)
	if rules.Done(ctx) {
		return
	}
	embedded(ctx, f, d, lastEnd, fs)
	if dotnet {
		judgeDotNet(ctx, d, f, dir(pe.IMAGE_DIRECTORY_ENTRY_COM_DESCRIPTOR), fs)
	} else {
		nativeCommands(d, fs)
	}
}

// signature checks the security directory (a file offset, not an RVA):
// a claimed signature must lie in the file and start like a
// WIN_CERTIFICATE with PKCS#7 content. The signature itself is not
// verified here.
func signature(d []byte, sec pe.DataDirectory, fs *rules.Findings) {
	if sec.Size == 0 && sec.VirtualAddress == 0 {
		return
	}
	off, size := int64(sec.VirtualAddress), int64(sec.Size)
	if size < 8 || off <= 0 || off+size > int64(len(d)) {
		fs.Add("forged-signature", rules.High, "claims an Authenticode signature that is not in the file", fmt.Sprintf("offset 0x%x size %d, file %d bytes", off, size, len(d)))
		return
	}
	c := d[off : off+size]
	length := int64(binary.LittleEndian.Uint32(c))
	rev := binary.LittleEndian.Uint16(c[4:])
	typ := binary.LittleEndian.Uint16(c[6:])
	if length < 8 || length > size || rev != 0x0200 || typ != 0x0002 || len(c) < 9 || c[8] != 0x30 {
		fs.Add("forged-signature", rules.High, "the Authenticode signature directory does not hold a signature", fmt.Sprintf("length %d revision 0x%x type %d", length, rev, typ))
		return
	}
	fs.Add("signed", rules.Info, "carries an Authenticode signature (not verified here)", fmt.Sprintf("%d bytes", length))
}

// overlay looks at bytes after the last section (other than the signature).
func overlay(d []byte, lastEnd int64, sec pe.DataDirectory, fs *rules.Findings) {
	if lastEnd <= 0 || lastEnd >= int64(len(d)) {
		return
	}
	end := int64(len(d))
	if off := int64(sec.VirtualAddress); sec.Size > 0 && off >= lastEnd && off < end {
		end = off
	}
	ov := d[lastEnd:end]
	if len(ov) < 512 {
		return
	}
	switch {
	case bytes.HasPrefix(ov, []byte("MZ")):
		fs.Add("overlay-executable", rules.High, "carries another executable appended after its image", fmt.Sprintf("%d bytes at 0x%x", len(ov), lastEnd))
	case rules.ContainsEICAR(ov):
		fs.AddEICAR("PE overlay")
	case rules.Entropy(ov[:min(len(ov), 1<<20)]) > 7.2 && len(ov) > 64<<10:
		fs.Add("overlay", rules.Low, "carries a large compressed or encrypted payload after its image", fmt.Sprintf("%d bytes at 0x%x", len(ov), lastEnd))
	default:
		fs.Add("overlay", rules.Info, "has data after its image (installers do this)", fmt.Sprintf("%d bytes", len(ov)))
	}
}
