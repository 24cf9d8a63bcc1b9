package corpus

import (
	"encoding/binary"
	"sort"
)

// PESection is one section of a generated PE.
type PESection struct {
	Name  string
	Data  []byte
	Flags uint32 // IMAGE_SCN_* characteristics
}

// Section characteristics used by the samples.
const (
	SCNCode    = 0x00000020
	SCNData    = 0x00000040
	SCNExecute = 0x20000000
	SCNRead    = 0x40000000
	SCNWrite   = 0x80000000
)

// PE describes a 32-bit Windows executable to write. It runs nothing
// useful (the code is a RET): it only has to carry the traits.
type PE struct {
	Sections []PESection
	// Imports: DLL → function names; written into an .idata section.
	Imports map[string][]string
	// EntrySection and EntryOffset place the entry point; EntryRVA, when
	// set, overrides them (e.g. outside every section).
	EntrySection int
	EntryOffset  uint32
	EntryRVA     uint32
	// Security is the security data directory (file offset, size) to claim;
	// Certificate, when set, is appended and pointed at instead.
	Security    [2]uint32
	Certificate []byte
	// CLR marks a .NET image (the COM descriptor directory is set).
	CLR     bool
	Overlay []byte
	DLL     bool
}

const (
	peFileAlign = 0x200
	peSectAlign = 0x1000
)

func alignUp(v, a uint32) uint32 { return (v + a - 1) / a * a }

// Bytes writes the PE.
func (p PE) Bytes() []byte {
	secs := append([]PESection(nil), p.Sections...)
	importIdx := -1
	if len(p.Imports) > 0 {
		secs = append(secs, PESection{Name: ".idata", Flags: SCNData | SCNRead | SCNWrite})
		importIdx = len(secs) - 1
	}
	headerSize := uint32(0x178 + 40*len(secs))
	headers := alignUp(headerSize, peFileAlign)
	rva := uint32(peSectAlign)
	off := headers
	type placed struct{ rva, off, rawSize, vsize uint32 }
	pl := make([]placed, len(secs))
	var importRVA, importSize uint32
	for i := range secs {
		if i == importIdx {
			secs[i].Data, importSize = buildImports(p.Imports, rva)
			importRVA = rva
		}
		n := uint32(len(secs[i].Data))
		raw := alignUp(n, peFileAlign)
		pl[i] = placed{rva, off, raw, max(n, 1)}
		rva += alignUp(max(n, 1), peSectAlign)
		off += raw
	}
	out := make([]byte, off)
	le := binary.LittleEndian
	copy(out, "MZ")
	le.PutUint32(out[0x3c:], 0x80)
	copy(out[0x40:], "This program cannot be run in DOS mode.\r\r\n$")
	copy(out[0x80:], "PE\x00\x00")
	coff := out[0x84:]
	le.PutUint16(coff[0:], 0x14c)
	le.PutUint16(coff[2:], uint16(len(secs)))
	le.PutUint16(coff[16:], 0xe0)
	ch := uint16(0x0102)
	if p.DLL {
		ch |= 0x2000
	}
	le.PutUint16(coff[18:], ch)
	oh := out[0x98:]
	le.PutUint16(oh[0:], 0x10b)
	ep := p.EntryRVA
	if ep == 0 && len(p.Sections) > 0 {
		ep = pl[p.EntrySection].rva + p.EntryOffset
	}
	le.PutUint32(oh[16:], ep)
	le.PutUint32(oh[28:], 0x400000)
	le.PutUint32(oh[32:], peSectAlign)
	le.PutUint32(oh[36:], peFileAlign)
	le.PutUint16(oh[40:], 6)
	le.PutUint16(oh[48:], 6)
	le.PutUint32(oh[56:], rva)
	le.PutUint32(oh[60:], headers)
	le.PutUint16(oh[68:], 2) // GUI
	le.PutUint32(oh[72:], 0x100000)
	le.PutUint32(oh[76:], 0x1000)
	le.PutUint32(oh[80:], 0x100000)
	le.PutUint32(oh[84:], 0x1000)
	le.PutUint32(oh[92:], 16)
	dd := oh[96:]
	if importIdx >= 0 {
		le.PutUint32(dd[8:], importRVA)
		le.PutUint32(dd[12:], importSize)
	}
	if p.CLR {
		le.PutUint32(dd[14*8:], pl[0].rva)
		le.PutUint32(dd[14*8+4:], 72)
	}
	for i, s := range secs {
		h := out[0x178+40*i:]
		copy(h[:8], s.Name)
		le.PutUint32(h[8:], pl[i].vsize)
		le.PutUint32(h[12:], pl[i].rva)
		le.PutUint32(h[16:], pl[i].rawSize)
		le.PutUint32(h[20:], pl[i].off)
		le.PutUint32(h[36:], s.Flags)
		copy(out[pl[i].off:], s.Data)
	}
	sec := p.Security
	if p.Certificate != nil {
		sec = [2]uint32{uint32(len(out)), uint32(len(p.Certificate))}
		out = append(out, p.Certificate...)
	}
	le.PutUint32(dd[4*8:], sec[0])
	le.PutUint32(dd[4*8+4:], sec[1])
	return append(out, p.Overlay...)
}

// buildImports lays out an import directory at rva: descriptors, lookup
// tables, hint/name entries and DLL names.
func buildImports(imports map[string][]string, rva uint32) ([]byte, uint32) {
	dlls := make([]string, 0, len(imports))
	for d := range imports {
		dlls = append(dlls, d)
	}
	sort.Strings(dlls)
	descSize := uint32(20 * (len(dlls) + 1))
	// Lookup tables follow the descriptors.
	var ilt, names []byte
	iltStart := descSize
	nFuncs := 0
	for _, d := range dlls {
		nFuncs += len(imports[d]) + 1
	}
	namesStart := iltStart + uint32(4*nFuncs)
	desc := make([]byte, descSize)
	le := binary.LittleEndian
	for i, d := range dlls {
		le.PutUint32(desc[20*i:], rva+iltStart+uint32(len(ilt)))
		le.PutUint32(desc[20*i+16:], rva+iltStart+uint32(len(ilt)))
		for _, fn := range imports[d] {
			ilt = le.AppendUint32(ilt, rva+namesStart+uint32(len(names)))
			names = append(names, 0, 0)
			names = append(names, fn...)
			names = append(names, 0)
			if len(names)%2 == 1 {
				names = append(names, 0)
			}
		}
		ilt = le.AppendUint32(ilt, 0)
		le.PutUint32(desc[20*i+12:], rva+namesStart+uint32(len(names)))
		names = append(names, d...)
		names = append(names, 0)
		if len(names)%2 == 1 {
			names = append(names, 0)
		}
	}
	out := append(append(desc, ilt...), names...)
	return out, descSize
}

// Code is a stand-in code section: a RET and padding that looks like code.
func Code(n int) []byte {
	b := make([]byte, n)
	b[0] = 0xc3
	for i := 1; i < n; i++ {
		b[i] = byte("\x55\x8b\xec\x83\xec\x08\x53\x56\x57\x8b\x45\x08\x50\xe8\x00\x00"[i%16])
	}
	return b
}

// Noise is deterministic high-entropy bytes (a xorshift stream), standing
// in for packed or encrypted data.
func Noise(n int, seed uint64) []byte {
	b := make([]byte, n)
	x := seed | 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x >> 24)
	}
	return b
}
