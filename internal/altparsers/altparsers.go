// Package altparsers runs other MIME parsers over a message and returns the
// decoded leaves each finds, as stand-ins for mail clients in tests: a
// program built on Go's net/mail and mime/multipart, and one built on
// emersion/go-message's Entity.Walk. The evasion corpus records which of
// them find each payload; the end-to-end tests use them to tell a message
// the MTA rewrote harmless from one that got through.
package altparsers

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"

	gomessage "github.com/emersion/go-message"
)

// maxLeaf bounds what is read of one leaf.
const maxLeaf = 8 << 20

// Stdlib is what a program built on net/mail and mime/multipart finds:
// every leaf, decoded (multipart.Reader undoes quoted-printable itself),
// nested message/rfc822 walked too.
func Stdlib(msg []byte) [][]byte {
	m, err := mail.ReadMessage(bytes.NewReader(msg))
	if err != nil {
		return nil
	}
	var out [][]byte
	var walk func(ct, cte string, body io.Reader, depth int)
	walk = func(ct, cte string, body io.Reader, depth int) {
		if depth > 10 {
			return
		}
		mt, params, _ := mime.ParseMediaType(ct)
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextPart()
				if err != nil {
					return
				}
				walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, depth+1)
			}
		}
		var r io.Reader = body
		if strings.EqualFold(strings.TrimSpace(cte), "base64") {
			r = base64.NewDecoder(base64.StdEncoding, body)
		}
		b, _ := io.ReadAll(io.LimitReader(r, maxLeaf))
		if mt == "message/rfc822" {
			if m2, err := mail.ReadMessage(bytes.NewReader(b)); err == nil {
				walk(m2.Header.Get("Content-Type"), m2.Header.Get("Content-Transfer-Encoding"), m2.Body, depth+1)
			}
		}
		out = append(out, b)
	}
	walk(m.Header.Get("Content-Type"), m.Header.Get("Content-Transfer-Encoding"), m.Body, 0)
	return out
}

// GoMessage is what emersion/go-message's Entity.Walk finds.
func GoMessage(msg []byte) [][]byte {
	return goMessage(msg, 0)
}

func goMessage(msg []byte, depth int) [][]byte {
	if depth > 10 {
		return nil
	}
	e, err := gomessage.Read(bufio.NewReader(bytes.NewReader(msg)))
	if e == nil || err != nil && !gomessage.IsUnknownCharset(err) && !gomessage.IsUnknownEncoding(err) {
		return nil
	}
	var out [][]byte
	e.Walk(func(path []int, ent *gomessage.Entity, err error) error {
		if err != nil {
			return err
		}
		if ent.MultipartReader() != nil {
			return nil
		}
		b, _ := io.ReadAll(io.LimitReader(ent.Body, maxLeaf))
		if mt, _, _ := ent.Header.ContentType(); mt == "message/rfc822" {
			out = append(out, goMessage(b, depth+1)...)
		}
		out = append(out, b)
		return nil
	})
	return out
}
