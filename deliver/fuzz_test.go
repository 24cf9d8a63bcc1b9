package deliver

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzStripOwned: whatever the header looks like, no field under an owned
// name is left in it, nothing else changes (the body included), and a
// second pass finds nothing.
func FuzzStripOwned(f *testing.F) {
	for _, s := range []string{
		"X-Airlock-Verdict: clean\r\nSubject: a\r\n\r\nbody\r\n",
		"Subject: a\r\nx-airlock-release: v=1;\r\n\tmac=x\r\nTo: b\r\n\r\n",
		"Subject: a\nno colon\nX-AIRLOCK-HELD : 1s\n\nX-Airlock-Verdict: body\n",
		"X-Airlock-Verdict\xc3\xa9: x\r\n \r\n\r\n",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		orig := bytes.Clone(msg)
		out, n := StripOwned(msg)
		if !bytes.Equal(msg, orig) {
			t.Fatal("input changed")
		}
		if again, m := StripOwned(out); m != 0 || !bytes.Equal(again, out) {
			t.Fatalf("second pass removed %d more", m)
		}
		// Reference: the kept lines in order, line by line.
		var want []byte
		removed, dropping, inBody := 0, false, false
		for _, l := range bytes.SplitAfter(msg, []byte("\n")) {
			if len(l) == 0 {
				continue
			}
			if !inBody && len(bytes.TrimRight(l, "\r\n")) == 0 {
				inBody = true
			}
			if inBody {
				want = append(want, l...)
				continue
			}
			if l[0] != ' ' && l[0] != '\t' {
				name, _, ok := strings.Cut(string(l), ":")
				dropping = ok && Owned(name)
				if dropping {
					removed++
				}
			}
			if !dropping {
				want = append(want, l...)
			}
		}
		if n != removed || !bytes.Equal(out, want) {
			t.Fatalf("StripOwned(%q) = %q, %d; reference %q, %d", msg, out, n, want, removed)
		}
	})
}

// FuzzNormalizeLineEnds: the result has no bare CR or LF, keeps every
// other byte in order, and is its own normal form.
func FuzzNormalizeLineEnds(f *testing.F) {
	for _, s := range []string{"a\r\nb", "a\nb\r", "\r.\r\n", "\n.\n", "\r\r\n\n", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		out := NormalizeLineEnds(msg)
		if i := BareLineEnd(out); i >= 0 {
			t.Fatalf("bare line end at %d in %q", i, out)
		}
		if !bytes.Equal(NormalizeLineEnds(out), out) {
			t.Fatal("not idempotent")
		}
		strip := func(b []byte) []byte {
			return bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r"), nil), []byte("\n"), nil)
		}
		if !bytes.Equal(strip(out), strip(msg)) {
			t.Fatal("other bytes changed")
		}
		breaks := bytes.Count(msg, []byte("\r")) + bytes.Count(msg, []byte("\n")) - bytes.Count(msg, []byte("\r\n"))
		if bytes.Count(out, []byte("\r\n")) != breaks {
			t.Fatalf("%d line breaks, want %d", bytes.Count(out, []byte("\r\n")), breaks)
		}
	})
}
