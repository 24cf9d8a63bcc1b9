package chm

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
)

// LZX as CHM's MSCompressed section uses it (the format Microsoft
// documents for cabinets; libmspack's lzxd.c is the reference reader):
// 32 KiB output frames, the input re-aligned to 16 bits after each, the
// decoder state reset every resetFrames frames, verbatim, aligned and
// uncompressed blocks, and the optional E8 call translation.

const (
	frameSize     = 32768
	numChars      = 256
	primaryLens   = 7
	secondaryLens = 249
	minMatch      = 2
	pretreeSyms   = 20
	alignedSyms   = 8
	maxCodeLen    = 16
)

var (
	errLZXData = errors.New("lzx: invalid compressed data")
	errLZXEOF  = errors.New("lzx: compressed data ends early")
)

var extraBits, positionBase [52]uint32

func init() {
	j := uint32(0)
	for i := 0; i < 51; i += 2 {
		extraBits[i], extraBits[i+1] = j, j
		if i != 0 && j < 17 {
			j++
		}
	}
	j = 0
	for i := 0; i < 51; i++ {
		positionBase[i] = j
		j += 1 << extraBits[i]
	}
}

// positionSlots is the number of match position slots for a window of
// 2^bits bytes (15..21).
func positionSlots(bits int) int {
	switch {
	case bits == 20:
		return 42
	case bits == 21:
		return 50
	}
	return 2 * bits
}

// bitReader reads LZX's bit stream: 16-bit little-endian words, most
// significant bit first.
type bitReader struct {
	in   []byte
	i    int
	buf  uint32
	bits uint
}

func (r *bitReader) ensure(n uint) error {
	for r.bits < n {
		if r.i+2 > len(r.in) {
			return errLZXEOF
		}
		w := uint32(r.in[r.i]) | uint32(r.in[r.i+1])<<8
		r.i += 2
		r.buf |= w << (16 - r.bits)
		r.bits += 16
	}
	return nil
}

// read returns n (≤ 17) bits.
func (r *bitReader) read(n uint) (uint32, error) {
	if n == 0 {
		return 0, nil
	}
	if err := r.ensure(n); err != nil {
		return 0, err
	}
	v := r.buf >> (32 - n)
	r.buf <<= n
	r.bits -= n
	return v, nil
}

// align drops the bits left in the current 16-bit word (end of a frame).
func (r *bitReader) align() {
	drop := r.bits & 15
	r.buf <<= drop
	r.bits -= drop
}

// huffman is a canonical code. Codes of up to fastBits bits are looked up
// in a table; longer ones are read bit by bit (as zlib's puff does), which
// is also safe on incomplete or empty codes: they simply fail to decode.
type huffman struct {
	count [maxCodeLen + 1]uint16
	syms  []uint16
	fast  [1 << fastBits]uint32 // symbol<<8 | length; 0: not in the table
}

const fastBits = 10

func (h *huffman) build(lens []byte) {
	h.count = [maxCodeLen + 1]uint16{}
	for _, l := range lens {
		h.count[l]++
	}
	h.count[0] = 0
	var offs [maxCodeLen + 2]uint16
	for l := 1; l <= maxCodeLen; l++ {
		offs[l+1] = offs[l] + h.count[l]
	}
	h.syms = h.syms[:0]
	h.syms = append(h.syms, make([]uint16, offs[maxCodeLen+1])...)
	for s, l := range lens {
		if l != 0 {
			h.syms[offs[l]] = uint16(s)
			offs[l]++
		}
	}
	h.fast = [1 << fastBits]uint32{}
	code, idx := 0, 0
	for l := 1; l <= fastBits; l++ {
		for k := 0; k < int(h.count[l]); k++ {
			base := code << (fastBits - l)
			for j := 0; j < 1<<(fastBits-l) && base+j < len(h.fast); j++ {
				h.fast[base+j] = uint32(h.syms[idx])<<8 | uint32(l)
			}
			code++
			idx++
		}
		code <<= 1
	}
}

func (h *huffman) decode(r *bitReader) (int, error) {
	if r.ensure(fastBits) == nil {
		if e := h.fast[r.buf>>(32-fastBits)]; e != 0 {
			l := uint(e & 0xff)
			r.buf <<= l
			r.bits -= l
			return int(e >> 8), nil
		}
	}
	code, first, index := 0, 0, 0
	for l := 1; l <= maxCodeLen; l++ {
		b, err := r.read(1)
		if err != nil {
			return 0, err
		}
		code |= int(b)
		n := int(h.count[l])
		if code-n < first {
			return int(h.syms[index+code-first]), nil
		}
		index += n
		first = (first + n) << 1
		code <<= 1
	}
	return 0, errLZXData
}

// lzxState is what a reset clears.
type lzxState struct {
	r0, r1, r2       uint32
	headerRead       bool
	intelSize        int32
	intelStarted     bool
	blockType        int
	blockRemaining   int
	blockLength      int
	mainLens         []byte
	lenLens          [secondaryLens]byte
	alignedLens      [alignedSyms]byte
	main, length, al huffman
	pre              huffman
}

func (s *lzxState) reset(mainSyms int) {
	*s = lzxState{r0: 1, r1: 1, r2: 1, mainLens: make([]byte, mainSyms), main: s.main, length: s.length, al: s.al, pre: s.pre}
}

// readLens reads tree lengths lens[first:last] as deltas against their
// previous values, through a pretree (LZX §2.5).
func (s *lzxState) readLens(r *bitReader, lens []byte, first, last int) error {
	var pl [pretreeSyms]byte
	for i := range pl {
		v, err := r.read(4)
		if err != nil {
			return err
		}
		pl[i] = byte(v)
	}
	s.pre.build(pl[:])
	for x := first; x < last; {
		z, err := s.pre.decode(r)
		if err != nil {
			return err
		}
		switch z {
		case 17, 18:
			var y uint32
			if z == 17 {
				y, err = r.read(4)
				y += 4
			} else {
				y, err = r.read(5)
				y += 20
			}
			if err != nil {
				return err
			}
			for ; y > 0 && x < last; y-- {
				lens[x] = 0
				x++
			}
		case 19:
			y, err := r.read(1)
			if err != nil {
				return err
			}
			y += 4
			z, err := s.pre.decode(r)
			if err != nil {
				return err
			}
			if z > 16 {
				return errLZXData
			}
			v := (int(lens[x]) - z + 17) % 17
			for ; y > 0 && x < last; y-- {
				lens[x] = byte(v)
				x++
			}
		default:
			lens[x] = byte((int(lens[x]) - z + 17) % 17)
			x++
		}
	}
	return nil
}

// decompressLZX decodes want bytes of a CHM content section. windowBits
// bounds match offsets; resetFrames is the reset interval in frames (0:
// never). It stops with what it has when ctx ends or the input is bad.
func decompressLZX(ctx context.Context, in []byte, want, windowBits, resetFrames int) ([]byte, error) {
	if windowBits < 15 || windowBits > 21 {
		return nil, fmt.Errorf("lzx: window of 2^%d bytes is outside 2^15..2^21", windowBits)
	}
	window := 1 << windowBits
	mainSyms := numChars + 8*positionSlots(windowBits)
	// LZX rarely inflates past 32×; growing a multi-megabyte buffer by
	// doubling was most of the cost of a large help file.
	out := make([]byte, 0, min(want, 32*len(in)+frameSize))
	r := &bitReader{in: in}
	var s lzxState
	s.reset(mainSyms)
	for frame := 0; len(out) < want; frame++ {
		if frame&63 == 0 && ctx.Err() != nil {
			return out, ctx.Err()
		}
		if resetFrames > 0 && frame%resetFrames == 0 {
			if s.blockRemaining != 0 {
				return out, fmt.Errorf("lzx: reset inside a block at frame %d", frame)
			}
			s.reset(mainSyms)
		}
		if !s.headerRead {
			f, err := r.read(1)
			if err != nil {
				return out, err
			}
			if f == 1 {
				hi, err := r.read(16)
				if err != nil {
					return out, err
				}
				lo, err := r.read(16)
				if err != nil {
					return out, err
				}
				s.intelSize = int32(hi<<16 | lo)
			}
			s.headerRead = true
		}
		start := len(out)
		end := min(start+frameSize, want)
		for len(out) < end {
			if s.blockRemaining == 0 {
				if err := s.readBlockHeader(r); err != nil {
					return out, err
				}
			}
			run := min(s.blockRemaining, end-len(out))
			before := len(out)
			var err error
			if s.blockType == 3 {
				if r.i+run > len(r.in) {
					return out, errLZXEOF
				}
				out = append(out, r.in[r.i:r.i+run]...)
				r.i += run
			} else if out, err = s.decodeRun(r, out, run, window); err != nil {
				return out, err
			}
			done := len(out) - before
			if done > s.blockRemaining || len(out) > end {
				return out, fmt.Errorf("lzx: a match runs past its block or frame at %d", before)
			}
			s.blockRemaining -= done
		}
		if s.intelStarted && s.intelSize != 0 && frame < 32768 {
			e8(out[start:], start, s.intelSize)
		}
		if s.blockType != 3 {
			r.align()
		}
	}
	return out, nil
}

// readBlockHeader reads a block's type, size and trees.
func (s *lzxState) readBlockHeader(r *bitReader) error {
	if s.blockType == 3 && s.blockLength&1 == 1 {
		r.i++ // an odd uncompressed block is padded to 16 bits
	}
	if s.blockType == 3 {
		r.buf, r.bits = 0, 0
	}
	t, err := r.read(3)
	if err != nil {
		return err
	}
	hi, err := r.read(16)
	if err != nil {
		return err
	}
	lo, err := r.read(8)
	if err != nil {
		return err
	}
	s.blockType, s.blockLength = int(t), int(hi<<8|lo)
	s.blockRemaining = s.blockLength
	if s.blockLength == 0 {
		return fmt.Errorf("lzx: empty block")
	}
	switch s.blockType {
	case 2:
		for i := range s.alignedLens {
			v, err := r.read(3)
			if err != nil {
				return err
			}
			s.alignedLens[i] = byte(v)
		}
		s.al.build(s.alignedLens[:])
		fallthrough
	case 1:
		if err := s.readLens(r, s.mainLens, 0, numChars); err != nil {
			return err
		}
		if err := s.readLens(r, s.mainLens, numChars, len(s.mainLens)); err != nil {
			return err
		}
		s.main.build(s.mainLens)
		if s.mainLens[0xe8] != 0 {
			s.intelStarted = true
		}
		if err := s.readLens(r, s.lenLens[:], 0, secondaryLens); err != nil {
			return err
		}
		s.length.build(s.lenLens[:])
	case 3:
		s.intelStarted = true
		// 1 to 16 bits of padding to the next 16-bit word (libmspack:
		// a reader already on a boundary skips a whole word).
		if r.bits == 0 {
			if r.i+2 > len(r.in) {
				return errLZXEOF
			}
			r.i += 2
		}
		r.buf, r.bits = 0, 0
		if r.i+12 > len(r.in) {
			return errLZXEOF
		}
		s.r0 = binary.LittleEndian.Uint32(r.in[r.i:])
		s.r1 = binary.LittleEndian.Uint32(r.in[r.i+4:])
		s.r2 = binary.LittleEndian.Uint32(r.in[r.i+8:])
		r.i += 12
	default:
		return fmt.Errorf("lzx: unknown block type %d", s.blockType)
	}
	return nil
}

// decodeRun decodes symbols of a verbatim or aligned block until at least
// run bytes were produced (the last match may run over, into the block's
// remainder).
func (s *lzxState) decodeRun(r *bitReader, out []byte, run, window int) ([]byte, error) {
	target := len(out) + run
	for len(out) < target {
		sym, err := s.main.decode(r)
		if err != nil {
			return out, err
		}
		if sym < numChars {
			out = append(out, byte(sym))
			continue
		}
		sym -= numChars
		length := sym & primaryLens
		if length == primaryLens {
			f, err := s.length.decode(r)
			if err != nil {
				return out, err
			}
			length += f
		}
		length += minMatch
		slot := sym >> 3
		var off uint32
		switch {
		case slot > 2:
			extra := extraBits[min(slot, 50)]
			off = positionBase[min(slot, 50)] - 2
			if s.blockType == 2 && extra >= 3 {
				v, err := r.read(uint(extra - 3))
				if err != nil {
					return out, err
				}
				a, err := s.al.decode(r)
				if err != nil {
					return out, err
				}
				off += v<<3 + uint32(a)
			} else if extra > 0 {
				v, err := r.read(uint(extra))
				if err != nil {
					return out, err
				}
				off += v
			} else {
				off = 1
			}
			s.r2, s.r1, s.r0 = s.r1, s.r0, off
		case slot == 0:
			off = s.r0
		case slot == 1:
			off = s.r1
			s.r1, s.r0 = s.r0, off
		default:
			off = s.r2
			s.r2, s.r0 = s.r0, off
		}
		if off == 0 || int64(off) > int64(len(out)) || int64(off) > int64(window) {
			return out, fmt.Errorf("lzx: match offset %d outside the window at %d", off, len(out))
		}
		from := len(out) - int(off)
		if int(off) >= length {
			out = append(out, out[from:from+length]...)
			continue
		}
		for k := 0; k < length; k++ { // overlapping: a run
			out = append(out, out[from+k])
		}
	}
	return out, nil
}

// e8 undoes the encoder's translation of x86 CALL targets to absolute
// addresses in one frame that starts at output offset pos.
func e8(b []byte, pos int, size int32) {
	if len(b) <= 10 {
		return
	}
	for i := 0; i < len(b)-10; i++ {
		if b[i] != 0xe8 {
			continue
		}
		cur := int32(pos + i)
		abs := int32(binary.LittleEndian.Uint32(b[i+1:]))
		if abs >= -cur && abs < size {
			rel := abs - cur
			if abs < 0 {
				rel = abs + size
			}
			binary.LittleEndian.PutUint32(b[i+1:], uint32(rel))
		}
		i += 4
	}
}
