package corpus

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"sort"
)

// WithExports writes an export directory naming names into the section
// called section of the PE image b (which must be large enough) and
// points the export data directory at it. Every export points at the
// start of the first code section. It leaves pe.go's writer untouched.
func WithExports(b []byte, section, dllName string, names ...string) []byte {
	f, err := pe.NewFile(bytes.NewReader(b))
	if err != nil {
		panic(err)
	}
	var sec, text *pe.Section
	for _, s := range f.Sections {
		if s.Name == section {
			sec = s
		}
		if text == nil && s.Characteristics&SCNCode != 0 {
			text = s
		}
	}
	if sec == nil || text == nil {
		panic("WithExports: no section " + section + " or no code section")
	}
	names = append([]string(nil), names...)
	sort.Strings(names) // the loader binary-searches the name table
	le := binary.LittleEndian
	n := uint32(len(names))
	va := sec.VirtualAddress
	funcs, ptrs := uint32(40), 40+4*n
	ords := ptrs + 4*n
	strs := ords + 2*n
	dir := make([]byte, strs)
	pool := append([]byte(dllName), 0)
	le.PutUint32(dir[12:], va+strs)
	le.PutUint32(dir[16:], 1)
	le.PutUint32(dir[20:], n)
	le.PutUint32(dir[24:], n)
	le.PutUint32(dir[28:], va+funcs)
	le.PutUint32(dir[32:], va+ptrs)
	le.PutUint32(dir[36:], va+ords)
	for i, name := range names {
		le.PutUint32(dir[funcs+4*uint32(i):], text.VirtualAddress)
		le.PutUint32(dir[ptrs+4*uint32(i):], va+strs+uint32(len(pool)))
		le.PutUint16(dir[ords+2*uint32(i):], uint16(i))
		pool = append(append(pool, name...), 0)
	}
	dir = append(dir, pool...)
	if uint32(len(dir)) > sec.Size {
		panic("WithExports: section too small")
	}
	out := append([]byte(nil), b...)
	copy(out[sec.Offset:], dir)
	lfanew := le.Uint32(out[0x3c:])
	dd := out[lfanew+24+96:] // PE32 optional header: data directories at +96
	le.PutUint32(dd[0:], va)
	le.PutUint32(dd[4:], uint32(len(dir)))
	return out
}
