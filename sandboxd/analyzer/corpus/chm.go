package corpus

import (
	"encoding/binary"
	"sort"
	"strings"
)

// CHMFile is one file of a generated help file; Compressed puts it in the
// LZX (MSCompressed) section, as the HTML Help compiler does with pages.
type CHMFile struct {
	Name       string // "/index.htm"
	Data       []byte
	Compressed bool
}

// guid writes a GUID's mixed-endian bytes.
func guid(a uint32, b, c uint16, d [8]byte) []byte {
	le := binary.LittleEndian
	out := le.AppendUint32(nil, a)
	out = le.AppendUint16(out, b)
	out = le.AppendUint16(out, c)
	return append(out, d[:]...)
}

func encint(v uint64) []byte {
	var tmp []byte
	for {
		tmp = append([]byte{byte(v & 0x7f)}, tmp...)
		v >>= 7
		if v == 0 {
			break
		}
	}
	for i := 0; i < len(tmp)-1; i++ {
		tmp[i] |= 0x80
	}
	return tmp
}

// lzxBits writes LZX's bit stream: 16-bit little-endian words, most
// significant bit first.
type lzxBits struct {
	out  []byte
	acc  uint32
	nacc uint
}

func (w *lzxBits) put(v uint32, n uint) {
	for i := int(n) - 1; i >= 0; i-- {
		w.acc = w.acc<<1 | (v>>uint(i))&1
		w.nacc++
		if w.nacc == 16 {
			w.out = binary.LittleEndian.AppendUint16(w.out, uint16(w.acc))
			w.acc, w.nacc = 0, 0
		}
	}
}

func (w *lzxBits) align() {
	if w.nacc > 0 {
		w.put(0, 16-w.nacc)
	}
}

// LZXLiterals compresses data as CHM's LZX with a 64 KiB window and a
// reset at every 32 KiB frame: each frame is one verbatim block whose
// main tree gives every byte an 8-bit code (so the block is the bytes
// themselves behind the trees). Real readers (7-Zip, hh.exe) inflate it;
// it returns the stream and the compressed offset of each frame for the
// reset table.
func LZXLiterals(data []byte) ([]byte, []uint64) {
	w := &lzxBits{}
	var resets []uint64
	// Pretree: symbol 0 (length unchanged) code 0, 9 (0→8) code 10,
	// 16 (0→1) code 11.
	pre := func() {
		for s := 0; s < 20; s++ {
			l := uint32(0)
			switch s {
			case 0:
				l = 1
			case 9, 16:
				l = 2
			}
			w.put(l, 4)
		}
	}
	const mainExtra = 8 * 32 // position slots of a 2^16 window
	for off := 0; off < len(data) || off == 0; off += 32768 {
		// Every frame is a whole 32 KiB, the last one padded with zeros:
		// readers (chmlib, hh.exe) inflate whole frames.
		frame := make([]byte, 32768)
		copy(frame, data[off:min(len(data), off+32768)])
		resets = append(resets, uint64(len(w.out)))
		w.put(0, 1)                       // no E8 translation
		w.put(1, 3)                       // verbatim block
		w.put(uint32(len(frame))>>8, 16)  // block size, high 16 bits
		w.put(uint32(len(frame))&0xff, 8) // and low 8
		pre()
		for i := 0; i < 256; i++ {
			w.put(0b10, 2) // literal lengths 8
		}
		pre()
		for i := 0; i < mainExtra; i++ {
			w.put(0, 1) // no matches
		}
		pre()
		w.put(0b11, 2) // length tree: symbols 0 and 1 get length 1,
		w.put(0b11, 2) // a complete (if unused) code
		for i := 2; i < 249; i++ {
			w.put(0, 1)
		}
		for _, c := range frame {
			w.put(uint32(c), 8)
		}
		w.align()
		if len(data) == 0 {
			break
		}
	}
	return w.out, resets
}

// CHM writes a compiled HTML help file (ITSF version 3): header, header
// section 0, one directory of PMGL listing chunks, the uncompressed
// section with the DataSpace files, #SYSTEM and the uncompressed files,
// and the LZX-compressed section holding the rest.
func CHM(title, defaultTopic string, files ...CHMFile) []byte {
	le := binary.LittleEndian
	type placed struct {
		name         string
		section, off uint64
		length       uint64
	}
	var sec0, sec1 []byte
	var ents []placed
	add0 := func(name string, b []byte) {
		ents = append(ents, placed{name, 0, uint64(len(sec0)), uint64(len(b))})
		sec0 = append(sec0, b...)
	}
	for _, f := range files {
		if f.Compressed {
			ents = append(ents, placed{f.Name, 1, uint64(len(sec1)), uint64(len(f.Data))})
			sec1 = append(sec1, f.Data...)
		}
	}
	// #SYSTEM: version 3, then (code, length, data) records: 2 default
	// topic, 3 title, 9 compiler.
	sys := le.AppendUint32(nil, 3)
	for _, r := range []struct {
		code uint16
		s    string
	}{{2, defaultTopic}, {3, title}, {9, "HHA Version 4.74.8702"}} {
		sys = le.AppendUint16(sys, r.code)
		sys = le.AppendUint16(sys, uint16(len(r.s)+1))
		sys = append(append(sys, r.s...), 0)
	}
	add0("#SYSTEM", sys)
	for _, f := range files {
		if !f.Compressed {
			add0(f.Name, f.Data)
		}
	}
	// DataSpace: the section names, the LZX transform and its data.
	var nl []byte
	nl = le.AppendUint16(nl, 0) // length in words, set below
	nl = le.AppendUint16(nl, 2)
	for _, n := range []string{"Uncompressed", "MSCompressed"} {
		nl = le.AppendUint16(nl, uint16(len(n)))
		nl = append(nl, utf16le(n)...)
		nl = le.AppendUint16(nl, 0)
	}
	le.PutUint16(nl, uint16(len(nl)/2))
	add0("::DataSpace/NameList", nl)
	const base = "::DataSpace/Storage/MSCompressed/"
	const lzxGUID = "{7FC28940-9D31-11D0-9B27-00A0C91E9C7C}"
	comp, resets := LZXLiterals(sec1)
	add0(base+"Content", comp)
	ctl := le.AppendUint32(nil, 6)
	ctl = append(ctl, "LZXC"...)
	for _, v := range []uint32{2, 1, 2, 1, 0} { // version, reset (frames), window (×32 KiB), cache, unknown
		ctl = le.AppendUint32(ctl, v)
	}
	add0(base+"ControlData", ctl)
	add0(base+"SpanInfo", le.AppendUint64(nil, uint64(len(sec1))))
	add0(base+"Transform/List", utf16le(lzxGUID))
	rt := le.AppendUint32(nil, 2)
	rt = le.AppendUint32(rt, uint32(len(resets)))
	rt = le.AppendUint32(rt, 8)
	rt = le.AppendUint32(rt, 0x28)
	rt = le.AppendUint64(rt, uint64(len(sec1)))
	rt = le.AppendUint64(rt, uint64(len(comp)))
	rt = le.AppendUint64(rt, 32768)
	for _, r := range resets {
		rt = le.AppendUint64(rt, r)
	}
	add0(base+"Transform/"+lzxGUID+"/InstanceData/ResetTable", rt)
	ents = append(ents, placed{"/", 0, 0, 0})

	// Directory: entries sorted case-insensitively, as the compiler
	// writes them, in 4 KiB PMGL chunks.
	sort.Slice(ents, func(i, j int) bool { return strings.ToLower(ents[i].name) < strings.ToLower(ents[j].name) })
	const chunkSize = 4096
	var chunks [][]byte
	cur, count := []byte(nil), 0
	var quick []uint16
	flush := func() {
		ch := make([]byte, chunkSize)
		copy(ch, "PMGL")
		copy(ch[20:], cur)
		le.PutUint32(ch[4:], uint32(chunkSize-20-len(cur)))
		le.PutUint32(ch[12:], 0xffffffff)
		le.PutUint32(ch[16:], 0xffffffff)
		for k, q := range quick {
			le.PutUint16(ch[chunkSize-4-2*k:], q)
		}
		le.PutUint16(ch[chunkSize-2:], uint16(count))
		chunks = append(chunks, ch)
		cur, count, quick = nil, 0, nil
	}
	for _, e := range ents {
		rec := append(encint(uint64(len(e.name))), e.name...)
		rec = append(rec, encint(e.section)...)
		rec = append(rec, encint(e.off)...)
		rec = append(rec, encint(e.length)...)
		if 20+len(cur)+len(rec)+2+2*(len(quick)+1) > chunkSize {
			flush()
		}
		if count > 0 && count%5 == 0 {
			quick = append(quick, uint16(20+len(cur)))
		}
		cur = append(cur, rec...)
		count++
	}
	flush()
	for i := range chunks {
		if i > 0 {
			le.PutUint32(chunks[i][12:], uint32(i-1))
		}
		if i+1 < len(chunks) {
			le.PutUint32(chunks[i][16:], uint32(i+1))
		}
	}
	itsp := make([]byte, 0x54)
	copy(itsp, "ITSP")
	for off, v := range map[int]uint32{4: 1, 8: 0x54, 12: 0x0a, 16: chunkSize, 20: 2, 24: 1, 28: 0xffffffff, 32: 0,
		36: uint32(len(chunks) - 1), 40: 0xffffffff, 44: uint32(len(chunks)), 48: 0x409, 68: 0x54, 72: 0xffffffff, 76: 0xffffffff, 80: 0xffffffff} {
		le.PutUint32(itsp[off:], v)
	}
	copy(itsp[52:], guid(0x5D02926A, 0x212E, 0x11D0, [8]byte{0x9D, 0xF9, 0x00, 0xA0, 0xC9, 0x22, 0xE6, 0xEC}))
	dir := itsp
	for _, ch := range chunks {
		dir = append(dir, ch...)
	}
	const headerLen, hs0Len = 0x60, 0x18
	dirOff := uint64(headerLen + hs0Len)
	contentOff := dirOff + uint64(len(dir))
	total := contentOff + uint64(len(sec0))
	h := make([]byte, headerLen)
	copy(h, "ITSF")
	le.PutUint32(h[4:], 3)
	le.PutUint32(h[8:], headerLen)
	le.PutUint32(h[12:], 1)
	binary.BigEndian.PutUint32(h[16:], 0x5f3b2c1d)
	le.PutUint32(h[20:], 0x409)
	copy(h[24:], guid(0x7C01FD10, 0x7BAA, 0x11D0, [8]byte{0x9E, 0x0C, 0x00, 0xA0, 0xC9, 0x22, 0xE6, 0xEC}))
	copy(h[40:], guid(0x7C01FD11, 0x7BAA, 0x11D0, [8]byte{0x9E, 0x0C, 0x00, 0xA0, 0xC9, 0x22, 0xE6, 0xEC}))
	le.PutUint64(h[56:], headerLen)
	le.PutUint64(h[64:], hs0Len)
	le.PutUint64(h[72:], dirOff)
	le.PutUint64(h[80:], uint64(len(dir)))
	le.PutUint64(h[88:], contentOff)
	hs0 := make([]byte, hs0Len)
	le.PutUint32(hs0, 0x01fe)
	le.PutUint64(hs0[8:], total)
	out := append(append(append(h, hs0...), dir...), sec0...)
	return out
}
