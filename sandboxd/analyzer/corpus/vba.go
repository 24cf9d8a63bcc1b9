package corpus

import (
	"encoding/binary"

	"github.com/airlockmail/airlock/sandboxd/analyzer/office"
)

// VBAStorage builds a "VBA" storage holding the given modules (name →
// source), with a dir stream naming them (MS-OVBA 2.3.4.2) and a
// _VBA_PROJECT stream. Each module stream has a small performance cache
// in front of its compressed source, so the offsets are real.
func VBAStorage(modules ...[2]string) *Node {
	var dir []byte
	rec := func(id uint16, data []byte) {
		dir = binary.LittleEndian.AppendUint16(dir, id)
		dir = binary.LittleEndian.AppendUint32(dir, uint32(len(data)))
		dir = append(dir, data...)
	}
	u32 := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	u16 := func(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
	rec(0x0001, u32(1))            // PROJECTSYSKIND: win32
	rec(0x0002, u32(0x409))        // PROJECTLCID
	rec(0x0014, u32(0x409))        // PROJECTLCIDINVOKE
	rec(0x0003, u16(1252))         // PROJECTCODEPAGE
	rec(0x0004, []byte("Project")) // PROJECTNAME
	rec(0x0005, nil)               // PROJECTDOCSTRING
	rec(0x0040, nil)               // …unicode
	rec(0x0006, nil)               // PROJECTHELPFILEPATH
	rec(0x003d, nil)               // …second
	rec(0x0007, u32(0))            // PROJECTHELPCONTEXT
	rec(0x0008, u32(0))            // PROJECTLIBFLAGS
	dir = append(dir, 0x09, 0x00)  // PROJECTVERSION: size says 4, carries 6
	dir = append(dir, u32(4)...)   //
	dir = append(dir, u32(1)...)   // major
	dir = append(dir, u16(0)...)   // minor
	rec(0x000c, nil)               // PROJECTCONSTANTS
	rec(0x003c, nil)               // …unicode
	rec(0x000f, u16(uint16(len(modules))))
	rec(0x0013, u16(0xffff)) // PROJECTCOOKIE
	var streams []*Node
	for _, m := range modules {
		name, src := m[0], m[1]
		rec(0x0019, []byte(name)) // MODULENAME
		rec(0x001a, []byte(name)) // MODULESTREAMNAME
		rec(0x0032, utf16le(name))
		rec(0x001c, nil) // MODULEDOCSTRING
		rec(0x0048, nil)
		cache := make([]byte, 37) // stands in for the performance cache
		rec(0x0031, u32(uint32(len(cache))))
		rec(0x001e, u32(0)) // MODULEHELPCONTEXT
		rec(0x002c, u16(0xffff))
		rec(0x0021, nil) // procedural module
		rec(0x002b, nil) // module terminator
		streams = append(streams, Stream(name, append(cache, office.Compress([]byte(src))...)))
	}
	rec(0x0010, nil) // dir terminator
	children := []*Node{
		Stream("_VBA_PROJECT", []byte{0xcc, 0x61, 0xff, 0xff, 0x00, 0x00, 0x00}),
		Stream("dir", office.Compress(dir)),
	}
	return Storage("VBA", append(children, streams...)...)
}

func utf16le(s string) []byte {
	var b []byte
	for _, r := range s {
		b = binary.LittleEndian.AppendUint16(b, uint16(r))
	}
	return b
}

// VBAProjectBin is a vbaProject.bin for an OOXML package.
func VBAProjectBin(modules ...[2]string) []byte {
	return CFB(VBAStorage(modules...), Stream("PROJECT", []byte("ID=\"{00000000-0000-0000-0000-000000000000}\"\r\nModule=Module1\r\n")))
}

// WordDoc is a Word 97 document: a WordDocument stream (not a real FIB,
// enough for sniffers) and, with modules, a Macros/VBA project.
func WordDoc(modules ...[2]string) []byte {
	wd := make([]byte, 4096)
	copy(wd, []byte{0xec, 0xa5, 0xc1, 0x00})
	nodes := []*Node{Stream("WordDocument", wd), Stream("1Table", make([]byte, 512))}
	if len(modules) > 0 {
		nodes = append(nodes, Storage("Macros", VBAStorage(modules...), Stream("PROJECT", []byte("Module=Module1\r\n"))))
	}
	return CFB(nodes...)
}

// Sheet is one BOUNDSHEET of a BIFF8 workbook.
type Sheet struct {
	Name   string
	Macro  bool // Excel 4.0 macro sheet
	Hidden byte // 0 visible, 1 hidden, 2 very hidden
}

// Workbook is an Excel 97 workbook stream with the given sheets, and a
// built-in Auto_Open name when autoOpen.
func Workbook(autoOpen bool, sheets ...Sheet) []byte {
	var b []byte
	rec := func(typ uint16, data []byte) {
		b = binary.LittleEndian.AppendUint16(b, typ)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(data)))
		b = append(b, data...)
	}
	rec(0x0809, []byte{0x00, 0x06, 0x05, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}) // BOF
	for _, s := range sheets {
		d := make([]byte, 6, 8+len(s.Name))
		d[4] = s.Hidden
		if s.Macro {
			d[5] = 1
		}
		d = append(d, byte(len(s.Name)), 0)
		d = append(d, s.Name...)
		rec(0x0085, d)
	}
	if autoOpen {
		// Lbl: fBuiltin, cch 1, name char 0x01 (Auto_Open).
		d := make([]byte, 14)
		binary.LittleEndian.PutUint16(d, 0x0020)
		d[3] = 1
		d = append(d, 0x00, 0x01)
		rec(0x0018, d)
	}
	rec(0x000a, nil) // EOF
	for len(b) < 4096 {
		rec(0x003c, make([]byte, 100)) // CONTINUE padding: a real-sized stream
	}
	return b
}

// ExcelDoc is an Excel 97 file with the given workbook stream and modules.
func ExcelDoc(workbook []byte, modules ...[2]string) []byte {
	nodes := []*Node{Stream("Workbook", workbook)}
	if len(modules) > 0 {
		nodes = append(nodes, Storage("_VBA_PROJECT_CUR", VBAStorage(modules...), Stream("PROJECT", []byte("Module=Module1\r\n"))))
	}
	return CFB(nodes...)
}

// OLEPackage is an embedded-object compound file with an \x01Ole10Native
// stream packaging data under name.
func OLEPackage(name string, data []byte) []byte {
	return CFB(Stream("\x01Ole10Native", Ole10Native(name, data)))
}

// Ole10Native is the OLE1 Package format: size, flags, label, path,
// reserved, temp path, data.
func Ole10Native(name string, data []byte) []byte {
	var p []byte
	p = append(p, 0x02, 0x00)
	p = append(p, name...)
	p = append(p, 0)
	p = append(p, `C:\Users\user\Desktop\`+name...)
	p = append(p, 0)
	p = append(p, 0x00, 0x00, 0x03, 0x00)
	tmp := `C:\Users\user\AppData\Local\Temp\` + name + "\x00"
	p = binary.LittleEndian.AppendUint32(p, uint32(len(tmp)))
	p = append(p, tmp...)
	p = binary.LittleEndian.AppendUint32(p, uint32(len(data)))
	p = append(p, data...)
	return append(binary.LittleEndian.AppendUint32(nil, uint32(len(p))), p...)
}
