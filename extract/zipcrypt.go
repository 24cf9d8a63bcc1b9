package extract

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/aes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"hash"
	"hash/crc32"
	"io"
)

// Decryption of password-protected zip members: the traditional PKWARE
// cipher ("ZipCrypto", APPNOTE 6.1) and WinZip's AES (AE-1/AE-2, method
// 99 with extra field 0x9901). Go's archive/zip reads neither, and the
// forks that do are unmaintained; both are small and fully specified.

// errWrongPassword is what a member says when the password does not open
// it. Its text names the password so isEncryptionError files it as
// encrypted, never as corrupt.
var errWrongPassword = errors.New("zip: wrong password or damaged encrypted data")

// openEncrypted returns the plain bytes of an encrypted member as a
// reader that fails with errWrongPassword at the end when the check
// (CRC-32 or HMAC) does not hold.
func openEncrypted(f *zip.File, password string) (io.Reader, error) {
	raw, err := f.OpenRaw()
	if err != nil {
		return nil, err
	}
	method := f.Method
	var plain io.Reader
	if f.Method == 99 {
		ae, ok := aesExtra(f.Extra)
		if !ok {
			return nil, errors.New("zip: AES member without its 0x9901 extra field")
		}
		method = ae.method
		plain, err = aesReader(raw, int64(f.CompressedSize64), ae, password)
	} else {
		check := byte(f.CRC32 >> 24)
		if f.Flags&0x8 != 0 {
			check = byte(f.ModifiedTime >> 8) //nolint:staticcheck // the cipher's check byte is the DOS time
		}
		plain, err = zipCryptoReader(raw, password, check)
	}
	if err != nil {
		return nil, err
	}
	var body io.Reader
	switch method {
	case zip.Store:
		body = plain
	case zip.Deflate:
		body = flate.NewReader(plain)
	default:
		return nil, errors.New("zip: encrypted member uses a compression method this reader does not support")
	}
	if f.Method == 99 && binary.LittleEndian.Uint16(aesVendorVersion(f.Extra)) == 2 {
		return body, nil // AE-2 stores no CRC; the HMAC checked the bytes
	}
	return &crcCheck{r: body, want: f.CRC32, h: crc32.NewIEEE()}, nil
}

// zipCryptoReader undoes the traditional PKWARE cipher: three keys
// updated with CRC-32 per plain byte; the 12-byte header's last byte must
// equal check (1 in 256 wrong passwords pass it: the CRC catches those).
func zipCryptoReader(r io.Reader, password string, check byte) (io.Reader, error) {
	z := &zipCrypto{r: r, k: [3]uint32{0x12345678, 0x23456789, 0x34567890}}
	for i := 0; i < len(password); i++ {
		z.update(password[i])
	}
	var hdr [12]byte
	if _, err := io.ReadFull(z, hdr[:]); err != nil {
		return nil, errWrongPassword
	}
	if hdr[11] != check {
		return nil, errWrongPassword
	}
	return z, nil
}

type zipCrypto struct {
	r io.Reader
	k [3]uint32
}

func crcByte(crc uint32, b byte) uint32 { return crc32.IEEETable[byte(crc)^b] ^ crc>>8 }

func (z *zipCrypto) update(b byte) {
	z.k[0] = crcByte(z.k[0], b)
	z.k[1] = (z.k[1]+z.k[0]&0xff)*134775813 + 1
	z.k[2] = crcByte(z.k[2], byte(z.k[1]>>24))
}

func (z *zipCrypto) Read(p []byte) (int, error) {
	n, err := z.r.Read(p)
	for i := 0; i < n; i++ {
		t := uint16(z.k[2] | 2)
		p[i] ^= byte((uint32(t) * uint32(t^1)) >> 8)
		z.update(p[i])
	}
	return n, err
}

// aesInfo is WinZip's extra field 0x9901.
type aesInfo struct {
	strength byte // 1, 2, 3: AES-128, -192, -256
	method   uint16
}

func findExtra(extra []byte, id uint16) []byte {
	for len(extra) >= 4 {
		tag, size := binary.LittleEndian.Uint16(extra), int(binary.LittleEndian.Uint16(extra[2:]))
		if 4+size > len(extra) {
			return nil
		}
		if tag == id {
			return extra[4 : 4+size]
		}
		extra = extra[4+size:]
	}
	return nil
}

func aesExtra(extra []byte) (aesInfo, bool) {
	b := findExtra(extra, 0x9901)
	if len(b) < 7 || b[2] != 'A' || b[3] != 'E' || b[4] < 1 || b[4] > 3 {
		return aesInfo{}, false
	}
	return aesInfo{strength: b[4], method: binary.LittleEndian.Uint16(b[5:])}, true
}

func aesVendorVersion(extra []byte) []byte {
	if b := findExtra(extra, 0x9901); len(b) >= 2 {
		return b[:2]
	}
	return []byte{0, 0}
}

// aesReader checks the password verifier, then decrypts WinZip AES-CTR
// (little-endian counter from 1) while the HMAC-SHA1 of the cipher text
// is computed; at the end the first 10 bytes of the HMAC must match.
func aesReader(r io.Reader, size int64, ae aesInfo, password string) (io.Reader, error) {
	keyLen := 8 + 8*int(ae.strength) // 16, 24, 32
	saltLen := keyLen / 2
	if size < int64(saltLen+2+10) {
		return nil, errWrongPassword
	}
	head := make([]byte, saltLen+2)
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, errWrongPassword
	}
	dk, err := pbkdf2.Key(sha1.New, password, head[:saltLen], 1000, 2*keyLen+2)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(dk[2*keyLen:], head[saltLen:]) {
		return nil, errWrongPassword
	}
	block, err := aes.NewCipher(dk[:keyLen])
	if err != nil {
		return nil, err
	}
	body := size - int64(saltLen+2+10)
	return &aesCTR{
		r: io.LimitReader(r, body), tail: r, block: block, mac: hmac.New(sha1.New, dk[keyLen:2*keyLen]),
		ctr: [16]byte{1},
	}, nil
}

type aesCTR struct {
	r, tail io.Reader
	block   interface{ Encrypt(dst, src []byte) }
	mac     hash.Hash
	ctr     [16]byte
	stream  [16]byte
	used    int // bytes of stream consumed
	started bool
}

func (a *aesCTR) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	a.mac.Write(p[:n])
	for i := 0; i < n; i++ {
		if !a.started || a.used == 16 {
			a.block.Encrypt(a.stream[:], a.ctr[:])
			for j := range a.ctr { // little-endian increment
				a.ctr[j]++
				if a.ctr[j] != 0 {
					break
				}
			}
			a.used, a.started = 0, true
		}
		p[i] ^= a.stream[a.used]
		a.used++
	}
	if err == io.EOF {
		var auth [10]byte
		if _, terr := io.ReadFull(a.tail, auth[:]); terr != nil || !hmac.Equal(auth[:], a.mac.Sum(nil)[:10]) {
			return n, errWrongPassword
		}
	}
	return n, err
}

// crcCheck fails the read at the end when the plain bytes do not have the
// CRC-32 the directory declares: with ZipCrypto that is the only sign of
// a wrong password that passed the header's check byte.
type crcCheck struct {
	r    io.Reader
	want uint32
	h    hash.Hash32
}

func (c *crcCheck) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	if err == io.EOF && c.h.Sum32() != c.want {
		return n, errWrongPassword
	}
	return n, err
}
