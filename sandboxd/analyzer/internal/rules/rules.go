// Package rules holds the small pieces the static analyzers share: bounded,
// printable evidence, a findings collector, Shannon entropy and the EICAR
// test-file check used on members of containers.
//
// It promises that nothing it returns is longer than its bound, so a hostile
// file cannot make a finding (and the verdict record that stores it) large.
package rules

import (
	"bytes"
	"context"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/airlockmail/airlock/verdict"
)

// MaxEvidence bounds one finding's evidence in runes.
const MaxEvidence = 120

// Evidence returns s as a single printable line of at most MaxEvidence runes:
// control characters and invalid UTF-8 become '.', runs of white space one
// space, and a cut is marked with "…".
func Evidence(s string) string {
	var b strings.Builder
	n := 0
	space := false
	for i, w := 0, 0; i < len(s); i += w {
		r, sz := utf8.DecodeRuneInString(s[i:])
		w = sz
		if unicode.IsSpace(r) {
			if !space && n > 0 {
				space = true
			}
			continue
		}
		if space {
			if n >= MaxEvidence-1 {
				b.WriteString("…")
				return b.String()
			}
			b.WriteByte(' ')
			n++
			space = false
		}
		if n >= MaxEvidence-1 {
			b.WriteString("…")
			return b.String()
		}
		if r == utf8.RuneError || !unicode.IsPrint(r) || r == '\u202e' {
			r = '.'
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// Findings collects the findings of one analyzer run; it keeps one finding
// per rule (the first, whose severity is raised if the same rule fires again
// worse) so that a file with a thousand Shell calls does not yield a
// thousand findings.
type Findings struct {
	Analyzer string
	list     []verdict.Finding
	index    map[string]int
}

// Add records a finding.
func (f *Findings) Add(rule string, sev verdict.Severity, desc, evidence string) {
	if f.index == nil {
		f.index = map[string]int{}
	}
	if i, ok := f.index[rule]; ok {
		if sev > f.list[i].Severity {
			f.list[i].Severity = sev
			f.list[i].Description = desc
			f.list[i].Evidence = Evidence(evidence)
		}
		return
	}
	f.index[rule] = len(f.list)
	f.list = append(f.list, verdict.Finding{
		Analyzer:    f.Analyzer,
		Rule:        rule,
		Severity:    sev,
		Description: desc,
		Evidence:    Evidence(evidence),
	})
}

// Has reports whether rule fired.
func (f *Findings) Has(rule string) bool {
	_, ok := f.index[rule]
	return ok
}

// List returns the findings in the order they were first added.
func (f *Findings) List() []verdict.Finding { return f.list }

// Max returns the highest severity recorded, and false when there is none.
func (f *Findings) Max() (verdict.Severity, bool) {
	if len(f.list) == 0 {
		return verdict.Info, false
	}
	m := verdict.Info
	for _, x := range f.list {
		if x.Severity > m {
			m = x.Severity
		}
	}
	return m, true
}

// Entropy is the Shannon entropy of b in bits per byte (0..8).
func Entropy(b []byte) float64 {
	if len(b) == 0 {
		return 0
	}
	var counts [256]int
	for _, c := range b {
		counts[c]++
	}
	n := float64(len(b))
	e := 0.0
	for _, c := range counts {
		if c == 0 {
			continue
		}
		p := float64(c) / n
		e -= p * math.Log2(p)
	}
	return e
}

// eicarBody is the distinctive part of the EICAR anti-virus test file.
var eicarBody = []byte(`EICAR-STANDARD-ANTIVIRUS-TEST-FILE!`)

// eicarHead is the start of the 68-byte EICAR string.
var eicarHead = []byte(`X5O!P%@AP[4\PZX54(P^)7CC)7}$`)

// IsEICAR reports whether b is the EICAR test file: it starts with the
// EICAR string, optionally followed by white space only (up to 128 bytes in
// all, as the EICAR definition allows).
func IsEICAR(b []byte) bool {
	if len(b) < 68 || len(b) > 128 {
		return false
	}
	if !bytes.HasPrefix(b, eicarHead) || !bytes.Contains(b[:68], eicarBody) {
		return false
	}
	return len(bytes.TrimSpace(b[68:])) == 0
}

// ContainsEICAR reports whether the EICAR string appears anywhere in b. It is
// used on decoded container members and streams, where the test file may
// sit at an offset (a member of an unpadded tar, an OLE package).
func ContainsEICAR(b []byte) bool {
	i := bytes.Index(b, eicarHead)
	return i >= 0 && bytes.Contains(b[i:min(len(b), i+68)], eicarBody)
}

// AddEICAR records the malicious EICAR finding for a member named where.
func (f *Findings) AddEICAR(where string) {
	f.Add("eicar", verdict.Critical, "the EICAR anti-virus test file is inside this container (treated as malware by definition)", where)
}

// Done reports whether ctx is finished; analyzers call it in loops.
func Done(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return true
	default:
		return false
	}
}

// HasExt reports whether ext (with the dot, any case) is one of exts.
func HasExt(ext string, exts ...string) bool {
	ext = strings.ToLower(ext)
	for _, e := range exts {
		if ext == e {
			return true
		}
	}
	return false
}

// LowerASCII returns a copy of b with A-Z lowered and every other byte
// kept: unlike bytes.ToLower it never changes the length of binary data,
// so offsets found in the copy hold in b.
func LowerASCII(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}
