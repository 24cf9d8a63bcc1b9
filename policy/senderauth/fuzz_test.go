package senderauth_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/policy/senderauth"
)

// FuzzHeader: reading a header and removing fields from it never panics,
// removes exactly the named field (its continuation lines with it), and
// never touches the body.
func FuzzHeader(f *testing.F) {
	for _, s := range []string{
		"Authentication-Results: mx.ours.example; dmarc=pass header.from=a.example\r\nFrom: <a@a.example>\r\n\r\nbody\r\n",
		"Received: x\r\nAuthentication-Results: (c) mx.ours.example 1;\r\n\tdkim=pass header.d=a.example\r\n\r\n",
		"no colon here\r\nAuthentication-Results: mx.ours.example; none\n\nAuthentication-Results: body\n",
		" leading continuation\r\nA: 1\r\n",
		"A: 1\r\r\nB: 2\r\n\r\n",
		"Authentication-Results: mx.ours.example; dkim=pass (((\r\n",
	} {
		f.Add([]byte(s))
	}
	ch := senderauth.New(config.SenderAuth{TrustedAuthservIDs: []string{"mx.ours.example"}, Timeout: 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		h := senderauth.ParseHeader(data)
		body := bodyOf(data)
		for _, fld := range h {
			out := senderauth.Remove(data, []senderauth.Field{fld})
			if !bytes.HasSuffix(out, body) {
				t.Fatalf("body changed removing %+v", fld)
			}
			if got, want := count(senderauth.ParseHeader(out), fld.Name), count(h, fld.Name)-1; got != want {
				t.Fatalf("removing %s #%d left %d fields of that name, want %d\n%q\n%q", fld.Name, fld.Index, got, want, data, out)
			}
		}
		forged := ch.Forged(data)
		out := senderauth.Remove(data, forged)
		if !bytes.HasSuffix(out, body) {
			t.Fatal("body changed removing the forged fields")
		}
		if again := ch.Forged(out); len(again) != 0 {
			// Removing a forged field can only reveal another one if
			// the first run of fields changed: it cannot (forged fields
			// are never in it).
			t.Fatalf("forged fields left after removal: %+v\n%q", again, out)
		}
	})
}

func count(h senderauth.Header, name string) int {
	n := 0
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			n++
		}
	}
	return n
}

// bodyOf is what follows the first empty line (as ParseHeader reads it).
func bodyOf(data []byte) []byte {
	pos := 0
	for pos < len(data) {
		line := data[pos:]
		next := len(data)
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
			next = pos + i + 1
		}
		if len(bytes.TrimSuffix(line, []byte("\r"))) == 0 {
			return data[next:]
		}
		pos = next
	}
	return nil
}
