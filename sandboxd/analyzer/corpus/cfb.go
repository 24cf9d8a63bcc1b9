package corpus

import (
	"encoding/binary"
	"unicode/utf16"
)

// Node is a storage or stream of a compound file to write.
type Node struct {
	Name     string
	Data     []byte // stream contents (nil for a storage)
	Children []*Node
	storage  bool
	clsid    [16]byte
}

// Storage makes a storage node.
func Storage(name string, children ...*Node) *Node {
	return &Node{Name: name, Children: children, storage: true}
}

// Stream makes a stream node.
func Stream(name string, data []byte) *Node { return &Node{Name: name, Data: data} }

const (
	cfbSector   = 512
	cfbMini     = 64
	cfbCutoff   = 4096
	endOfChain  = 0xfffffffe
	freeSect    = 0xffffffff
	fatSect     = 0xfffffffd
	noStream    = 0xffffffff
	entriesPerS = cfbSector / 128
)

// CFB writes a compound file (MS-CFB version 3, 512-byte sectors) with the
// given top-level nodes under the root storage. Streams under 4096 bytes
// go to the mini stream, as Office writes them. Deterministic: no times.
func CFB(top ...*Node) []byte { return CFBWithCLSID([16]byte{}, top...) }

// CFBWithCLSID is CFB with a class id on the root storage (an MSI package
// is recognised by it).
func CFBWithCLSID(clsid [16]byte, top ...*Node) []byte {
	root := &Node{Name: "Root Entry", Children: top, storage: true, clsid: clsid}
	// Flatten: directory order is a preorder walk.
	var entries []*Node
	var walk func(n *Node)
	walk = func(n *Node) {
		entries = append(entries, n)
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(root)
	index := map[*Node]int{}
	for i, e := range entries {
		index[e] = i
	}

	// Mini stream.
	var mini []byte
	var miniFAT []uint32
	miniStart := map[*Node]uint32{}
	for _, e := range entries {
		if e.storage || len(e.Data) == 0 || len(e.Data) >= cfbCutoff {
			continue
		}
		first := uint32(len(mini) / cfbMini)
		miniStart[e] = first
		n := (len(e.Data) + cfbMini - 1) / cfbMini
		for k := 0; k < n; k++ {
			if k == n-1 {
				miniFAT = append(miniFAT, endOfChain)
			} else {
				miniFAT = append(miniFAT, first+uint32(k)+1)
			}
		}
		buf := make([]byte, n*cfbMini)
		copy(buf, e.Data)
		mini = append(mini, buf...)
	}

	sectors := func(n int) int { return (n + cfbSector - 1) / cfbSector }
	dirSectors := sectors(len(entries) * 128)
	miniFATSectors := sectors(len(miniFAT) * 4)
	miniSectors := sectors(len(mini))
	big := 0
	for _, e := range entries {
		if !e.storage && len(e.Data) >= cfbCutoff {
			big += sectors(len(e.Data))
		}
	}
	rest := dirSectors + miniFATSectors + miniSectors + big
	fatSectors := 1
	for (rest+fatSectors+127)/128 > fatSectors {
		fatSectors++
	}
	total := fatSectors + rest
	fat := make([]uint32, fatSectors*128)
	for i := range fat {
		fat[i] = freeSect
	}
	next := 0
	alloc := func(n int, mark uint32) int {
		start := next
		for k := 0; k < n; k++ {
			if mark != 0 {
				fat[next] = mark
			} else if k == n-1 {
				fat[next] = endOfChain
			} else {
				fat[next] = uint32(next + 1)
			}
			next++
		}
		return start
	}
	fatStart := alloc(fatSectors, fatSect)
	dirStart := alloc(dirSectors, 0)
	miniFATStart := uint32(endOfChain)
	if miniFATSectors > 0 {
		miniFATStart = uint32(alloc(miniFATSectors, 0))
	}
	miniStreamStart := uint32(endOfChain)
	if miniSectors > 0 {
		miniStreamStart = uint32(alloc(miniSectors, 0))
	}
	bigStart := map[*Node]uint32{}
	for _, e := range entries {
		if !e.storage && len(e.Data) >= cfbCutoff {
			bigStart[e] = uint32(alloc(sectors(len(e.Data)), 0))
		}
	}

	out := make([]byte, cfbSector*(1+total))
	h := out[:cfbSector]
	copy(h, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
	le := binary.LittleEndian
	le.PutUint16(h[24:], 0x003e)
	le.PutUint16(h[26:], 0x0003)
	le.PutUint16(h[28:], 0xfffe)
	le.PutUint16(h[30:], 9)
	le.PutUint16(h[32:], 6)
	le.PutUint32(h[44:], uint32(fatSectors))
	le.PutUint32(h[48:], uint32(dirStart))
	le.PutUint32(h[56:], cfbCutoff)
	le.PutUint32(h[60:], miniFATStart)
	le.PutUint32(h[64:], uint32(miniFATSectors))
	le.PutUint32(h[68:], endOfChain)
	for i := 0; i < 109; i++ {
		v := uint32(freeSect)
		if i < fatSectors {
			v = uint32(fatStart + i)
		}
		le.PutUint32(h[76+4*i:], v)
	}
	sec := func(i int) []byte { return out[cfbSector*(1+i):] }
	for i, v := range fat {
		le.PutUint32(sec(fatStart)[4*i:], v)
	}
	// Directory.
	dir := make([]byte, dirSectors*cfbSector)
	for i := range len(dir) / 128 {
		d := dir[i*128:]
		le.PutUint32(d[68:], noStream)
		le.PutUint32(d[72:], noStream)
		le.PutUint32(d[76:], noStream)
	}
	for i, e := range entries {
		d := dir[i*128:]
		name := utf16.Encode([]rune(e.Name))
		for k, c := range name {
			le.PutUint16(d[2*k:], c)
		}
		le.PutUint16(d[64:], uint16(2*len(name)+2))
		switch {
		case i == 0:
			d[66] = 5
		case e.storage:
			d[66] = 1
		default:
			d[66] = 2
		}
		d[67] = 1
		copy(d[80:96], e.clsid[:])
		if len(e.Children) > 0 {
			le.PutUint32(d[76:], uint32(index[e.Children[0]]))
			for k := 0; k+1 < len(e.Children); k++ {
				le.PutUint32(dir[index[e.Children[k]]*128+72:], uint32(index[e.Children[k+1]]))
			}
		}
		switch {
		case i == 0:
			le.PutUint32(d[116:], miniStreamStart)
			le.PutUint64(d[120:], uint64(len(mini)))
		case e.storage:
		case len(e.Data) == 0:
			le.PutUint32(d[116:], endOfChain)
		case len(e.Data) < cfbCutoff:
			le.PutUint32(d[116:], miniStart[e])
			le.PutUint64(d[120:], uint64(len(e.Data)))
		default:
			le.PutUint32(d[116:], bigStart[e])
			le.PutUint64(d[120:], uint64(len(e.Data)))
		}
	}
	copy(sec(dirStart), dir)
	if miniFATSectors > 0 {
		m := sec(int(miniFATStart))
		for i := 0; i < miniFATSectors*128; i++ {
			v := uint32(freeSect)
			if i < len(miniFAT) {
				v = miniFAT[i]
			}
			le.PutUint32(m[4*i:], v)
		}
	}
	if miniSectors > 0 {
		copy(sec(int(miniStreamStart)), mini)
	}
	for e, s := range bigStart {
		copy(sec(int(s)), e.Data)
	}
	return out
}
