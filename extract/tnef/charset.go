package tnef

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// defaultCodePage is what 8-bit strings are read as when the stream names
// no code page, or one this package does not know.
const defaultCodePage = 1252

// codePages maps the Windows code page numbers that occur in
// attOemCodepage to decoders. 65001 (UTF-8) is handled separately.
var codePages = map[int]encoding.Encoding{
	437:   charmap.CodePage437,
	850:   charmap.CodePage850,
	852:   charmap.CodePage852,
	855:   charmap.CodePage855,
	858:   charmap.CodePage858,
	860:   charmap.CodePage860,
	862:   charmap.CodePage862,
	863:   charmap.CodePage863,
	865:   charmap.CodePage865,
	866:   charmap.CodePage866,
	874:   charmap.Windows874,
	932:   japanese.ShiftJIS,
	936:   simplifiedchinese.GBK,
	949:   korean.EUCKR,
	950:   traditionalchinese.Big5,
	1250:  charmap.Windows1250,
	1251:  charmap.Windows1251,
	1252:  charmap.Windows1252,
	1253:  charmap.Windows1253,
	1254:  charmap.Windows1254,
	1255:  charmap.Windows1255,
	1256:  charmap.Windows1256,
	1257:  charmap.Windows1257,
	1258:  charmap.Windows1258,
	10000: charmap.Macintosh,
	20866: charmap.KOI8R,
	21866: charmap.KOI8U,
	28591: charmap.ISO8859_1,
	28592: charmap.ISO8859_2,
	28593: charmap.ISO8859_3,
	28594: charmap.ISO8859_4,
	28595: charmap.ISO8859_5,
	28596: charmap.ISO8859_6,
	28597: charmap.ISO8859_7,
	28598: charmap.ISO8859_8,
	28599: charmap.ISO8859_9,
	28603: charmap.ISO8859_13,
	28605: charmap.ISO8859_15,
	54936: simplifiedchinese.GB18030,
}

// knownCodePage reports whether decode8 has a table for cp.
func knownCodePage(cp int) bool {
	_, ok := codePages[cp]
	return ok || cp == 65001
}

// decode8 turns an 8-bit string in code page cp into UTF-8, dropping the
// NUL terminator (and anything after it: writers pad with NULs).
func decode8(b []byte, cp int) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if isASCII(b) {
		return string(b)
	}
	if cp == 65001 && utf8.Valid(b) {
		return string(b)
	}
	enc, ok := codePages[cp]
	if !ok {
		enc = codePages[defaultCodePage]
	}
	s, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		// Multi-byte code pages can fail on broken input; Latin-1 never
		// does and keeps every byte visible.
		s, _ = charmap.ISO8859_1.NewDecoder().Bytes(b)
	}
	return string(s)
}

// decode16 turns a UTF-16LE string into UTF-8, dropping the NUL terminator.
// An odd trailing byte is ignored; unpaired surrogates become U+FFFD.
func decode16(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := uint16(b[i]) | uint16(b[i+1])<<8
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}
