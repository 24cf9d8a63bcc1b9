package script

import (
	"regexp"
	"strings"
)

// src is script text with an ASCII-lower-cased copy of the same length,
// so that patterns run case-sensitively on the copy (Go's case folding is
// the slow part of (?i)) and matches are cut from the original.
type src struct {
	text, lower string
}

func newSrc(text string) *src {
	b := []byte(text)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return &src{text: text, lower: string(b)}
}

// pat is a pattern over lower-cased text with gates: substrings of which
// at least one must occur before the (much slower) regexp runs at all.
type pat struct {
	re    *regexp.Regexp
	gates []string
}

func p(expr string, gates ...string) pat {
	return pat{re: regexp.MustCompile(expr), gates: gates}
}

func (x pat) open(s *src) bool {
	if len(x.gates) == 0 {
		return true
	}
	for _, g := range x.gates {
		if strings.Contains(s.lower, g) {
			return true
		}
	}
	return false
}

// find returns the first match (from the original text), or "".
func (x pat) find(s *src) string {
	if !x.open(s) {
		return ""
	}
	loc := x.re.FindStringIndex(s.lower)
	if loc == nil {
		return ""
	}
	return s.text[loc[0]:loc[1]]
}

// all returns up to n matches (from the original text).
func (x pat) all(s *src, n int) []string {
	if !x.open(s) {
		return nil
	}
	var out []string
	for _, loc := range x.re.FindAllStringIndex(s.lower, n) {
		out = append(out, s.text[loc[0]:loc[1]])
	}
	return out
}

// submatches returns up to n matches' first groups (from the original).
func (x pat) submatches(s *src, n int) []string {
	if !x.open(s) {
		return nil
	}
	var out []string
	for _, m := range x.re.FindAllStringSubmatchIndex(s.lower, n) {
		if len(m) >= 4 && m[2] >= 0 {
			out = append(out, s.text[m[2]:m[3]])
		}
	}
	return out
}

func isB64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '='
}

// longestB64 returns the longest run of base64 characters (line breaks
// allowed inside when lines is set) of at least min characters, or "".
func longestB64(text string, min int, lines bool) string {
	best := ""
	start := -1
	for i := 0; i <= len(text); i++ {
		if i < len(text) && (isB64(text[i]) || lines && (text[i] == '\r' || text[i] == '\n') && start >= 0) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start >= min && i-start > len(best) {
			best = text[start:i]
		}
		start = -1
	}
	return strings.TrimRight(best, "\r\n")
}

// charCodeList reports a run of at least 40 comma-separated decimal codes.
func charCodeList(text string) bool {
	run := 0
	for i := 0; i < len(text); {
		j := i
		for j < len(text) && text[j] >= '0' && text[j] <= '9' {
			j++
		}
		if j-i >= 2 && j-i <= 3 {
			k := j
			for k < len(text) && text[k] == ' ' {
				k++
			}
			if k < len(text) && text[k] == ',' {
				run++
				if run >= 40 {
					return true
				}
				i = k + 1
				for i < len(text) && text[i] == ' ' {
					i++
				}
				continue
			}
		}
		run = 0
		i = max(j, i+1)
	}
	return false
}
