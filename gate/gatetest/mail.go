package gatetest

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
)

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// EICAR is the anti-virus test file (built at run time so that no scanner
// on a developer's machine quarantines this source file).
var EICAR = []byte(`X5O!P%@AP[4\PZX54(P^)7CC)7}$` + `EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`)

// Part is one attachment.
type Part struct {
	Name, Type string
	Data       []byte
}

// Mail builds a multipart message (CRLF line ends) with a text part and
// the attachments. A message with no attachments is plain text.
func Mail(from, to, subject string, parts ...Part) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: <%s@test.example>\r\nMIME-Version: 1.0\r\n", from, to, subject, randHex(8))
	if len(parts) == 0 {
		b.WriteString("Content-Type: text/plain; charset=us-ascii\r\n\r\nHello, this is a plain message.\r\nBye.\r\n")
		return b.Bytes()
	}
	boundary := "=_airlock_" + randHex(6)
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\nThis is a MIME message.\r\n", boundary)
	fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nSee the attachment.\r\n", boundary)
	for _, p := range parts {
		if p.Type == "message/rfc822" {
			fmt.Fprintf(&b, "--%s\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"%s\"\r\n\r\n", boundary, p.Name)
			b.Write(p.Data)
			b.WriteString("\r\n")
			continue
		}
		name, filename := fmt.Sprintf("name=\"%s\"", p.Name), fmt.Sprintf("filename=\"%s\"", p.Name)
		if !isASCII(p.Name) {
			// RFC 2231, as mail clients write names outside ASCII.
			v := "UTF-8''" + url.PathEscape(p.Name)
			name, filename = "name*="+v, "filename*="+v
		}
		fmt.Fprintf(&b, "--%s\r\nContent-Type: %s; %s\r\nContent-Disposition: attachment; %s\r\nContent-Transfer-Encoding: base64\r\n\r\n", boundary, p.Type, name, filename)
		enc := base64.StdEncoding.EncodeToString(p.Data)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\r\n")
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.Bytes()
}

// Zip packs files into a zip archive.
func Zip(files ...Part) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, f := range files {
		fw, err := w.Create(f.Name)
		if err != nil {
			panic(err)
		}
		fw.Write(f.Data)
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// PDF returns a small, harmless, unique PDF (unknown to any sandbox).
func PDF() []byte {
	id := randHex(8)
	body := fmt.Sprintf("%%PDF-1.4\n%% %s\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"+
		"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"+
		"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj\n"+
		"trailer << /Root 1 0 R >>\n%%%%EOF\n", id)
	return []byte(body)
}

// PNG is a 1x1 image.
var PNG, _ = hex.DecodeString("89504e470d0a1a0a0000000d4948445200000001000000010806000000" +
	"1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")

// NestedEICAR is forwarded mail > zip > zip > eicar.com, as the issue
// asks: three levels down.
func NestedEICAR(from, to string) []byte {
	inner := Zip(Part{Name: "eicar.com", Data: EICAR})
	outer := Zip(Part{Name: "docs/inner.zip", Data: inner})
	fwd := Mail("someone@elsewhere.example", "x@example.net", "the files", Part{Name: "bundle.zip", Type: "application/zip", Data: outer})
	return Mail(from, to, "Fwd: the files", Part{Name: "fwd.eml", Type: "message/rfc822", Data: fwd})
}

// WriteTemp writes data to a temp file for tools such as swaks and
// returns its path.
func WriteTemp(dir string, data []byte) string {
	f, err := os.CreateTemp(dir, "mail-*.eml")
	if err != nil {
		panic(err)
	}
	f.Write(data)
	f.Close()
	return f.Name()
}

// BodyOf returns the bytes after the header of a message.
func BodyOf(msg []byte) []byte {
	if i := bytes.Index(msg, []byte("\r\n\r\n")); i >= 0 {
		return msg[i+4:]
	}
	if i := bytes.Index(msg, []byte("\n\n")); i >= 0 {
		return msg[i+2:]
	}
	return nil
}

// HeaderOf returns the header fields of a message, unfolded, in order.
func HeaderOf(msg []byte) []string {
	h := msg
	if i := bytes.Index(msg, []byte("\r\n\r\n")); i >= 0 {
		h = msg[:i]
	}
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(string(h), "\r\n", "\n"), "\n") {
		if (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) && len(out) > 0 {
			out[len(out)-1] += " " + strings.TrimSpace(l)
			continue
		}
		out = append(out, l)
	}
	return out
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
