package office

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// MS-OVBA 2.4.1: VBA source and the "dir" stream are stored in a
// compressed container: a 0x01 signature byte, then chunks of at most 4096
// decompressed bytes, each either raw or a sequence of flag bytes with
// literal and copy tokens.

// errNotContainer means the bytes do not start a compressed container.
var errNotContainer = errors.New("not an MS-OVBA compressed container")

// Decompress decodes a compressed container, producing at most max bytes
// (more is cut, with the bytes so far and an error). A truncated or
// corrupt container returns what decoded before the damage and an error.
func Decompress(b []byte, max int) ([]byte, error) {
	if len(b) == 0 || b[0] != 0x01 {
		return nil, errNotContainer
	}
	out := make([]byte, 0, min(len(b)*3, max, 1<<20))
	pos := 1
	for pos < len(b) {
		if pos+2 > len(b) {
			return out, fmt.Errorf("ovba: truncated chunk header at %d", pos)
		}
		hdr := binary.LittleEndian.Uint16(b[pos:])
		size := int(hdr&0x0fff) + 3
		if hdr>>12&0x7 != 0x3 {
			return out, fmt.Errorf("ovba: bad chunk signature at %d", pos)
		}
		compressed := hdr&0x8000 != 0
		end := min(pos+size, len(b))
		data := b[pos+2 : end]
		pos = end
		chunkStart := len(out)
		if !compressed {
			// A raw chunk holds exactly 4096 bytes.
			n := min(len(data), 4096)
			if len(out)+n > max {
				return append(out, data[:max-len(out)]...), errors.New("ovba: output limit")
			}
			out = append(out, data[:n]...)
			continue
		}
		for i := 0; i < len(data); {
			flags := data[i]
			i++
			for bit := 0; bit < 8 && i < len(data); bit++ {
				if flags&(1<<bit) == 0 {
					if len(out) >= max {
						return out, errors.New("ovba: output limit")
					}
					out = append(out, data[i])
					i++
					continue
				}
				if i+2 > len(data) {
					return out, errors.New("ovba: truncated copy token")
				}
				tok := binary.LittleEndian.Uint16(data[i:])
				i += 2
				diff := len(out) - chunkStart
				bits := copyTokenBits(diff)
				lengthMask := uint16(0xffff) >> bits
				length := int(tok&lengthMask) + 3
				offset := int(tok>>(16-bits)) + 1
				src := len(out) - offset
				if src < chunkStart || diff == 0 {
					return out, fmt.Errorf("ovba: copy token reaches before the chunk")
				}
				if len(out)+length > max {
					return out, errors.New("ovba: output limit")
				}
				for k := 0; k < length; k++ {
					out = append(out, out[src+k])
				}
			}
		}
	}
	return out, nil
}

// copyTokenBits is the number of offset bits of a copy token at distance
// diff from the chunk start (MS-OVBA 2.4.1.3.19.1): ceil(log2(diff)), at
// least 4.
func copyTokenBits(diff int) uint {
	bits := uint(4)
	for (1 << bits) < diff {
		bits++
	}
	return min(bits, 12)
}

// Compress builds a compressed container for b (greedy matching). It is
// here for the corpus generator and the tests, which need containers with
// real copy tokens, not only literals.
func Compress(b []byte) []byte {
	out := []byte{0x01}
	for start := 0; start < len(b); start += 4096 {
		chunk := b[start:min(len(b), start+4096)]
		body := compressChunk(chunk)
		hdr := uint16(0x3000) | 0x8000 | uint16(len(body)+2-3)
		out = binary.LittleEndian.AppendUint16(out, hdr)
		out = append(out, body...)
	}
	return out
}

func compressChunk(c []byte) []byte {
	var out []byte
	i := 0
	for i < len(c) {
		flagPos := len(out)
		out = append(out, 0)
		for bit := 0; bit < 8 && i < len(c); bit++ {
			bits := copyTokenBits(i)
			maxLen := int(uint16(0xffff)>>bits) + 3
			maxOff := 1 << bits
			bestLen, bestOff := 0, 0
			for off := 1; off <= min(i, maxOff); off++ {
				l := 0
				for l < maxLen && i+l < len(c) && c[i+l] == c[i-off+l] {
					l++
				}
				if l > bestLen {
					bestLen, bestOff = l, off
				}
			}
			if bestLen >= 3 {
				tok := uint16(bestOff-1)<<(16-bits) | uint16(bestLen-3)
				out = binary.LittleEndian.AppendUint16(out, tok)
				out[flagPos] |= 1 << bit
				i += bestLen
				continue
			}
			out = append(out, c[i])
			i++
		}
	}
	return out
}

// vbaModule is one module named by the dir stream.
type vbaModule struct {
	Name   string // MODULESTREAMNAME
	Offset uint32 // MODULEOFFSET: where the compressed source starts
}

// parseDir reads the decompressed "dir" stream (MS-OVBA 2.3.4.2) for the
// module stream names and source offsets; other records are skipped by
// their sizes.
func parseDir(d []byte) ([]vbaModule, error) {
	var mods []vbaModule
	var cur *vbaModule
	pos := 0
	for pos+6 <= len(d) {
		id := binary.LittleEndian.Uint16(d[pos:])
		size := int(binary.LittleEndian.Uint32(d[pos+2:]))
		pos += 6
		if id == 0x0009 {
			// PROJECTVERSION declares size 4 but carries 6 bytes.
			size = 6
		}
		if size < 0 || pos+size > len(d) {
			return mods, fmt.Errorf("ovba dir: record 0x%04x overruns the stream", id)
		}
		data := d[pos : pos+size]
		pos += size
		switch id {
		case 0x0019: // MODULENAME starts a module
			mods = append(mods, vbaModule{Name: string(data)})
			cur = &mods[len(mods)-1]
		case 0x001a: // MODULESTREAMNAME
			if cur != nil {
				cur.Name = string(data)
			}
		case 0x0031: // MODULEOFFSET
			if cur != nil && len(data) >= 4 {
				cur.Offset = binary.LittleEndian.Uint32(data)
			}
		case 0x0010: // dir terminator
			return mods, nil
		}
		if len(mods) > 4096 {
			return mods, errors.New("ovba dir: too many modules")
		}
	}
	return mods, nil
}
