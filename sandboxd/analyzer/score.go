package analyzer

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/airlockmail/airlock/verdict"
)

// Scoring turns findings into a verdict. Each finding is worth Points of
// its severity; the file's score is their sum (Mode "sum") or the largest
// (Mode "max"), and the thresholds cut the score into verdicts.
type Scoring struct {
	// Mode is "sum" (several medium findings add up to a high one) or
	// "max" (only the worst finding counts).
	Mode string
	// Points per severity, indexed by verdict.Severity (info..critical).
	Points [5]int
	// Thresholds: a score at or above each one gives that verdict.
	Suspicious, HighlySuspicious, Malicious int
}

// DefaultScoring makes one medium finding suspicious, one high finding
// highly suspicious and one critical finding (EICAR, a known-bad hash)
// malicious; lower findings add up in between.
func DefaultScoring() Scoring {
	return Scoring{
		Mode:             "sum",
		Points:           [5]int{0, 1, 4, 10, 25},
		Suspicious:       4,
		HighlySuspicious: 10,
		Malicious:        25,
	}
}

// Validate reports what is wrong with s, or nil.
func (s Scoring) Validate() error {
	if s.Mode != "sum" && s.Mode != "max" {
		return fmt.Errorf("scoring mode must be sum or max, not %q", s.Mode)
	}
	if !(0 < s.Suspicious && s.Suspicious <= s.HighlySuspicious && s.HighlySuspicious <= s.Malicious) {
		return fmt.Errorf("scoring thresholds must satisfy 0 < suspicious (%d) <= highly_suspicious (%d) <= malicious (%d)",
			s.Suspicious, s.HighlySuspicious, s.Malicious)
	}
	for i, p := range s.Points {
		if p < 0 {
			return fmt.Errorf("scoring points for %s must be >= 0", verdict.Severity(i))
		}
	}
	return nil
}

func (s Scoring) points(sev verdict.Severity) int {
	if sev < 0 {
		return 0
	}
	if int(sev) >= len(s.Points) {
		return s.Points[len(s.Points)-1]
	}
	return s.Points[sev]
}

// Score is the verdict for the findings of every analyzer that looked at a
// file, and the number behind it.
//
// A file with findings below the suspicious threshold is clean, unless an
// analyzer could not look inside it (Result.Unscannable): then it is
// unscannable, because "nothing found" in a file nobody could read is not
// "clean".
func (s Scoring) Score(results []Result) (verdict.Verdict, int) {
	score := 0
	unscannable := false
	for _, r := range results {
		if r.Unscannable != "" {
			unscannable = true
		}
		for _, f := range r.Findings {
			p := s.points(f.Severity)
			if s.Mode == "max" {
				score = max(score, p)
			} else {
				score += p
			}
		}
	}
	switch {
	case score >= s.Malicious:
		return verdict.Malicious, score
	case score >= s.HighlySuspicious:
		return verdict.HighlySuspicious, score
	case score >= s.Suspicious:
		return verdict.Suspicious, score
	case unscannable:
		return verdict.Unscannable, score
	}
	return verdict.Clean, score
}

// EngineVersion names the combination of analyzers, their versions and the
// scoring that produced a verdict. It is stored with every verdict; when it
// changes, retained samples are analyzed again. The order of analyzers does
// not matter.
func EngineVersion(analyzers []Analyzer, s Scoring) string {
	parts := make([]string, 0, len(analyzers))
	for _, a := range analyzers {
		parts = append(parts, a.Name()+"\x00"+a.Version())
	}
	sort.Strings(parts)
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%s\n", p)
	}
	fmt.Fprintf(h, "scoring %s %v %d %d %d\n", s.Mode, s.Points, s.Suspicious, s.HighlySuspicious, s.Malicious)
	return hex.EncodeToString(h.Sum(nil))[:16]
}
