package tnef

import (
	"bytes"
	"encoding/base64"
	"errors"
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

// TestRichTextNested: rich-text.eml's winmail.dat (MimeKit's
// christmas.tnef) carries a picture and two embedded messages (attach
// method 5); the second embedded message carries the same picture again.
func TestRichTextNested(t *testing.T) {
	data, err := tnefPartOf(t, corpus(t, "mime/mimekit/rich-text.eml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != 821421 {
		t.Fatalf("winmail.dat is %d bytes, want 821421", len(data))
	}
	m, err := Decode(data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	const kitten = "kitten-playing-with-a-christmas-tree.jpg"
	type flat struct {
		depth  int
		name   string
		size   int
		method int
		class  string
	}
	var got []flat
	var walk func(m *Message, depth int)
	walk = func(m *Message, depth int) {
		if len(m.Problems) > 0 {
			t.Errorf("depth %d: problems %q", depth, m.Problems)
		}
		for _, a := range m.Attachments {
			f := flat{depth, a.Name, len(a.Data), a.Method, ""}
			if a.Embedded != nil {
				f.class = a.Embedded.Class
			}
			got = append(got, f)
			if a.Embedded != nil {
				walk(a.Embedded, depth+1)
			}
		}
	}
	walk(m, 0)
	want := []flat{
		{0, kitten, 375081, 1, ""},
		{0, "Untitled Attachment", 6508, 5, "IPM.Task"},
		{0, "Untitled Attachment", 385301, 5, "IPM.Appointment"},
		{1, kitten, 375081, 1, ""},
	}
	if len(got) != len(want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	outer, inner := m.Attachments[0].Data, m.Attachments[2].Embedded.Attachments[0].Data
	if !bytes.Equal(outer, inner) {
		t.Error("the nested picture differs from the outer one")
	}
	if !bytes.HasPrefix(outer, []byte{0xFF, 0xD8, 0xFF}) || !bytes.HasSuffix(outer, []byte{0xFF, 0xD9}) {
		t.Error("the picture is not a whole JPEG")
	}
}

// TestUkrCodePage: an Exchange winmail.dat with no attachments, a cp1251
// stream and an HTML body.
func TestUkrCodePage(t *testing.T) {
	data, err := tnefPartOf(t, corpus(t, "mime/mimekit/ukr.eml"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode(data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != 9566 || len(m.Attachments) != 0 || m.CodePage != 1251 || len(m.Problems) != 0 {
		t.Errorf("size %d, attachments %d, code page %d, problems %q", len(data), len(m.Attachments), m.CodePage, m.Problems)
	}
	if len(m.Bodies) != 1 || m.Bodies[0].Kind != "html" {
		t.Errorf("bodies %v, want one html body", m.Bodies)
	}
}

// TestPNGLabelledWinmail: m4006 is a PNG sent as application/ms-tnef
// (winmail.dat); Decode must say "not TNEF" so the caller keeps it as a
// plain file.
func TestPNGLabelledWinmail(t *testing.T) {
	data, err := tnefPartOf(t, corpus(t, "mime/hunnysoft/m4006.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("\x89PNG")) {
		t.Fatalf("payload starts %q, want a PNG", data[:min(8, len(data))])
	}
	m, err := Decode(data, Limits{})
	if !errors.Is(err, ErrNotTNEF) || m != nil {
		t.Fatalf("Decode = %v, %v; want nil, ErrNotTNEF", m, err)
	}
}
