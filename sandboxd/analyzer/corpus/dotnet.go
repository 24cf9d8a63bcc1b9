package corpus

import (
	"encoding/binary"
	"sort"
	"strings"
	"unicode/utf16"
)

// DotNet describes a .NET assembly to write: real ECMA-335 metadata (CLI
// header, metadata root, #~ tables, #Strings, #US, #GUID and #Blob heaps)
// in the .text section of a PE that imports mscoree!_CorExeMain. Its Main
// is a single RET; the members it references and the strings it holds are
// the traits.
type DotNet struct {
	Name string // the module and assembly name, "app.exe"
	// Members are the MemberRefs: "System.Net.WebClient::DownloadFile".
	Members []DNMember
	// PInvokes are "kernel32.dll!VirtualAlloc" declarations (static
	// extern methods with an ImplMap row).
	PInvokes []string
	// UserStrings go into #US (string literals of the program).
	UserStrings []string
	// Resources are embedded manifest resources.
	Resources []ZipEntry
	// Extra sections after .text.
	Sections []PESection
}

// DNMember is a referenced method: its type, name and signature in a small
// vocabulary ("void", "string", "byte[]", "object", "object[]", "int", or
// a full type name).
type DNMember struct {
	Type, Name string
	Instance   bool
	Ret        string
	Params     []string
}

// M is a shorthand for a static member reference returning void.
func M(typeAndName string, params ...string) DNMember {
	t, n, _ := strings.Cut(typeAndName, "::")
	return DNMember{Type: t, Name: n, Ret: "void", Params: params}
}

type metaWriter struct {
	strings  []byte
	strIndex map[string]uint32
	blob     []byte
	us       []byte
	typeRefs []string
	typeIdx  map[string]int
}

func (w *metaWriter) str(s string) uint32 {
	if s == "" {
		return 0
	}
	if i, ok := w.strIndex[s]; ok {
		return i
	}
	i := uint32(len(w.strings))
	w.strings = append(append(w.strings, s...), 0)
	w.strIndex[s] = i
	return i
}

func compress(n int) []byte {
	switch {
	case n < 0x80:
		return []byte{byte(n)}
	case n < 0x4000:
		return []byte{byte(n>>8) | 0x80, byte(n)}
	}
	return []byte{byte(n>>24) | 0xc0, byte(n >> 16), byte(n >> 8), byte(n)}
}

func (w *metaWriter) addBlob(b []byte) uint32 {
	i := uint32(len(w.blob))
	w.blob = append(append(w.blob, compress(len(b))...), b...)
	return i
}

func (w *metaWriter) typeRef(full string) int {
	if i, ok := w.typeIdx[full]; ok {
		return i
	}
	w.typeRefs = append(w.typeRefs, full)
	w.typeIdx[full] = len(w.typeRefs)
	return len(w.typeRefs)
}

func (w *metaWriter) sigType(t string) []byte {
	switch t {
	case "void":
		return []byte{0x01}
	case "bool":
		return []byte{0x02}
	case "int":
		return []byte{0x08}
	case "string":
		return []byte{0x0e}
	case "object":
		return []byte{0x1c}
	case "byte[]":
		return []byte{0x1d, 0x05}
	case "object[]":
		return []byte{0x1d, 0x1c}
	case "IntPtr":
		return []byte{0x18}
	}
	return append([]byte{0x12}, compress(w.typeRef(t)<<2|1)...)
}

func (w *metaWriter) methodSig(instance bool, ret string, params []string) []byte {
	cc := byte(0x00)
	if instance {
		cc = 0x20
	}
	s := append([]byte{cc}, compress(len(params))...)
	s = append(s, w.sigType(ret)...)
	for _, p := range params {
		s = append(s, w.sigType(p)...)
	}
	return s
}

func splitType(full string) (ns, name string) {
	i := strings.LastIndex(full, ".")
	if i < 0 {
		return "", full
	}
	return full[:i], full[i+1:]
}

// Bytes writes the assembly.
func (n DotNet) Bytes() []byte {
	le := binary.LittleEndian
	w := &metaWriter{strings: []byte{0}, strIndex: map[string]uint32{}, blob: []byte{0}, us: []byte{0}, typeIdx: map[string]int{}}
	w.typeRef("System.Object")
	for _, m := range n.Members {
		w.typeRef(m.Type)
	}
	type mref struct {
		parent    int
		name, sig uint32
	}
	var mrefs []mref
	for _, m := range n.Members {
		mrefs = append(mrefs, mref{parent: w.typeRef(m.Type), name: w.str(m.Name), sig: w.addBlob(w.methodSig(m.Instance, m.Ret, m.Params))})
	}
	// User strings: length = 2*chars+1, UTF-16LE, then a flag byte.
	for _, s := range n.UserStrings {
		u := utf16.Encode([]rune(s))
		w.us = append(w.us, compress(2*len(u)+1)...)
		flag := byte(0)
		for _, c := range u {
			w.us = le.AppendUint16(w.us, c)
			if c > 0x7e || c < 0x20 {
				flag = 1
			}
		}
		w.us = append(w.us, flag)
	}
	// Module refs and P/Invoke methods.
	var modules []string
	modIdx := map[string]int{}
	type pinv struct {
		name uint32
		mod  int
	}
	var pinvs []pinv
	for _, p := range n.PInvokes {
		mod, fn, _ := strings.Cut(p, "!")
		if modIdx[mod] == 0 {
			modules = append(modules, mod)
			modIdx[mod] = len(modules)
		}
		pinvs = append(pinvs, pinv{name: w.str(fn), mod: modIdx[mod]})
	}
	voidSig := w.addBlob([]byte{0x00, 0x00, 0x01})
	mainSig := voidSig
	name := n.Name
	if name == "" {
		name = "app.exe"
	}
	asmName := strings.TrimSuffix(strings.TrimSuffix(name, ".exe"), ".dll")
	token := w.addBlob([]byte{0xb7, 0x7a, 0x5c, 0x56, 0x19, 0x34, 0xe0, 0x89})

	// .text layout: CLI header (72), Main's body (tiny header + ret,
	// padded to 4), resources, metadata, the entry stub.
	const textRVA = peSectAlign
	body := []byte{0x06, 0x2a, 0, 0} // tiny header (size 1), ret
	var res []byte
	resOffsets := make([]uint32, len(n.Resources))
	for i, r := range n.Resources {
		resOffsets[i] = uint32(len(res))
		res = le.AppendUint32(res, uint32(len(r.Data)))
		res = append(res, r.Data...)
		for len(res)%8 != 0 {
			res = append(res, 0)
		}
	}
	bodyRVA := uint32(textRVA + 72)
	resRVA := bodyRVA + uint32(len(body))

	// Tables.
	var tbl []byte
	u16 := func(v uint32) { tbl = le.AppendUint16(tbl, uint16(v)) }
	u32 := func(v uint32) { tbl = le.AppendUint32(tbl, v) }
	rows := map[int]int{}
	// Module (0x00)
	rows[0x00] = 1
	u16(0)
	u16(w.str(name))
	u16(1) // Mvid: the first GUID
	u16(0)
	u16(0)
	// TypeRef (0x01): scope AssemblyRef 1 (ResolutionScope tag 2).
	for _, t := range w.typeRefs {
		ns, nm := splitType(t)
		u16(1<<2 | 2)
		u16(w.str(nm))
		u16(w.str(ns))
	}
	rows[0x01] = len(w.typeRefs)
	// TypeDef (0x02): <Module>, Program (extends System.Object).
	nMethods := len(pinvs) + 1
	u32(0)
	u16(w.str("<Module>"))
	u16(0)
	u16(0)
	u16(1)
	u16(1)
	u32(0x00100001) // public, beforefieldinit
	u16(w.str("Program"))
	u16(w.str(asmName))
	u16(uint32(w.typeIdx["System.Object"])<<2 | 1)
	u16(1)
	u16(1)
	rows[0x02] = 2
	// MethodDef (0x06): P/Invoke declarations, then Main.
	for _, p := range pinvs {
		u32(0)
		u16(0x0080)  // PreserveSig
		u16(0x2096)  // public static hidebysig pinvokeimpl
		u16(p.name)  // name (same as the import name)
		u16(voidSig) // static void ()
		u16(1)       // no params
	}
	u32(bodyRVA)
	u16(0)
	u16(0x0096)
	u16(w.str("Main"))
	u16(mainSig)
	u16(1)
	rows[0x06] = nMethods
	// MemberRef (0x0a): parent TypeRef (MemberRefParent tag 1).
	for _, m := range mrefs {
		u16(uint32(m.parent)<<3 | 1)
		u16(m.name)
		u16(m.sig)
	}
	rows[0x0a] = len(mrefs)
	// ModuleRef (0x1a)
	for _, m := range modules {
		u16(w.str(m))
	}
	rows[0x1a] = len(modules)
	// ImplMap (0x1c): sorted by MemberForwarded (MethodDef tag 1).
	for i, p := range pinvs {
		u16(0x0100 | 0x0040) // winapi, charset auto
		u16(uint32(i+1)<<1 | 1)
		u16(p.name)
		u16(uint32(p.mod))
	}
	rows[0x1c] = len(pinvs)
	// Assembly (0x20)
	u32(0x8004)
	u16(1)
	u16(0)
	u16(0)
	u16(0)
	u32(0)
	u16(0)
	u16(w.str(asmName))
	u16(0)
	rows[0x20] = 1
	// AssemblyRef (0x23): mscorlib 4.0.0.0.
	u16(4)
	u16(0)
	u16(0)
	u16(0)
	u32(0)
	u16(token)
	u16(w.str("mscorlib"))
	u16(0)
	u16(0)
	rows[0x23] = 1
	// ManifestResource (0x28): public, in this file.
	for i, r := range n.Resources {
		u32(resOffsets[i])
		u32(1)
		u16(w.str(r.Name))
		u16(0)
	}
	rows[0x28] = len(n.Resources)

	if len(w.strings) >= 1<<16 || len(w.blob) >= 1<<16 {
		// The writer uses 2-byte heap indexes (HeapSizes 0).
		panic("corpus: .NET heaps over 64 KiB")
	}
	var valid uint64
	var ids []int
	for t, c := range rows {
		if c > 0 {
			valid |= 1 << t
			ids = append(ids, t)
		}
	}
	sort.Ints(ids)
	var hdr []byte
	hdr = le.AppendUint32(hdr, 0)
	hdr = append(hdr, 2, 0, 0, 1)
	hdr = le.AppendUint64(hdr, valid)
	hdr = le.AppendUint64(hdr, 0x000016003301fa00)
	for _, t := range ids {
		hdr = le.AppendUint32(hdr, uint32(rows[t]))
	}
	tables := pad4(append(hdr, tbl...))

	guid := []byte{0x2b, 0x8a, 0x33, 0x1d, 0x5e, 0x71, 0x4c, 0x49, 0x9a, 0x0e, 0x61, 0x7b, 0xc2, 0x14, 0x58, 0x03}
	streams := []struct {
		name string
		data []byte
	}{{"#~", tables}, {"#Strings", pad4(w.strings)}, {"#US", pad4(w.us)}, {"#GUID", guid}, {"#Blob", pad4(w.blob)}}
	var root []byte
	root = le.AppendUint32(root, 0x424a5342)
	root = le.AppendUint16(root, 1)
	root = le.AppendUint16(root, 1)
	root = le.AppendUint32(root, 0)
	ver := []byte("v4.0.30319\x00\x00")
	root = le.AppendUint32(root, uint32(len(ver)))
	root = append(root, ver...)
	root = le.AppendUint16(root, 0)
	root = le.AppendUint16(root, uint16(len(streams)))
	headerLen := len(root)
	for _, s := range streams {
		headerLen += 8 + (len(s.name)+4)&^3
	}
	off := headerLen
	var data []byte
	for _, s := range streams {
		root = le.AppendUint32(root, uint32(off))
		root = le.AppendUint32(root, uint32(len(s.data)))
		nm := append([]byte(s.name), 0)
		for len(nm)%4 != 0 {
			nm = append(nm, 0)
		}
		root = append(root, nm...)
		off += len(s.data)
		data = append(data, s.data...)
	}
	meta := append(root, data...)
	metaRVA := resRVA + uint32(len(res))

	cli := make([]byte, 72)
	le.PutUint32(cli[0:], 72)
	le.PutUint16(cli[4:], 2)
	le.PutUint16(cli[6:], 5)
	le.PutUint32(cli[8:], metaRVA)
	le.PutUint32(cli[12:], uint32(len(meta)))
	le.PutUint32(cli[16:], 1) // IL only
	le.PutUint32(cli[20:], 0x06000000|uint32(nMethods))
	if len(res) > 0 {
		le.PutUint32(cli[24:], resRVA)
		le.PutUint32(cli[28:], uint32(len(res)))
	}
	text := append(append(append(append(cli, body...), res...), meta...), 0xff, 0x25, 0, 0x20, 0x40, 0) // jmp [_CorExeMain]
	entry := uint32(len(text) - 6)
	p := PE{
		Sections:    append([]PESection{{Name: ".text", Data: text, Flags: SCNCode | SCNExecute | SCNRead}}, n.Sections...),
		Imports:     map[string][]string{"mscoree.dll": {"_CorExeMain"}},
		EntryOffset: entry,
		CLR:         true,
	}
	return p.Bytes()
}

func pad4(b []byte) []byte {
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}
