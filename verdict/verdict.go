// Package verdict holds the small vocabulary shared by the filter and the
// sandbox daemon: file categories, verdicts, findings and severities.
//
// It has no dependencies so that every part of Airlock (extract, policy,
// gate, holdqueue, sandboxd) can speak the same words without importing
// each other.
package verdict

import "fmt"

// Category is what a file is by content (name second), as policy sees it.
type Category string

const (
	Executable Category = "executable"
	Script     Category = "script"
	Document   Category = "document"
	Archive    Category = "archive"
	Other      Category = "other"
)

// Categories lists every category, in the order reports print them.
var Categories = []Category{Executable, Script, Document, Archive, Other}

// Valid reports whether c is one of the known categories.
func (c Category) Valid() bool {
	switch c {
	case Executable, Script, Document, Archive, Other:
		return true
	}
	return false
}

// Verdict is the sandbox's judgement of one file. The zero value is Unknown:
// the file has not been judged (yet).
type Verdict string

const (
	Unknown          Verdict = ""
	Clean            Verdict = "clean"
	Suspicious       Verdict = "suspicious"
	HighlySuspicious Verdict = "highly_suspicious"
	Malicious        Verdict = "malicious"
	// Unscannable means the file could not be judged: encrypted, corrupt,
	// over a limit, or every analyzer failed. Policy decides what it means.
	Unscannable Verdict = "unscannable"
)

// Verdicts lists every real verdict (not Unknown).
var Verdicts = []Verdict{Clean, Suspicious, HighlySuspicious, Malicious, Unscannable}

// Valid reports whether v is a known verdict (Unknown excluded).
func (v Verdict) Valid() bool {
	switch v {
	case Clean, Suspicious, HighlySuspicious, Malicious, Unscannable:
		return true
	}
	return false
}

// Rank orders verdicts by badness for thresholds: clean < unscannable <
// suspicious < highly_suspicious < malicious. Unknown ranks lowest.
// Unscannable ranks above clean (it never passes as clean) but below
// suspicious (nothing was found).
func (v Verdict) Rank() int {
	switch v {
	case Clean:
		return 1
	case Unscannable:
		return 2
	case Suspicious:
		return 3
	case HighlySuspicious:
		return 4
	case Malicious:
		return 5
	}
	return 0
}

// AtLeast reports whether v is at least as bad as threshold. Unknown is never
// at least anything.
func (v Verdict) AtLeast(threshold Verdict) bool {
	return v != Unknown && v.Rank() >= threshold.Rank()
}

// Worse returns the worse of a and b.
func Worse(a, b Verdict) Verdict {
	if b.Rank() > a.Rank() {
		return b
	}
	return a
}

// String returns the verdict's name, "unknown" for Unknown.
func (v Verdict) String() string {
	if v == Unknown {
		return "unknown"
	}
	return string(v)
}

// ParseVerdict parses a verdict name; "unknown" and "" give Unknown.
func ParseVerdict(s string) (Verdict, error) {
	if s == "" || s == "unknown" {
		return Unknown, nil
	}
	v := Verdict(s)
	if !v.Valid() {
		return Unknown, fmt.Errorf("unknown verdict %q (want one of clean, suspicious, highly_suspicious, malicious, unscannable)", s)
	}
	return v, nil
}

// Severity grades one finding.
type Severity int

const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	for i, n := range severityNames {
		if n == string(b) {
			*s = Severity(i)
			return nil
		}
	}
	return fmt.Errorf("unknown severity %q", b)
}

// Finding is one observation an analyzer made about a file, written for a
// human who asks "why was this flagged".
type Finding struct {
	Analyzer    string   `json:"analyzer"`
	Rule        string   `json:"rule"`
	Severity    Severity `json:"severity"`
	Description string   `json:"description"`
	// Evidence is a short excerpt (bounded by the analyzer) that shows the
	// trait: a string, an import name, a URL.
	Evidence string `json:"evidence,omitempty"`
}

// Indicator is something a SIEM can search for: a URL, domain, IP address
// or the hash of a dropped file.
type Indicator struct {
	Kind  string `json:"kind"` // url, domain, ip, sha256
	Value string `json:"value"`
}
