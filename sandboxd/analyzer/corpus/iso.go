package corpus

import (
	"encoding/binary"
	"strings"
)

// ISOFile is one file of a generated ISO 9660 image (root directory only).
type ISOFile struct {
	Name string
	Data []byte
}

// ISO writes a minimal ISO 9660 image: 16 system sectors, a primary
// volume descriptor, a terminator, the root directory, then the files.
// Names are written as given (upper case reads best everywhere). Times
// are fixed so that the output is deterministic.
func ISO(label string, files ...ISOFile) []byte {
	const ss = 2048
	rootLBA := uint32(18)
	fileLBA := rootLBA + 1
	type placed struct {
		lba  uint32
		name string
		size uint32
	}
	var pl []placed
	lba := fileLBA
	for _, f := range files {
		pl = append(pl, placed{lba, f.Name, uint32(len(f.Data))})
		lba += uint32((len(f.Data) + ss - 1) / ss)
		if len(f.Data) == 0 {
			lba++
		}
	}
	total := lba
	out := make([]byte, int(total)*ss)
	both32 := func(b []byte, v uint32) {
		binary.LittleEndian.PutUint32(b, v)
		binary.BigEndian.PutUint32(b[4:], v)
	}
	both16 := func(b []byte, v uint16) {
		binary.LittleEndian.PutUint16(b, v)
		binary.BigEndian.PutUint16(b[2:], v)
	}
	record := func(name []byte, lba, size uint32, dir bool) []byte {
		n := 33 + len(name)
		if n%2 == 1 {
			n++
		}
		r := make([]byte, n)
		r[0] = byte(n)
		both32(r[2:], lba)
		both32(r[10:], size)
		copy(r[18:25], []byte{126, 1, 1, 0, 0, 0, 0}) // 2026-01-01
		if dir {
			r[25] = 2
		}
		both16(r[28:], 1)
		r[32] = byte(len(name))
		copy(r[33:], name)
		return r
	}
	pvd := out[16*ss:]
	pvd[0] = 1
	copy(pvd[1:], "CD001")
	pvd[6] = 1
	copy(pvd[8:40], strings.Repeat(" ", 32))
	copy(pvd[40:72], padRight(strings.ToUpper(label), 32))
	both32(pvd[80:], total)
	both16(pvd[120:], 1)
	both16(pvd[124:], 1)
	both16(pvd[128:], ss)
	copy(pvd[156:], record([]byte{0}, rootLBA, ss, true))
	pvd[881] = 1
	term := out[17*ss:]
	term[0] = 255
	copy(term[1:], "CD001")
	term[6] = 1
	root := out[rootLBA*ss:]
	pos := 0
	pos += copy(root[pos:], record([]byte{0}, rootLBA, ss, true))
	pos += copy(root[pos:], record([]byte{1}, rootLBA, ss, true))
	for i, p := range pl {
		pos += copy(root[pos:], record([]byte(p.name+";1"), p.lba, p.size, false))
		copy(out[p.lba*ss:], files[i].Data)
	}
	return out
}

func padRight(s string, n int) string {
	if len(s) >= n {
		return s[:n]
	}
	return s + strings.Repeat(" ", n-len(s))
}

// VHD is a fixed virtual hard disk: raw disk bytes and a 512-byte
// "conectix" footer.
func VHD(disk []byte) []byte {
	size := (len(disk) + 511) / 512 * 512
	out := make([]byte, size+512)
	copy(out, disk)
	f := out[size:]
	copy(f, "conectix")
	binary.BigEndian.PutUint32(f[8:], 2)
	binary.BigEndian.PutUint32(f[12:], 0x00010000)
	binary.BigEndian.PutUint64(f[16:], 0xffffffffffffffff)
	copy(f[28:], "win ")
	binary.BigEndian.PutUint64(f[40:], uint64(size))
	binary.BigEndian.PutUint64(f[48:], uint64(size))
	binary.BigEndian.PutUint32(f[60:], 2) // fixed
	var sum uint32
	for _, c := range f {
		sum += uint32(c)
	}
	binary.BigEndian.PutUint32(f[64:], ^sum)
	return out
}
