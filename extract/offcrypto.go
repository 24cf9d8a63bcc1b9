package extract

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"strings"
	"unicode/utf16"

	"github.com/richardlehane/mscfb"
)

// Password-protected Office documents (MS-OFFCRYPTO). An encrypted
// .docx/.xlsx/.pptx is a compound file holding an EncryptionInfo stream
// and the encrypted zip package; the walker treats it as a container of
// one file, the decrypted document, which it opens with the message's
// password candidates like an archive. "Agile" encryption (Office 2010+,
// AES with SHA-512 and 100,000 rounds) and "Standard" encryption (Office
// 2007, AES-128 ECB with SHA-1 and 50,000 rounds) are decrypted; the
// legacy RC4 schemes of .doc/.xls are detected and stay unscannable.

var (
	cfbMagic         = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	encryptedPackage = utf16Bytes("EncryptedPackage")
)

func utf16Bytes(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// isEncryptedOffice reports a compound file that carries an encrypted
// OOXML package.
func isEncryptedOffice(data []byte) bool {
	return bytes.HasPrefix(data, cfbMagic) && bytes.Contains(data, encryptedPackage)
}

// maxPackage bounds the encrypted package read from a compound file.
const maxPackage = 64 << 20

// openOffice lists the decrypted document inside an encrypted Office file,
// once a password is being tried.
func openOffice(w *walker, at string, depth int, data []byte) containerFailure {
	locked := containerFailure{problem: "Office document is password-protected (encrypted package)", flags: Flags{Encrypted: true}}
	if w.password == "" {
		return locked
	}
	info, pkg, err := officeStreams(data)
	if err != nil {
		return containerFailure{problem: "encrypted Office document: " + err.Error(), flags: Flags{Corrupt: true}}
	}
	plain, err := decryptOffice(info, pkg, w.password)
	if err != nil {
		return locked
	}
	name := path.Base(at)
	if name == "" || name == "." {
		name = "document"
	}
	w.blob(blobInfo{path: childPath(at, safeName(name, "document")), name: name, depth: depth + 1}, plain, Flags{}, "")
	return containerFailure{}
}

// officeStreams reads EncryptionInfo and EncryptedPackage.
func officeStreams(data []byte) (info, pkg []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("compound file reader panicked: %v", r)
		}
	}()
	r, err := mscfb.New(bytes.NewReader(data))
	if err != nil {
		return nil, nil, err
	}
	for i := 0; i < 1000; i++ {
		e, err := r.Next()
		if err != nil {
			break
		}
		switch {
		case len(e.Path) == 0 && e.Name == "EncryptionInfo" && e.Size < 1<<20:
			info, _ = io.ReadAll(io.LimitReader(e, e.Size))
		case len(e.Path) == 0 && e.Name == "EncryptedPackage" && e.Size <= maxPackage:
			pkg, _ = io.ReadAll(io.LimitReader(e, e.Size))
		}
	}
	if info == nil || len(pkg) < 8 {
		return nil, nil, errors.New("no EncryptionInfo or EncryptedPackage stream")
	}
	return info, pkg, nil
}

var errOfficePassword = errors.New("wrong password")

// decryptOffice decrypts the package with password, or says why not.
func decryptOffice(info, pkg []byte, password string) ([]byte, error) {
	if len(info) < 8 {
		return nil, errors.New("EncryptionInfo too short")
	}
	major, minor := binary.LittleEndian.Uint16(info), binary.LittleEndian.Uint16(info[2:])
	size := binary.LittleEndian.Uint64(pkg)
	if size > uint64(len(pkg)) {
		return nil, errors.New("package size beyond the stream")
	}
	switch {
	case major == 4 && minor == 4:
		return decryptAgile(info[8:], pkg[8:], int(size), password)
	case (major == 2 || major == 3 || major == 4) && minor == 2:
		return decryptStandard(info[8:], pkg[8:], int(size), password)
	}
	return nil, fmt.Errorf("encryption version %d.%d not supported", major, minor)
}

type agileKey struct {
	SaltSize        int    `xml:"saltSize,attr"`
	BlockSize       int    `xml:"blockSize,attr"`
	KeyBits         int    `xml:"keyBits,attr"`
	HashSize        int    `xml:"hashSize,attr"`
	HashAlgorithm   string `xml:"hashAlgorithm,attr"`
	SaltValue       string `xml:"saltValue,attr"`
	SpinCount       int    `xml:"spinCount,attr"`
	VerifierInput   string `xml:"encryptedVerifierHashInput,attr"`
	VerifierValue   string `xml:"encryptedVerifierHashValue,attr"`
	EncryptedKey    string `xml:"encryptedKeyValue,attr"`
	CipherAlgorithm string `xml:"cipherAlgorithm,attr"`
}

type agileInfo struct {
	KeyData    agileKey `xml:"keyData"`
	Encryptors []struct {
		URI string   `xml:"uri,attr"`
		Key agileKey `xml:"encryptedKey"`
	} `xml:"keyEncryptors>keyEncryptor"`
}

func hashFor(name string) (func() hash.Hash, bool) {
	switch strings.ToUpper(name) {
	case "SHA1", "SHA-1":
		return sha1.New, true
	case "SHA256", "SHA-256":
		return sha256.New, true
	case "SHA384", "SHA-384":
		return sha512.New384, true
	case "SHA512", "SHA-512":
		return sha512.New, true
	}
	return nil, false
}

// maxSpin bounds the key derivation's rounds: Office writes 100,000; a
// hostile file must not make one try cost seconds.
const maxSpin = 1_000_000

// decryptAgile follows MS-OFFCRYPTO 2.3.4.10–2.3.4.15.
func decryptAgile(x, pkg []byte, size int, password string) ([]byte, error) {
	var ai agileInfo
	if err := xml.Unmarshal(x, &ai); err != nil {
		return nil, fmt.Errorf("EncryptionInfo XML: %w", err)
	}
	var pk *agileKey
	for i := range ai.Encryptors {
		if strings.HasSuffix(ai.Encryptors[i].URI, "/password") {
			pk = &ai.Encryptors[i].Key
		}
	}
	kd := ai.KeyData
	if pk == nil || !strings.EqualFold(pk.CipherAlgorithm, "AES") || !strings.EqualFold(kd.CipherAlgorithm, "AES") {
		return nil, errors.New("no password key encryptor with AES")
	}
	newHash, ok1 := hashFor(pk.HashAlgorithm)
	dataHash, ok2 := hashFor(kd.HashAlgorithm)
	if !ok1 || !ok2 || pk.SpinCount < 0 || pk.SpinCount > maxSpin || kd.BlockSize != 16 {
		return nil, errors.New("unsupported agile parameters")
	}
	dec := func(s string) []byte { b, _ := base64.StdEncoding.DecodeString(s); return b }
	salt, kdSalt := dec(pk.SaltValue), dec(kd.SaltValue)

	h := newHash()
	h.Write(salt)
	h.Write(utf16Bytes(password))
	sum := h.Sum(nil)
	var ib [4]byte
	for i := 0; i < pk.SpinCount; i++ {
		h.Reset()
		binary.LittleEndian.PutUint32(ib[:], uint32(i))
		h.Write(ib[:])
		h.Write(sum)
		sum = h.Sum(sum[:0])
	}
	derive := func(block []byte) []byte {
		h := newHash()
		h.Write(sum)
		h.Write(block)
		k := h.Sum(nil)
		n := pk.KeyBits / 8
		for len(k) < n {
			k = append(k, 0x36)
		}
		return k[:n]
	}
	cbc := func(key, iv, in []byte) ([]byte, error) {
		b, err := aes.NewCipher(key)
		if err != nil || len(in)%16 != 0 || len(iv) < 16 {
			return nil, errors.New("bad AES parameters")
		}
		out := make([]byte, len(in))
		cipher.NewCBCDecrypter(b, iv[:16]).CryptBlocks(out, in)
		return out, nil
	}
	input, err1 := cbc(derive([]byte{0xfe, 0xa7, 0xd2, 0x76, 0x3b, 0x4b, 0x9e, 0x79}), salt, dec(pk.VerifierInput))
	value, err2 := cbc(derive([]byte{0xd7, 0xaa, 0x0f, 0x6d, 0x30, 0x61, 0x34, 0x4e}), salt, dec(pk.VerifierValue))
	if err1 != nil || err2 != nil || len(input) < pk.SaltSize || len(value) < pk.HashSize {
		return nil, errors.New("bad verifier")
	}
	vh := newHash()
	vh.Write(input[:pk.SaltSize])
	if !bytes.Equal(vh.Sum(nil)[:pk.HashSize], value[:pk.HashSize]) {
		return nil, errOfficePassword
	}
	secret, err := cbc(derive([]byte{0x14, 0x6e, 0x0b, 0xe7, 0xab, 0xac, 0xd0, 0xd6}), salt, dec(pk.EncryptedKey))
	if err != nil || len(secret) < kd.KeyBits/8 {
		return nil, errors.New("bad encrypted key")
	}
	secret = secret[:kd.KeyBits/8]
	out := make([]byte, 0, len(pkg))
	for i, off := 0, 0; off < len(pkg); i, off = i+1, off+4096 {
		seg := pkg[off:min(len(pkg), off+4096)]
		seg = seg[:len(seg)/16*16]
		ih := dataHash()
		ih.Write(kdSalt)
		binary.LittleEndian.PutUint32(ib[:], uint32(i))
		ih.Write(ib[:])
		p, err := cbc(secret, ih.Sum(nil), seg)
		if err != nil {
			return nil, err
		}
		out = append(out, p...)
	}
	if size > len(out) {
		return nil, errors.New("package shorter than declared")
	}
	return out[:size], nil
}

// decryptStandard follows MS-OFFCRYPTO 2.3.4.5–2.3.4.9 (AES, SHA-1).
func decryptStandard(x, pkg []byte, size int, password string) ([]byte, error) {
	if len(x) < 4 {
		return nil, errors.New("EncryptionInfo too short")
	}
	hsize := int(binary.LittleEndian.Uint32(x))
	if hsize < 32 || 4+hsize+4+16+16+4+32 > len(x) {
		return nil, errors.New("bad standard header")
	}
	hdr := x[4 : 4+hsize]
	algID, keyBits := binary.LittleEndian.Uint32(hdr[8:]), int(binary.LittleEndian.Uint32(hdr[16:]))
	if algID != 0x660E && algID != 0x660F && algID != 0x6610 || keyBits%64 != 0 || keyBits < 128 || keyBits > 256 {
		return nil, errors.New("standard encryption without AES")
	}
	v := x[4+hsize:]
	saltSize := int(binary.LittleEndian.Uint32(v))
	if saltSize != 16 {
		return nil, errors.New("bad verifier salt")
	}
	salt, encVerifier, encHash := v[4:20], v[20:36], v[40:72]

	h := sha1.New()
	h.Write(salt)
	h.Write(utf16Bytes(password))
	sum := h.Sum(nil)
	var ib [4]byte
	for i := 0; i < 50000; i++ {
		h.Reset()
		binary.LittleEndian.PutUint32(ib[:], uint32(i))
		h.Write(ib[:])
		h.Write(sum)
		sum = h.Sum(sum[:0])
	}
	h.Reset()
	h.Write(sum)
	h.Write([]byte{0, 0, 0, 0})
	final := h.Sum(nil)
	x1, x2 := make([]byte, 64), make([]byte, 64)
	for i := range x1 {
		x1[i], x2[i] = 0x36, 0x5c
		if i < len(final) {
			x1[i] ^= final[i]
			x2[i] ^= final[i]
		}
	}
	s1, s2 := sha1.Sum(x1), sha1.Sum(x2)
	key := append(s1[:], s2[:]...)[:keyBits/8]
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	ecb := func(in []byte) []byte {
		out := make([]byte, len(in)/16*16)
		for i := 0; i+16 <= len(in); i += 16 {
			b.Decrypt(out[i:], in[i:i+16])
		}
		return out
	}
	verifier, vhash := ecb(encVerifier), ecb(encHash)
	if got := sha1.Sum(verifier); !bytes.Equal(got[:], vhash[:20]) {
		return nil, errOfficePassword
	}
	out := ecb(pkg)
	if size > len(out) {
		return nil, errors.New("package shorter than declared")
	}
	return out[:size], nil
}

// legacyEncryption names the encryption of a Word 97–2003, Excel 97–2003
// or PowerPoint 97–2003 file (RC4, RC4 CryptoAPI or XOR obfuscation), or
// returns "" for a compound file that is not encrypted. These are
// detected, not decrypted: the file stays unscannable.
func legacyEncryption(data []byte) (reason string) {
	defer func() {
		if recover() != nil {
			reason = ""
		}
	}()
	r, err := mscfb.New(bytes.NewReader(data))
	if err != nil {
		return ""
	}
	for i := 0; i < 1000; i++ {
		e, err := r.Next()
		if err != nil {
			return ""
		}
		if len(e.Path) != 0 {
			continue
		}
		switch e.Name {
		case "WordDocument":
			// FIB: wIdent 0xA5EC, then flags at 0x0A: fEncrypted 0x0100.
			var fib [12]byte
			if n, _ := io.ReadFull(e, fib[:]); n == 12 && binary.LittleEndian.Uint16(fib[:]) == 0xA5EC &&
				binary.LittleEndian.Uint16(fib[10:])&0x0100 != 0 {
				return "Word 97-2003 document is password-protected (RC4 or XOR): not opened"
			}
		case "Workbook", "Book":
			// BIFF records after BOF: FILEPASS (0x002F) means encrypted.
			var rec [4]byte
			for j := 0; j < 64; j++ {
				if _, err := io.ReadFull(e, rec[:]); err != nil {
					break
				}
				typ, size := binary.LittleEndian.Uint16(rec[:]), int64(binary.LittleEndian.Uint16(rec[2:]))
				if typ == 0x002F {
					return "Excel 97-2003 workbook is password-protected (RC4 or XOR): not opened"
				}
				if _, err := io.CopyN(io.Discard, e, size); err != nil {
					break
				}
			}
		case "EncryptedSummary":
			return "PowerPoint 97-2003 presentation is password-protected (RC4 CryptoAPI): not opened"
		}
	}
	return ""
}
