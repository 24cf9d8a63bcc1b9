package script

import (
	"bytes"
	"errors"
	"strings"
)

// The Windows Script Encoder (screnc.exe) substitutes each character of a
// VBScript or JScript with one of three bytes chosen by the character's
// position. It is not encryption, and legitimate use has all but vanished:
// an encoded script in mail is almost always hiding something.
//
// vbeTable holds, for each encoded byte b (9 and 32..127), the three plain
// characters it can stand for: vbeTable[b-32][k] (b = 9 is stored apart).
// The table is a property of the format (public, e.g. in Didier Stevens's
// public-domain decode-vbe.py).
const vbeTable = "" +
	"\x2e\x2d\x32\x47\x75\x30\x7a\x52\x21\x56\x60\x29\x42\x71\x5b\x6a\x5e\x38\x2f\x49\x33\x26\x5c\x3d\x49\x62\x58\x41\x7d\x3a\x34\x29\x35\x32\x36\x65\x5b\x20\x39\x76\x7c\x5c\x72\x7a\x56\x43\x7f\x73" +
	"\x38\x6b\x66\x39\x63\x4e\x70\x33\x45\x45\x2b\x6b\x68\x68\x62\x71\x51\x59\x4f\x66\x78\x09\x76\x5e\x62\x31\x7d\x44\x64\x4a\x23\x54\x6d\x75\x43\x71\x4a\x4c\x41\x7e\x3a\x60\x4a\x4c\x41\x5e\x7e\x53" +
	"\x40\x4c\x40\x77\x45\x42\x4a\x2c\x27\x61\x2a\x48\x5d\x74\x72\x22\x27\x75\x4b\x37\x31\x6f\x44\x37\x4e\x79\x4d\x3b\x59\x52\x4c\x2f\x22\x50\x6f\x54\x67\x26\x6a\x2a\x72\x47\x7d\x6a\x64\x74\x39\x2d" +
	"\x54\x7b\x20\x2b\x3f\x7f\x2d\x38\x2e\x2c\x77\x4c\x30\x67\x5d\x6e\x53\x7e\x6b\x47\x6c\x66\x34\x6f\x35\x78\x79\x25\x5d\x74\x21\x30\x43\x64\x23\x26\x4d\x5a\x76\x52\x5b\x25\x63\x6c\x24\x3f\x48\x2b" +
	"\x7b\x55\x28\x78\x70\x23\x29\x69\x41\x28\x2e\x34\x73\x4c\x09\x59\x21\x2a\x33\x24\x44\x7f\x4e\x3f\x6d\x50\x77\x55\x09\x3b\x53\x56\x55\x7c\x73\x69\x3a\x35\x61\x5f\x61\x63\x65\x4b\x50\x46\x58\x67" +
	"\x58\x3b\x51\x31\x57\x49\x69\x22\x4f\x6c\x6d\x46\x5a\x4d\x68\x48\x25\x7c\x27\x28\x36\x5c\x46\x70\x3d\x4a\x6e\x24\x32\x7a\x79\x41\x2f\x37\x3d\x5f\x60\x5f\x4b\x51\x4f\x5a\x20\x42\x2c\x36\x65\x57"

const vbeTab = "Wn{"

// vbePick says which of the three columns position i%64 uses.
var vbePick = [64]byte{
	0, 1, 2, 0, 1, 2, 1, 2, 2, 1, 2, 1, 0, 2, 1, 2,
	0, 2, 1, 2, 0, 0, 1, 2, 2, 1, 0, 2, 1, 2, 2, 1,
	0, 0, 2, 1, 2, 1, 2, 0, 2, 0, 0, 1, 2, 0, 2, 1,
	0, 2, 1, 2, 0, 0, 1, 2, 2, 0, 0, 1, 2, 0, 2, 1,
}

var (
	vbeStart = []byte("#@~^")
	vbeEnd   = []byte("^#~@")
)

// errNoEncoded says that no encoded block was found.
var errNoEncoded = errors.New("no #@~^ encoded script block")

// maxVBEOut bounds the decoded text of one file.
const maxVBEOut = 8 << 20

// DecodeVBE decodes every Script Encoder block (#@~^LLLLLL== … CCCCCC==^#~@)
// in b and returns the plain script text. A truncated block is decoded as
// far as it goes.
func DecodeVBE(b []byte) (string, error) {
	var out strings.Builder
	found := false
	for {
		i := bytes.Index(b, vbeStart)
		if i < 0 {
			break
		}
		found = true
		b = b[i+len(vbeStart):]
		// 6 characters of encoded length, then "==".
		if len(b) >= 8 && b[6] == '=' && b[7] == '=' {
			b = b[8:]
		}
		end := bytes.Index(b, vbeEnd)
		body := b
		if end >= 0 {
			body = b[:end]
			b = b[end+len(vbeEnd):]
		} else {
			b = nil
		}
		// The block ends with 6 characters of checksum and "==".
		if end >= 0 && len(body) >= 8 && bytes.HasSuffix(body, []byte("==")) {
			body = body[:len(body)-8]
		}
		decodeVBEBlock(&out, body)
		if out.Len() > maxVBEOut {
			break
		}
		out.WriteByte('\n')
	}
	if !found {
		return "", errNoEncoded
	}
	return out.String(), nil
}

func decodeVBEBlock(out *strings.Builder, body []byte) {
	idx := -1
	for i := 0; i < len(body) && out.Len() <= maxVBEOut; i++ {
		c := body[i]
		if c == '@' && i+1 < len(body) {
			// Escapes for characters the encoder never emits raw.
			var r byte
			switch body[i+1] {
			case '&':
				r = '\n'
			case '#':
				r = '\r'
			case '*':
				r = '>'
			case '!':
				r = '<'
			case '$':
				r = '@'
			}
			if r != 0 {
				i++
				idx++
				out.WriteByte(r)
				continue
			}
		}
		if c < 128 {
			idx++
		}
		switch {
		case c == 9:
			out.WriteByte(vbeTab[vbePick[idx%64]])
		case c >= 32 && c < 128 && c != '<' && c != '>' && c != '@':
			out.WriteByte(vbeTable[int(c-32)*3+int(vbePick[idx%64])])
		default:
			out.WriteByte(c)
		}
	}
}

// EncodeVBE is the inverse of DecodeVBE for ASCII text: it produces a
// Script Encoder block. The corpus generator uses it to build encoded
// samples; the checksum is not computed (the decoder ignores it).
func EncodeVBE(plain string) string {
	var out strings.Builder
	out.WriteString("#@~^AAAAAA==")
	idx := -1
	for i := 0; i < len(plain); i++ {
		c := plain[i]
		idx++
		switch c {
		case '\n':
			out.WriteString("@&")
			continue
		case '\r':
			out.WriteString("@#")
			continue
		case '>':
			out.WriteString("@*")
			continue
		case '<':
			out.WriteString("@!")
			continue
		case '@':
			out.WriteString("@$")
			continue
		}
		col := vbePick[idx%64]
		enc := byte(0)
		if vbeTab[col] == c {
			enc = 9
		}
		for b := 32; b < 128 && enc == 0; b++ {
			if b == '<' || b == '>' || b == '@' {
				continue
			}
			if vbeTable[(b-32)*3+int(col)] == c {
				enc = byte(b)
			}
		}
		if enc == 0 {
			enc = c // not encodable: left as is (the decoder passes it through)
		}
		out.WriteByte(enc)
	}
	out.WriteString("AAAAAA==^#~@")
	return out.String()
}
