package tnef

import (
	"encoding/binary"
	"fmt"
)

// MAPI property types ([MS-OXCDATA] section 2.11.1). The multi-valued
// variant of each is the type with mvFlag set.
const (
	ptNull     = 0x0001
	ptI2       = 0x0002
	ptI4       = 0x0003
	ptR4       = 0x0004
	ptR8       = 0x0005
	ptCurrency = 0x0006
	ptAppTime  = 0x0007
	ptError    = 0x000A
	ptBoolean  = 0x000B
	ptObject   = 0x000D
	ptI8       = 0x0014
	ptString8  = 0x001E
	ptUnicode  = 0x001F
	ptSysTime  = 0x0040
	ptCLSID    = 0x0048
	ptBinary   = 0x0102
	mvFlag     = 0x1000
)

// MAPI property ids this package looks at.
const (
	prMessageClass      = 0x001A
	prBody              = 0x1000
	prRTFCompressed     = 0x1009
	prHTML              = 0x1013
	prDisplayName       = 0x3001
	prAttachData        = 0x3701 // PR_ATTACH_DATA_BIN or _OBJ, by type
	prAttachFilename    = 0x3704
	prAttachMethod      = 0x3705
	prAttachLongName    = 0x3707
	prAttachMIMETag     = 0x370E
	firstNamedProperty  = 0x8000
	namedKindID         = 0
	namedKindString     = 1
	variableWidth       = -1
	unsupportedPropType = -2
)

// Interface ids that prefix a PT_OBJECT value, in their on-disk
// (little-endian GUID) byte order.
var (
	// IID_IMessage {00020307-0000-0000-C000-000000000046}: an embedded
	// message, encoded as a nested TNEF stream.
	iidIMessage = [16]byte{0x07, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46}
)

// prop is one MAPI property from an attMsgProps or attAttachment list.
// Values alias the input.
type prop struct {
	id     uint16
	typ    uint16 // base type, without mvFlag
	mv     bool
	named  bool
	values [][]byte // fixed: the value bytes; variable: the bytes without padding
}

// fixedWidth is the encoded width of one value of a fixed-width type (16-bit
// values are padded to 4), variableWidth for counted types, or
// unsupportedPropType when the width is unknowable.
func fixedWidth(typ uint16) int {
	switch typ {
	case ptNull:
		return 0
	case ptI2, ptI4, ptR4, ptError, ptBoolean:
		return 4
	case ptR8, ptCurrency, ptAppTime, ptI8, ptSysTime:
		return 8
	case ptCLSID:
		return 16
	case ptString8, ptUnicode, ptBinary, ptObject:
		return variableWidth
	}
	return unsupportedPropType
}

// cursor reads little-endian fields from b, refusing to read past its end.
type cursor struct {
	b   []byte
	off int
}

func (c *cursor) left() int { return len(c.b) - c.off }

func (c *cursor) u16() (uint16, bool) {
	if c.left() < 2 {
		return 0, false
	}
	v := binary.LittleEndian.Uint16(c.b[c.off:])
	c.off += 2
	return v, true
}

func (c *cursor) u32() (uint32, bool) {
	if c.left() < 4 {
		return 0, false
	}
	v := binary.LittleEndian.Uint32(c.b[c.off:])
	c.off += 4
	return v, true
}

// take returns the next n bytes. n comes from the input, so it is compared
// as uint64 before any conversion can wrap.
func (c *cursor) take(n uint32) ([]byte, bool) {
	if uint64(n) > uint64(c.left()) {
		return nil, false
	}
	v := c.b[c.off : c.off+int(n) : c.off+int(n)]
	c.off += int(n)
	return v, true
}

// skipPad skips the padding that rounds a value of length n up to 4 bytes;
// a stream that ends inside the padding is tolerated.
func (c *cursor) skipPad(n uint32) {
	pad := int((4 - n%4) % 4)
	c.off += min(pad, c.left())
}

// parseProps reads a counted property list. It returns the properties read
// before any fault, and the fault ("" when the list was read whole).
func parseProps(b []byte) ([]prop, string) {
	c := &cursor{b: b}
	count, ok := c.u32()
	if !ok {
		return nil, "property list: no property count"
	}
	var props []prop
	for i := uint32(0); i < count; i++ {
		p, problem := parseProp(c)
		if problem != "" {
			return props, fmt.Sprintf("property %d of %d at offset %d: %s", i+1, count, c.off, problem)
		}
		props = append(props, p)
	}
	if c.left() > 0 {
		return props, fmt.Sprintf("property list: %d bytes after the last of %d properties", c.left(), count)
	}
	return props, ""
}

func parseProp(c *cursor) (prop, string) {
	typ, ok1 := c.u16()
	id, ok2 := c.u16()
	if !ok1 || !ok2 {
		return prop{}, "truncated property tag"
	}
	p := prop{id: id, typ: typ &^ mvFlag, mv: typ&mvFlag != 0}
	if id >= firstNamedProperty {
		p.named = true
		if _, ok := c.take(16); !ok {
			return p, "truncated named property GUID"
		}
		kind, ok := c.u32()
		if !ok {
			return p, "truncated named property kind"
		}
		switch kind {
		case namedKindID:
			if _, ok := c.u32(); !ok {
				return p, "truncated named property id"
			}
		case namedKindString:
			n, ok := c.u32()
			if !ok {
				return p, "truncated named property name length"
			}
			if _, ok := c.take(n); !ok {
				return p, fmt.Sprintf("named property name length %d exceeds the %d bytes left", n, c.left())
			}
			c.skipPad(n)
		default:
			return p, fmt.Sprintf("unknown named property kind %d", kind)
		}
	}
	width := fixedWidth(p.typ)
	if width == unsupportedPropType {
		// The width of an unknown type is unknowable, so nothing after it
		// can be located.
		return p, fmt.Sprintf("unsupported property type 0x%04x (id 0x%04x)", typ, id)
	}
	n := uint32(1)
	if p.mv || width == variableWidth {
		var ok bool
		if n, ok = c.u32(); !ok {
			return p, "truncated value count"
		}
		// Every value takes at least 4 bytes (a length, or a padded fixed
		// value), so a larger count is a lie; refusing it also bounds the
		// loop below on zero-width types.
		if uint64(n)*4 > uint64(c.left()) {
			return p, fmt.Sprintf("value count %d exceeds the %d bytes left", n, c.left())
		}
	}
	for j := uint32(0); j < n; j++ {
		if width >= 0 {
			v, ok := c.take(uint32(width))
			if !ok {
				return p, "truncated fixed-width value"
			}
			p.values = append(p.values, v)
			continue
		}
		l, ok := c.u32()
		if !ok {
			return p, "truncated value length"
		}
		v, ok := c.take(l)
		if !ok {
			return p, fmt.Sprintf("value length %d exceeds the %d bytes left", l, c.left())
		}
		c.skipPad(l)
		p.values = append(p.values, v)
	}
	return p, ""
}

// first returns the property's first value, or nil.
func (p prop) first() []byte {
	if len(p.values) == 0 {
		return nil
	}
	return p.values[0]
}

// int32Value reads an integer property (PT_I2 or PT_I4).
func (p prop) int32Value() (int, bool) {
	v := p.first()
	switch {
	case p.typ == ptI4 && len(v) >= 4:
		return int(int32(binary.LittleEndian.Uint32(v))), true
	case p.typ == ptI2 && len(v) >= 2:
		return int(int16(binary.LittleEndian.Uint16(v))), true
	}
	return 0, false
}

// text is a string property's first value kept raw, with how to decode it
// once the stream's code page is known.
type text struct {
	raw     []byte
	unicode bool
	set     bool
}

func (p prop) textValue() (text, bool) {
	switch p.typ {
	case ptString8:
		return text{raw: p.first(), set: true}, true
	case ptUnicode:
		return text{raw: p.first(), unicode: true, set: true}, true
	}
	return text{}, false
}

func (t text) decode(cp int) string {
	if t.unicode {
		return decode16(t.raw)
	}
	return decode8(t.raw, cp)
}
