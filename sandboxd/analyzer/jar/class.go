package jar

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// classInfo is what the judge needs from one class file's constant pool:
// the classes it names, the methods and fields it references (as
// "java/lang/Runtime.exec") and its string literals.
type classInfo struct {
	name    string
	classes []string
	refs    []string
	strs    []string
}

// Constant pool tags (JVMS §4.4).
const (
	tagUtf8          = 1
	tagInteger       = 3
	tagFloat         = 4
	tagLong          = 5
	tagDouble        = 6
	tagClass         = 7
	tagString        = 8
	tagFieldref      = 9
	tagMethodref     = 10
	tagInterfaceRef  = 11
	tagNameAndType   = 12
	tagMethodHandle  = 15
	tagMethodType    = 16
	tagDynamic       = 17
	tagInvokeDynamic = 18
	tagModule        = 19
	tagPackage       = 20
)

var errNotClass = errors.New("not a class file")

// parseClass reads the constant pool of a class file (JVMS §4.1, §4.4).
// Only the pool is read: it names every class, method and literal the
// code can use, and nothing past it changes what the class can call.
func parseClass(b []byte) (*classInfo, error) {
	if len(b) < 10 || binary.BigEndian.Uint32(b) != 0xCAFEBABE {
		return nil, errNotClass
	}
	n := int(binary.BigEndian.Uint16(b[8:]))
	type entry struct {
		tag  byte
		a, b uint16
		utf  string
	}
	pool := make([]entry, n)
	off := 10
	need := func(k int) error {
		if off+k > len(b) {
			return fmt.Errorf("class file: constant pool runs past the end (entry at %d)", off)
		}
		return nil
	}
	for i := 1; i < n; i++ {
		if err := need(1); err != nil {
			return nil, err
		}
		tag := b[off]
		off++
		e := entry{tag: tag}
		switch tag {
		case tagUtf8:
			if err := need(2); err != nil {
				return nil, err
			}
			l := int(binary.BigEndian.Uint16(b[off:]))
			off += 2
			if err := need(l); err != nil {
				return nil, err
			}
			e.utf = decodeModifiedUTF8(b[off : off+l])
			off += l
		case tagInteger, tagFloat:
			if err := need(4); err != nil {
				return nil, err
			}
			off += 4
		case tagLong, tagDouble:
			if err := need(8); err != nil {
				return nil, err
			}
			off += 8
			pool[i] = e
			i++ // takes two slots
			continue
		case tagClass, tagString, tagMethodType, tagModule, tagPackage:
			if err := need(2); err != nil {
				return nil, err
			}
			e.a = binary.BigEndian.Uint16(b[off:])
			off += 2
		case tagFieldref, tagMethodref, tagInterfaceRef, tagNameAndType, tagDynamic, tagInvokeDynamic:
			if err := need(4); err != nil {
				return nil, err
			}
			e.a, e.b = binary.BigEndian.Uint16(b[off:]), binary.BigEndian.Uint16(b[off+2:])
			off += 4
		case tagMethodHandle:
			if err := need(3); err != nil {
				return nil, err
			}
			e.a = binary.BigEndian.Uint16(b[off+1:])
			off += 3
		default:
			return nil, fmt.Errorf("class file: unknown constant pool tag %d at entry %d", tag, i)
		}
		pool[i] = e
	}
	utf := func(i uint16) string {
		if int(i) < len(pool) && pool[i].tag == tagUtf8 {
			return pool[i].utf
		}
		return ""
	}
	class := func(i uint16) string {
		if int(i) < len(pool) && pool[i].tag == tagClass {
			return utf(pool[i].a)
		}
		return ""
	}
	ci := &classInfo{}
	for _, e := range pool {
		switch e.tag {
		case tagClass:
			ci.classes = append(ci.classes, utf(e.a))
		case tagString:
			ci.strs = append(ci.strs, utf(e.a))
		case tagFieldref, tagMethodref, tagInterfaceRef:
			if int(e.b) < len(pool) && pool[e.b].tag == tagNameAndType {
				ci.refs = append(ci.refs, class(e.a)+"."+utf(pool[e.b].a))
			}
		}
	}
	if off+6 <= len(b) {
		ci.name = class(binary.BigEndian.Uint16(b[off+2:]))
	}
	return ci, nil
}

// decodeModifiedUTF8 decodes Java's modified UTF-8 (NUL as C0 80,
// supplementary characters as surrogate pairs); anything malformed
// becomes U+FFFD rather than an error, since only the text matters.
func decodeModifiedUTF8(b []byte) string {
	out := make([]rune, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c < 0x80:
			out = append(out, rune(c))
			i++
		case c&0xe0 == 0xc0 && i+1 < len(b):
			out = append(out, rune(c&0x1f)<<6|rune(b[i+1]&0x3f))
			i += 2
		case c&0xf0 == 0xe0 && i+2 < len(b):
			out = append(out, rune(c&0x0f)<<12|rune(b[i+1]&0x3f)<<6|rune(b[i+2]&0x3f))
			i += 3
		default:
			out = append(out, 0xfffd)
			i++
		}
	}
	return string(out)
}
