package proxy

import (
	"bufio"
	"bytes"
	"net/textproto"
	"testing"

	"github.com/airlockmail/airlock/deliver"
)

// FuzzRelayedWire: whatever DATA the proxy accepts (no bare CR or LF),
// the bytes go-smtp's client then sends upstream (dot-stuffed, with the
// terminator) hold no bare CR or LF and no end-of-data sequence before
// the last five bytes: no upstream, lenient or not, can find a second
// message in them.
func FuzzRelayedWire(f *testing.F) {
	for _, s := range []string{
		"Subject: a\r\n\r\nbody\r\n",
		"a\r\n.\r\nMAIL FROM:<x>\r\n",
		"a\n.\nMAIL FROM:<x>\r\n",
		"a\r.\r\nb",
		"..\r\n.\r\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if i, _ := bareLineEnd(data); i >= 0 {
			return // refused with 550 5.5.2
		}
		var wire bytes.Buffer
		w := textproto.NewWriter(bufio.NewWriter(&wire))
		dw := w.DotWriter()
		dw.Write(data)
		dw.Close()
		b := wire.Bytes()
		if i := deliver.BareLineEnd(b); i >= 0 {
			t.Fatalf("bare line end at %d in %q", i, b)
		}
		// The only dot line is the terminator (a message that is empty
		// or ends without CRLF gets its own CRLF first).
		if i := bytes.Index(b, []byte("\r\n.\r\n")); i >= 0 && i != len(b)-5 {
			t.Fatalf("end of data at %d of %d in %q", i, len(b), b)
		}
		if bytes.HasPrefix(b, []byte(".\r\n")) && len(b) > 3 {
			t.Fatalf("leading dot line in %q", b)
		}
	})
}
