package chm

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/bits"
	"strings"
)

// Budgets for one help file.
const (
	maxEntries      = 1 << 16
	maxChunks       = 1 << 14
	maxDecompressed = 32 << 20
	maxNameLen      = 1024
)

// entry is one file of the help file's directory.
type entry struct {
	name    string
	section uint64
	offset  uint64
	length  uint64
}

// archive is a parsed ITSF file: the directory, the uncompressed section
// and, once asked for, the decompressed MSCompressed section.
type archive struct {
	data          []byte
	entries       []entry
	byName        map[string]entry
	contentOffset uint64
	section1      []byte
	section1Err   error
	section1Done  bool
}

// encint reads CHM's variable-length integer: 7 bits a byte, most
// significant first, the high bit set on every byte but the last.
func encint(b []byte, i int) (uint64, int, error) {
	var v uint64
	for k := 0; k < 9; k++ {
		if i >= len(b) {
			return 0, i, fmt.Errorf("chm: directory entry runs past its chunk")
		}
		c := b[i]
		i++
		v = v<<7 | uint64(c&0x7f)
		if c&0x80 == 0 {
			return v, i, nil
		}
	}
	return 0, i, fmt.Errorf("chm: integer longer than 63 bits")
}

// parseITSF reads the ITSF header, the ITSP directory header and every
// PMGL listing chunk (the PMGI index chunks only speed up lookups, and a
// hostile file could make them disagree with the listing).
func parseITSF(b []byte) (*archive, error) {
	le := binary.LittleEndian
	if len(b) < 0x58 || string(b[:4]) != "ITSF" {
		return nil, fmt.Errorf("chm: no ITSF header")
	}
	ver := le.Uint32(b[4:])
	hlen := le.Uint32(b[8:])
	dirOff, dirLen := le.Uint64(b[72:]), le.Uint64(b[80:])
	a := &archive{data: b, byName: map[string]entry{}}
	switch {
	case ver >= 3 && hlen >= 0x60 && len(b) >= 0x60:
		a.contentOffset = le.Uint64(b[88:])
	case ver == 2 || ver >= 3:
		a.contentOffset = dirOff + dirLen
	default:
		return nil, fmt.Errorf("chm: ITSF version %d", ver)
	}
	if dirOff > uint64(len(b)) || dirLen > uint64(len(b))-dirOff || dirLen < 0x54 {
		return nil, fmt.Errorf("chm: directory (%d bytes at %d) is outside the file", dirLen, dirOff)
	}
	dir := b[dirOff : dirOff+dirLen]
	if string(dir[:4]) != "ITSP" {
		return nil, fmt.Errorf("chm: no ITSP directory header")
	}
	dhlen := uint64(le.Uint32(dir[8:]))
	chunkSize := uint64(le.Uint32(dir[16:]))
	nChunks := uint64(le.Uint32(dir[44:]))
	if chunkSize < 32 || chunkSize > 1<<20 || dhlen > dirLen {
		return nil, fmt.Errorf("chm: directory chunk size %d", chunkSize)
	}
	if nChunks > maxChunks || nChunks*chunkSize > dirLen-dhlen {
		nChunks = (dirLen - dhlen) / chunkSize
	}
	for c := uint64(0); c < nChunks && c < maxChunks; c++ {
		ch := dir[dhlen+c*chunkSize : dhlen+(c+1)*chunkSize]
		if string(ch[:4]) != "PMGL" {
			continue
		}
		free := uint64(le.Uint32(ch[4:]))
		end := chunkSize
		if free < chunkSize-20 {
			end = chunkSize - free
		}
		for i := 20; uint64(i) < end && len(a.entries) < maxEntries; {
			var n, sec, off, ln uint64
			var err error
			if n, i, err = encint(ch, i); err != nil {
				return nil, err
			}
			if n == 0 || n > maxNameLen || uint64(i)+n > uint64(len(ch)) {
				return nil, fmt.Errorf("chm: directory name of %d bytes", n)
			}
			name := string(ch[i : i+int(n)])
			i += int(n)
			if sec, i, err = encint(ch, i); err != nil {
				return nil, err
			}
			if off, i, err = encint(ch, i); err != nil {
				return nil, err
			}
			if ln, i, err = encint(ch, i); err != nil {
				return nil, err
			}
			e := entry{name, sec, off, ln}
			a.entries = append(a.entries, e)
			a.byName[strings.ToLower(name)] = e
		}
	}
	if len(a.entries) == 0 {
		return nil, fmt.Errorf("chm: empty directory")
	}
	return a, nil
}

// section0 returns a file stored uncompressed.
func (a *archive) section0(e entry) ([]byte, error) {
	start := a.contentOffset + e.offset
	if start < a.contentOffset || start > uint64(len(a.data)) || e.length > uint64(len(a.data))-start {
		return nil, fmt.Errorf("chm: %s (%d bytes at %d) lies outside the file", e.name, e.length, start)
	}
	return a.data[start : start+e.length], nil
}

func (a *archive) system(name string) ([]byte, error) {
	e, ok := a.byName[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("chm: no %s", name)
	}
	if e.section != 0 {
		return nil, fmt.Errorf("chm: %s is not in the uncompressed section", name)
	}
	return a.section0(e)
}

// decompress inflates the MSCompressed section once: ControlData says
// the window and reset interval (LZXC version 2 counts both in 32 KiB
// frames), ResetTable the uncompressed length.
func (a *archive) decompress(ctx context.Context) ([]byte, error) {
	if a.section1Done {
		return a.section1, a.section1Err
	}
	a.section1Done = true
	a.section1, a.section1Err = a.inflate(ctx)
	return a.section1, a.section1Err
}

func (a *archive) inflate(ctx context.Context) ([]byte, error) {
	le := binary.LittleEndian
	const base = "::DataSpace/Storage/MSCompressed/"
	ctl, err := a.system(base + "ControlData")
	if err != nil {
		return nil, err
	}
	if len(ctl) < 24 || string(ctl[4:8]) != "LZXC" {
		return nil, fmt.Errorf("chm: ControlData is not LZXC")
	}
	reset, window := uint64(le.Uint32(ctl[12:])), uint64(le.Uint32(ctl[16:]))
	if le.Uint32(ctl[8:]) >= 2 {
		reset *= frameSize
		window *= frameSize
	}
	if window == 0 || window&(window-1) != 0 || window < 1<<15 || window > 1<<21 {
		return nil, fmt.Errorf("chm: LZX window of %d bytes", window)
	}
	if reset == 0 || reset%frameSize != 0 {
		return nil, fmt.Errorf("chm: LZX reset interval of %d bytes", reset)
	}
	rt, err := a.system(base + "Transform/{7FC28940-9D31-11D0-9B27-00A0C91E9C7C}/InstanceData/ResetTable")
	if err != nil {
		return nil, err
	}
	if len(rt) < 0x28 {
		return nil, fmt.Errorf("chm: ResetTable of %d bytes", len(rt))
	}
	want := le.Uint64(rt[0x10:])
	if want > maxDecompressed {
		want = maxDecompressed
	}
	content, err := a.system(base + "Content")
	if err != nil {
		return nil, err
	}
	wbits := bits.TrailingZeros64(window)
	return decompressLZX(ctx, content, int(want), wbits, int(reset/frameSize))
}

// read returns the bytes of a file in either section.
func (a *archive) read(ctx context.Context, e entry) ([]byte, error) {
	switch e.section {
	case 0:
		return a.section0(e)
	case 1:
		s1, err := a.decompress(ctx)
		if e.offset > uint64(len(s1)) || e.length > uint64(len(s1))-e.offset {
			if err == nil {
				err = fmt.Errorf("chm: %s lies past the decompressed section", e.name)
			}
			return nil, err
		}
		return s1[e.offset : e.offset+e.length], nil
	}
	return nil, fmt.Errorf("chm: %s is in unknown section %d", e.name, e.section)
}

var itsfMagic = []byte("ITSF")

func isCHM(b []byte) bool { return bytes.HasPrefix(b, itsfMagic) }
