package extract

import (
	"bytes"
	"fmt"
	"strings"
)

// Readings of an ambiguous message.
//
// A gateway loses when it reads a message one way and the recipient's mail
// client another: the filter sees a text body, Thunderbird shows a .vbs.
// Where clients are known to disagree (a header line without a colon,
// duplicate Content-Type or boundary, a boundary written several ways,
// delimiter lines that only start with the boundary, parts after the close
// delimiter, CR-only or LF-only line breaks, base64 that goes on after its
// padding), the walk takes each reading in turn and lists the files of all
// of them, once each by hash. A reading that finds nothing new costs time
// only. Readings are bounded per walk; past the bound the message carries
// an unscannable entry, so that ambiguity cannot be bought with volume.

// maxReadings bounds the other readings one walk may take.
const maxReadings = 64

// alternative walks fn as another reading of the same bytes and keeps the
// files it finds that the walk has not listed yet (by hash), marked with
// why. Files that could not be read whole (no hash) are kept too: a reading
// some client takes may hide something there.
func (w *walker) alternative(why string, fn func()) {
	if w.expired() {
		return
	}
	if w.readings >= maxReadings {
		if !w.readingsHit {
			w.readingsHit = true
			w.problem("more than %d ambiguous readings: the rest were not taken", maxReadings)
			w.listed(blobInfo{path: "ambiguous-readings", depth: 1}, 0, Flags{Limit: "readings"},
				fmt.Sprintf("message can be read more than %d ways: not all were walked", maxReadings))
		}
		return
	}
	w.readings++
	saved := w.res.Files
	w.outer += len(saved)
	w.res.Files = nil
	fn()
	alt := w.res.Files
	w.res.Files = saved
	w.outer -= len(saved)

	seen := make(map[string]bool, len(saved))
	for _, f := range saved {
		if f.SHA256 != "" {
			seen[f.SHA256] = true
		}
	}
	added := 0
	var skip []string // containers already listed: their members are too
	for _, f := range alt {
		if under(f.Path, skip) {
			continue
		}
		if f.SHA256 != "" && seen[f.SHA256] {
			skip = append(skip, f.Path+"/")
			continue
		}
		if f.SHA256 != "" {
			seen[f.SHA256] = true
		}
		if f.Reading == "" {
			f.Reading = why
		} else {
			f.Reading = why + "; " + f.Reading
		}
		w.res.Files = append(w.res.Files, f)
		added++
	}
	if added > 0 {
		w.problem("ambiguous: %d more file(s) when read with %s", added, why)
	}
}

func under(p string, prefixes []string) bool {
	for _, s := range prefixes {
		if strings.HasPrefix(p, s) {
			return true
		}
	}
	return false
}

// structureBoundary finds MIME structure in text: a line "--X" followed,
// within the next three lines, by a Content-* field. It returns X, or ""
// when the text holds no such structure. Used for bodies whose declared
// boundary never occurs, for text bodies that hold parts (the MIME header
// of a message was cut off by a broken line for some readers), and for
// preambles and epilogues.
func structureBoundary(b []byte) string {
	off := 0
	for n := 0; n < 10000 && off < len(b); n++ {
		i := bytes.Index(b[off:], []byte("--"))
		if i < 0 {
			return ""
		}
		i += off
		off = i + 2
		if i > 0 && b[i-1] != '\n' && b[i-1] != '\r' {
			continue
		}
		end := bytes.IndexAny(b[i:], "\r\n")
		if end < 0 {
			return ""
		}
		cand := bytes.TrimRight(b[i+2:i+end], " \t")
		if len(cand) == 0 || len(cand) > 200 || bytes.HasSuffix(cand, []byte("--")) {
			continue
		}
		if hasHeaderAfter(b[i+end:]) {
			return string(cand)
		}
	}
	return ""
}

// hasHeaderAfter reports whether one of the next three lines of b is a
// Content-* field.
func hasHeaderAfter(b []byte) bool {
	for k := 0; k < 3; k++ {
		b = bytes.TrimLeft(b, "\r\n")
		if len(b) == 0 {
			return false
		}
		end := bytes.IndexAny(b, "\r\n")
		line := b
		if end >= 0 {
			line = b[:end]
		}
		if len(line) > 8 && bytes.EqualFold(line[:8], []byte("content-")) && bytes.IndexByte(line, ':') > 8 {
			return true
		}
		if end < 0 {
			return false
		}
		b = b[end:]
	}
	return false
}

// lineBreakReadings returns the message read with other line-break
// conventions, when it mixes them where structure is: bare CR taken as a
// line break (Python's email package and old Mac software do so), and bare
// LF not taken as one (a client that splits lines on CRLF only).
func lineBreakReadings(raw []byte) (crAsBreak, crlfOnly []byte) {
	nCRLF := bytes.Count(raw, []byte("\r\n"))
	nCR, nLF := bytes.Count(raw, []byte("\r")), bytes.Count(raw, []byte("\n"))
	if nCR == nCRLF && (nLF == nCRLF || nCRLF == 0) {
		return nil, nil // one convention throughout (the common case, found fast)
	}
	bareCR, bareLF, crlf := false, false, false
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '\r':
			if i+1 < len(raw) && raw[i+1] == '\n' {
				crlf = true
				i++
				continue
			}
			if structuralAfter(raw[i+1:]) {
				bareCR = true
			}
		case '\n':
			if structuralAfter(raw[i+1:]) {
				bareLF = true
			}
		}
		if bareCR && bareLF {
			break
		}
	}
	if bareCR {
		crAsBreak = make([]byte, 0, len(raw)+64)
		for i := 0; i < len(raw); i++ {
			crAsBreak = append(crAsBreak, raw[i])
			if raw[i] == '\r' && (i+1 >= len(raw) || raw[i+1] != '\n') {
				crAsBreak = append(crAsBreak, '\n')
			}
		}
	}
	if bareLF && crlf {
		crlfOnly = make([]byte, len(raw))
		for i := 0; i < len(raw); i++ {
			crlfOnly[i] = raw[i]
			if raw[i] == '\n' && (i == 0 || raw[i-1] != '\r') {
				crlfOnly[i] = ' '
			}
		}
	}
	return crAsBreak, crlfOnly
}

// structuralAfter reports whether a line starting at b could change the
// MIME structure: a delimiter, a Content-* field, a blank line.
func structuralAfter(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if b[0] == '\r' || b[0] == '\n' || bytes.HasPrefix(b, []byte("--")) {
		return true
	}
	return len(b) > 8 && bytes.EqualFold(b[:8], []byte("content-"))
}
