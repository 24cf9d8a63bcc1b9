package deliver

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/deliver/releasehdr"
	"github.com/airlockmail/airlock/internal/smtpsink"
)

func TestOwned(t *testing.T) {
	for _, tc := range []struct {
		name string
		want bool
	}{
		{"X-Airlock-Verdict", true},
		{"x-airlock-verdict", true},
		{"X-AIRLOCK-RELEASE", true},
		{"X-Airlock-Verdict \t", true},
		{"X-Airlock-Anything-New", true},
		{"X-Airlock-", true},
		{"X-Airlock", false},
		{"X-Airlocked", false},
		{"XX-Airlock-Verdict", false},
		{" X-Airlock-Verdict", false},
		{"X-Airlock-Verdict foo", false},
		{"X-Airlock-Verdict\xc3\xa9", false},
		{"Subject", false},
		{"", false},
	} {
		if got := Owned(tc.name); got != tc.want {
			t.Errorf("Owned(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestStripOwned(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		n              int
	}{
		{"none", "Subject: a\r\n\r\nbody\r\n", "Subject: a\r\n\r\nbody\r\n", 0},
		{"every spelling",
			"X-Airlock-Verdict: clean\r\nSubject: a\r\nx-airlock-verdict: clean\r\nX-AIRLOCK-QUEUE-ID: 1\r\nX-Airlock-Verdict : clean\r\nX-Airlock-Held:1s\r\n\r\nbody\r\n",
			"Subject: a\r\n\r\nbody\r\n", 5},
		{"folded, and the next field kept",
			"Subject: a\r\nX-Airlock-Release: v=1;\r\n\tmac=x\r\n id=y\r\nTo: b\r\n continued\r\n\r\nbody\r\n",
			"Subject: a\r\nTo: b\r\n continued\r\n\r\nbody\r\n", 1},
		{"after a line with no colon (lenient readers read on)",
			"Subject: a\r\nthis line has no colon\r\nX-Airlock-Verdict: clean\r\n\r\nbody\r\n",
			"Subject: a\r\nthis line has no colon\r\n\r\nbody\r\n", 1},
		{"the body is not the header",
			"Subject: a\r\n\r\nX-Airlock-Verdict: clean\r\n",
			"Subject: a\r\n\r\nX-Airlock-Verdict: clean\r\n", 0},
		{"LF line ends",
			"X-Airlock-Verdict: clean\nSubject: a\n\nX-Airlock-Verdict: body\n",
			"Subject: a\n\nX-Airlock-Verdict: body\n", 1},
		{"no body, no final newline",
			"Subject: a\r\nX-Airlock-Verdict: clean",
			"Subject: a\r\n", 1},
		{"a name that is no field name",
			"X-Airlock-Verdict foo: clean\r\nX-Airlock-Verdict\xc3\xa9: clean\r\n\r\n",
			"X-Airlock-Verdict foo: clean\r\nX-Airlock-Verdict\xc3\xa9: clean\r\n\r\n", 0},
		{"a continuation line first",
			" X-Airlock-Verdict: clean\r\nSubject: a\r\n\r\n",
			" X-Airlock-Verdict: clean\r\nSubject: a\r\n\r\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			got, n := StripOwned(in)
			if string(got) != tc.want || n != tc.n {
				t.Errorf("StripOwned(%q) = %q, %d; want %q, %d", tc.in, got, n, tc.want, tc.n)
			}
			if string(in) != tc.in {
				t.Error("input changed")
			}
		})
	}
}

func TestNormalizeLineEnds(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a\r\nb\r\n", "a\r\nb\r\n"},
		{"a\nb\n", "a\r\nb\r\n"},
		{"a\rb\r", "a\r\nb\r\n"},
		{"x\n.\nMAIL FROM:<a>\r\n", "x\r\n.\r\nMAIL FROM:<a>\r\n"},
		{"x\r.\r\n", "x\r\n.\r\n"},
		{"x\r\r\n", "x\r\n\r\n"},
		{"\n\r", "\r\n\r\n"},
		{"", ""},
	} {
		if got := NormalizeLineEnds([]byte(tc.in)); string(got) != tc.want {
			t.Errorf("NormalizeLineEnds(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// A held message with bare CR and LF (an MTA hands the milter a bare CR
// inside a line) and a smuggling sequence leaves with CRLF only, on the
// wire as the next hop reads it, and its release header verifies against
// what arrived.
func TestDeliveredWithoutBareLineEnds(t *testing.T) {
	sink := smtpsink.Start(t, smtpsink.Options{RecordWire: true})
	d := newTestDeliverer(t, sink.Addr(), nil)
	held := "Subject: bare\r\nX-Airlock-Verdict: clean (forged)\r\n\r\nline\rwith a CR\r\nthen\n.\nMAIL FROM:<ceo@example.org>\r\nx\r.\r\ny\r\n"
	if _, err := d.Send(context.Background(), env, []byte(held), stamp()); err != nil {
		t.Fatal(err)
	}
	msgs := sink.Messages()
	if len(msgs) != 1 {
		t.Fatalf("sink got %d messages", len(msgs))
	}
	for _, w := range sink.Wire() {
		if i := BareLineEnd(w); i >= 0 {
			t.Errorf("bare CR or LF on the wire at %d: %q", i, w[max(0, i-20):min(len(w), i+20)])
		}
	}
	got := msgs[0].Data
	if bytes.Contains(got, []byte("forged")) {
		t.Error("forged field delivered")
	}
	if !bytes.Contains(got, []byte("\r\nline\r\nwith a CR\r\nthen\r\n.\r\nMAIL FROM:<ceo@example.org>\r\nx\r\n.\r\n")) {
		t.Errorf("body not normalised as expected:\n%q", got)
	}
	v := headerValue(t, got, releasehdr.Field)
	if _, _, err := releasehdr.Verify(testKey, v, releasehdr.BodyDigest(got), time.Now()); err != nil {
		t.Errorf("release header does not verify against the delivered body: %v", err)
	}
	if strings.Count(string(got), FieldVerdict+":") != 1 {
		t.Errorf("want one verdict field:\n%s", got)
	}
}
