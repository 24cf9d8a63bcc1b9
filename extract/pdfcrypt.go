package extract

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"crypto/rc4"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"math/big"
	"regexp"
	"strconv"
)

// A PDF that needs a password to open (a "user password") hides its
// whole content from the filter while its reader asks the recipient for
// the password the mail gives. A PDF encrypted with an empty user password
// (owner restrictions only: print or copy protection, common on
// statements) opens without asking, and is no more hidden than any PDF.
// pdfUserPassword tells the two apart with the standard security handler's
// own check (ISO 32000-2 §7.6.4.4: Algorithms 2, 2.A, 2.B, 6 and 11).

var (
	encryptRef = regexp.MustCompile(`/Encrypt\s+(\d+)\s+(\d+)\s+R`)
	idArray    = regexp.MustCompile(`/ID\s*\[\s*(<[0-9A-Fa-f\s]*>|\()`)
)

// pdfUserPassword reports whether data is a PDF that a password protects
// from being opened, and whether password (may be "") is the one. It says
// false for anything it cannot read (the PDF analyzer judges those).
func pdfUserPassword(data []byte, password string) (protected, opens bool) {
	m := encryptRef.FindAllSubmatch(data, -1)
	if m == nil {
		return false, false
	}
	last := m[len(m)-1] // the newest trailer wins
	obj := []byte(string(last[1]) + " " + string(last[2]) + " obj")
	i := bytes.LastIndex(data, obj)
	if i < 0 {
		return false, false
	}
	d := pdfDict(data[i+len(obj):])
	if d == nil || string(d["Filter"]) != "Standard" {
		return false, false
	}
	r, _ := strconv.Atoi(string(d["R"]))
	o, u := d["O"], d["U"]
	var id []byte
	if im := idArray.FindAllSubmatchIndex(data, -1); im != nil {
		s, _ := pdfString(data[im[len(im)-1][2]:])
		id = s
	}
	check := func(pw string) bool {
		switch {
		case r >= 2 && r <= 4:
			p, _ := strconv.ParseInt(string(d["P"]), 10, 64)
			n := 5
			if r >= 3 {
				if l, err := strconv.Atoi(string(d["Length"])); err == nil && l >= 40 && l <= 128 && l%8 == 0 {
					n = l / 8
				} else {
					n = 16
				}
			}
			return pdfCheckRC4(pw, o, u, uint32(int32(p)), id, r, n, string(d["EncryptMetadata"]) != "false")
		case r == 5 || r == 6:
			return len(u) >= 48 && bytes.Equal(pdfHash2B(r, []byte(pw), u[32:40], nil), u[:32])
		}
		return false
	}
	if r < 2 || r > 6 || len(u) < 32 || len(o) < 32 {
		return false, false
	}
	if check("") {
		return false, false // opens without asking
	}
	return true, password != "" && check(password)
}

var pdfPad = []byte{0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41, 0x64, 0x00, 0x4E, 0x56, 0xFF, 0xFA, 0x01, 0x08,
	0x2E, 0x2E, 0x00, 0xB6, 0xD0, 0x68, 0x3E, 0x80, 0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A}

// pdfCheckRC4 is Algorithms 2 and 6 (revisions 2–4).
func pdfCheckRC4(pw string, o, u []byte, p uint32, id []byte, r, n int, meta bool) bool {
	padded := append([]byte(pw), pdfPad...)[:32]
	h := md5.New()
	h.Write(padded)
	h.Write(o[:32])
	h.Write(binary.LittleEndian.AppendUint32(nil, p))
	h.Write(id)
	if r >= 4 && !meta {
		h.Write([]byte{0xff, 0xff, 0xff, 0xff})
	}
	key := h.Sum(nil)
	if r >= 3 {
		for i := 0; i < 50; i++ {
			s := md5.Sum(key[:n])
			key = s[:]
		}
	}
	key = key[:n]
	if r == 2 {
		c, _ := rc4.NewCipher(key)
		out := make([]byte, 32)
		c.XORKeyStream(out, pdfPad)
		return bytes.Equal(out, u[:32])
	}
	h = md5.New()
	h.Write(pdfPad)
	h.Write(id)
	out := h.Sum(nil)
	k := make([]byte, len(key))
	for i := 0; i < 20; i++ {
		for j := range key {
			k[j] = key[j] ^ byte(i)
		}
		c, _ := rc4.NewCipher(k)
		c.XORKeyStream(out, out)
	}
	return bytes.Equal(out, u[:16])
}

// pdfHash2B is Algorithm 2.B (revision 6), or plain SHA-256 (revision 5).
func pdfHash2B(r int, pw, salt, udata []byte) []byte {
	if len(pw) > 127 {
		pw = pw[:127]
	}
	h := sha256.New()
	h.Write(pw)
	h.Write(salt)
	h.Write(udata)
	k := h.Sum(nil)
	if r == 5 {
		return k
	}
	for round := 0; ; round++ {
		k1 := bytes.Repeat(append(append(append([]byte{}, pw...), k...), udata...), 64)
		b, _ := aes.NewCipher(k[:16])
		e := make([]byte, len(k1))
		cipher.NewCBCEncrypter(b, k[16:32]).CryptBlocks(e, k1)
		switch new(big.Int).Mod(new(big.Int).SetBytes(e[:16]), big.NewInt(3)).Int64() {
		case 0:
			s := sha256.Sum256(e)
			k = s[:]
		case 1:
			s := sha512.Sum384(e)
			k = s[:]
		default:
			s := sha512.Sum512(e)
			k = s[:]
		}
		if round >= 63 && int(e[len(e)-1]) <= round-32 {
			return k[:32]
		}
		if round > 1000 {
			return k[:32] // never reached for well-formed input; bounds a loop
		}
	}
}

// pdfDict reads the keys of the dictionary at the start of b that the
// security handler needs: names, numbers, booleans and strings as bytes.
func pdfDict(b []byte) map[string][]byte {
	i := bytes.Index(b, []byte("<<"))
	if i < 0 || i > 64 {
		return nil
	}
	b = b[i+2:]
	out := map[string][]byte{}
	depth := 0
	for len(b) > 0 && len(out) < 64 {
		switch c := b[0]; {
		case c == '>' && len(b) > 1 && b[1] == '>':
			if depth == 0 {
				return out
			}
			depth--
			b = b[2:]
		case c == '<' && len(b) > 1 && b[1] == '<':
			depth++
			b = b[2:]
		case c == '/' && depth == 0:
			j := 1
			for j < len(b) && !bytes.ContainsRune([]byte(" \t\r\n/<>[]()"), rune(b[j])) {
				j++
			}
			key := string(b[1:j])
			b = bytes.TrimLeft(b[j:], " \t\r\n")
			if len(b) == 0 {
				return out
			}
			switch {
			case b[0] == '(' || b[0] == '<' && (len(b) < 2 || b[1] != '<'):
				s, n := pdfString(b)
				out[key] = s
				b = b[n:]
			case b[0] == '/':
				k := 1
				for k < len(b) && !bytes.ContainsRune([]byte(" \t\r\n/<>[]()"), rune(b[k])) {
					k++
				}
				out[key] = b[1:k]
				b = b[k:]
			case b[0] == '<' || b[0] == '[':
				// a nested dictionary or array: skipped by the loop
			default:
				k := 0
				for k < len(b) && !bytes.ContainsRune([]byte(" \t\r\n/<>[]()"), rune(b[k])) {
					k++
				}
				out[key] = b[:k]
				b = b[k:]
			}
		case c == '(':
			_, n := pdfString(b)
			b = b[n:]
		default:
			b = b[1:]
		}
	}
	return nil
}

// pdfString reads a literal "(...)" or hex "<...>" string at the start of
// b and returns its bytes and how many input bytes it took.
func pdfString(b []byte) ([]byte, int) {
	if len(b) == 0 {
		return nil, 0
	}
	if b[0] == '<' {
		end := bytes.IndexByte(b, '>')
		if end < 0 {
			return nil, len(b)
		}
		h := bytes.Map(func(r rune) rune {
			if bytes.ContainsRune([]byte("0123456789abcdefABCDEF"), r) {
				return r
			}
			return -1
		}, b[1:end])
		if len(h)%2 == 1 {
			h = append(h, '0')
		}
		out, _ := hex.DecodeString(string(h))
		return out, end + 1
	}
	var out []byte
	depth := 0
	for i := 1; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '\\' && i+1 < len(b):
			i++
			switch e := b[i]; e {
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case '\r':
				if i+1 < len(b) && b[i+1] == '\n' {
					i++
				}
			case '\n':
			default:
				if e >= '0' && e <= '7' {
					v, k := 0, 0
					for ; k < 3 && i+k < len(b) && b[i+k] >= '0' && b[i+k] <= '7'; k++ {
						v = v*8 + int(b[i+k]-'0')
					}
					out = append(out, byte(v))
					i += k - 1
				} else {
					out = append(out, e)
				}
			}
		case c == '(':
			depth++
			out = append(out, c)
		case c == ')':
			if depth == 0 {
				return out, i + 1
			}
			depth--
			out = append(out, c)
		default:
			out = append(out, c)
		}
	}
	return out, len(b)
}
