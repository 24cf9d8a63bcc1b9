package extract

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
)

// Builders for test messages. Real-world samples live in testdata/corpus;
// these make the hostile shapes the corpus lacks.

const eicar = `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`

// mimePart is one part of a multipart/mixed message.
type mimePart struct {
	header string // full header lines, CRLF-separated, no trailing blank line
	body   string
}

// attach makes a base64 attachment part.
func attach(name, ctype string, data []byte) mimePart {
	return mimePart{
		header: fmt.Sprintf("Content-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64", ctype, name, name),
		body:   wrap76(base64.StdEncoding.EncodeToString(data)),
	}
}

func textPart(s string) mimePart {
	return mimePart{header: "Content-Type: text/plain; charset=utf-8", body: s}
}

func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76])
		b.WriteString("\r\n")
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}

var boundarySeq atomic.Int64

// message makes a multipart/mixed message from parts.
func message(subject string, parts ...mimePart) []byte {
	var b bytes.Buffer
	bd := fmt.Sprintf("b0undary-%d", boundarySeq.Add(1)) // nested messages need their own
	fmt.Fprintf(&b, "From: sender@example.net\r\nTo: rcpt@example.org\r\nSubject: %s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"%s\"\r\n\r\npreamble\r\n", subject, bd)
	for _, p := range parts {
		fmt.Fprintf(&b, "--%s\r\n%s\r\n\r\n%s\r\n", bd, p.header, p.body)
	}
	fmt.Fprintf(&b, "--%s--\r\n", bd)
	return b.Bytes()
}

// forwarded wraps a message as a message/rfc822 part.
func forwarded(name string, msg []byte) mimePart {
	return mimePart{
		header: fmt.Sprintf("Content-Type: message/rfc822; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"", name, name),
		body:   string(msg),
	}
}

type zipEntry struct {
	name string
	data []byte
}

func zipOf(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range entries {
		w, err := zw.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(e.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// encryptedZip makes a zip whose member has the "encrypted" flag (bit 0)
// and ZipCrypto-looking bytes: the walker must never try to read it as
// plain data.
func encryptedZip(t testing.TB, name string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	fh := &zip.FileHeader{Name: name, Method: zip.Store, Flags: 0x1, CRC32: 0x12345678,
		CompressedSize64: 12 + 16, UncompressedSize64: 16}
	w, err := zw.CreateRaw(fh)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(bytes.Repeat([]byte{0xA5}, 28)) // 12-byte encryption header + data
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// minimalPE is a tiny, well-formed-enough PE: DOS header pointing at a PE
// signature and COFF header. It runs nothing; it only has to be a PE to
// every sniffer.
func minimalPE() []byte {
	b := make([]byte, 512)
	copy(b, "MZ")
	b[0x3c] = 0x80
	copy(b[0x80:], "PE\x00\x00")
	b[0x84], b[0x85] = 0x4c, 0x01 // i386
	b[0x86] = 1                   // one section
	b[0x94] = 0xe0                // optional header size
	b[0x96], b[0x97] = 0x02, 0x01 // executable, 32-bit
	b[0x98], b[0x99] = 0x0b, 0x01 // PE32 magic
	copy(b[0x180:], ".text\x00\x00\x00")
	return b
}

// find returns the file at path, failing the test if it is not there.
func find(t testing.TB, r *Result, path string) File {
	t.Helper()
	for _, f := range r.Files {
		if f.Path == path {
			return f
		}
	}
	var paths []string
	for _, f := range r.Files {
		paths = append(paths, f.Path)
	}
	t.Fatalf("no file %q; have %q", path, paths)
	return File{}
}

// isPE checks the DOS stub's pointer to a "PE\0\0" header, for a quick
// answer independent of mimetype (the tests check their PE with it).
func isPE(data []byte) bool {
	if len(data) < 0x40 || data[0] != 'M' || data[1] != 'Z' {
		return false
	}
	off := int(binary.LittleEndian.Uint32(data[0x3c:]))
	return off > 0 && off+4 <= len(data) && string(data[off:off+4]) == "PE\x00\x00"
}
