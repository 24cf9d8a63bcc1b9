package tnef

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"strings"
	"testing"
)

// tnefPartOf returns the decoded bytes of the first application/ms-tnef
// part of the message in path (the message itself when it is one). It is
// a few lines of stdlib MIME, enough for the corpus wrappers; the real
// walk lives in package extract.
func tnefPartOf(t *testing.T, path string) ([]byte, error) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return findTNEF(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
}

func findTNEF(ctype, cte string, body io.Reader) ([]byte, error) {
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return nil, fmt.Errorf("content type %q: %w", ctype, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return nil, fmt.Errorf("no application/ms-tnef part: %w", err)
			}
			b, err := findTNEF(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
			if err == nil {
				return b, nil
			}
		}
	}
	if mt != "application/ms-tnef" {
		return nil, fmt.Errorf("%s is not application/ms-tnef", mt)
	}
	if !strings.EqualFold(strings.TrimSpace(cte), "base64") {
		return io.ReadAll(body)
	}
	return io.ReadAll(base64.NewDecoder(base64.StdEncoding, newlineStripper{body}))
}

// newlineStripper drops CR and LF so that base64.NewDecoder sees one run.
type newlineStripper struct{ r io.Reader }

func (n newlineStripper) Read(p []byte) (int, error) {
	for {
		c, err := n.r.Read(p)
		k := 0
		for _, b := range p[:c] {
			if b != '\r' && b != '\n' {
				p[k] = b
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}
