package extract

import (
	"fmt"
	"strings"
	"testing"
)

// A file found by several readings is listed once, by the first; a file
// only another reading finds says which.
func TestReadingsDedupAndLabel(t *testing.T) {
	vbs := []byte("Set sh = CreateObject(\"WScript.Shell\")\r\nsh.Run \"calc\"\r\n")
	msg := "From: a@example.net\r\nSubject: x\r\nbroken line\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n" +
		"--b\r\nContent-Type: application/octet-stream; name=\"a.vbs\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(vbs) + "\r\n--b--\r\n"
	r := walk(t, []byte(msg))
	n := 0
	for _, f := range r.Files {
		if f.SHA256 == sha256Hex(vbs) {
			n++
			// The strict reading sees a text body holding MIME parts; the
			// lenient header reading sees the multipart: both find it,
			// the first one to run names it.
			if f.Reading == "" {
				t.Errorf("found by the plain reading? %+v", f)
			}
		}
	}
	if n != 1 {
		t.Fatalf("payload listed %d times, want once: %+v", n, r.Files)
	}
	if !strings.Contains(strings.Join(r.Problems, "\n"), "ambiguous: 1 more file(s)") {
		t.Errorf("problems do not say the message is ambiguous: %q", r.Problems)
	}
}

// Ambiguity cannot be bought with volume: past maxReadings the message
// carries an unscannable entry.
func TestReadingsLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@example.net\r\nSubject: many\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n")
	for i := 0; i < maxReadings+10; i++ {
		fmt.Fprintf(&b, "--outer\r\nContent-Type: text/plain\r\n\r\n--in%d\r\nContent-Type: text/plain\r\n\r\nx\r\n--in%d--\r\n", i, i)
	}
	b.WriteString("--outer--\r\n")
	r := walk(t, []byte(b.String()))
	var hit bool
	for _, f := range r.Files {
		hit = hit || f.Flags.Limit == "readings"
	}
	if !hit {
		t.Fatalf("no readings-limit entry among %d files; problems %q", len(r.Files), r.Problems)
	}
	if len(r.Unscannable()) == 0 {
		t.Fatal("readings limit did not make the message unscannable")
	}
}

// Line-break readings are taken only where conventions are mixed where
// structure is: plain CRLF or plain LF mail costs nothing.
func TestLineBreakReadingsOnlyWhenMixed(t *testing.T) {
	for _, c := range []struct {
		name     string
		msg      string
		cr, crlf bool
	}{
		{"crlf", "A: b\r\n\r\n--x\r\nContent-Type: text/plain\r\n", false, false},
		{"lf", "A: b\n\n--x\nContent-Type: text/plain\n", false, false},
		{"cr only", "A: b\r\r--x\rContent-Type: text/plain\r", true, false},
		{"bare lf before a delimiter", "A: b\r\n\r\nhi\n--x\r\n", false, true},
		{"bare cr inside a line", "A: b\r\n\r\nh\ri\r\n", false, false},
	} {
		cr, crlf := lineBreakReadings([]byte(c.msg))
		if (cr != nil) != c.cr || (crlf != nil) != c.crlf {
			t.Errorf("%s: CR reading %v, CRLF-only reading %v; want %v, %v", c.name, cr != nil, crlf != nil, c.cr, c.crlf)
		}
	}
}

// Boundary candidates: every form a parser could take, the plain one first.
func TestParamCandidates(t *testing.T) {
	for _, c := range []struct {
		v    string
		want []string
	}{
		{`multipart/mixed; boundary="a"; boundary="b"`, []string{"a", "b"}},
		{`multipart/mixed; boundary="=?us-ascii?Q?ab?="`, []string{"ab", "=?us-ascii?Q?ab?="}},
		{"multipart/mixed; boundary=\"a\x00b\"", []string{"a\x00b", "a"}},
		{`multipart/mixed; boundary='q'`, []string{"'q'", "q"}},
		{`multipart/mixed boundary=z`, []string{"z"}},
		{`multipart/mixed; (c) boundary=(d)"e"`, []string{"e"}},
	} {
		got := paramCandidates(c.v, "boundary")
		for _, w := range c.want {
			found := false
			for _, g := range got {
				found = found || g == w
			}
			if !found {
				t.Errorf("%q: candidates %q lack %q", c.v, got, w)
			}
		}
		if len(got) > 0 && got[0] != c.want[0] {
			t.Errorf("%q: first candidate %q, want %q", c.v, got[0], c.want[0])
		}
	}
}
