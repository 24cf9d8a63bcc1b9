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
//
// Only a bare CR or LF right before structure matters: a delimiter or a
// Content-* field (both hold a '-' in their first eight bytes, which the
// base64 that fills big messages never does) or another line break (a
// blank line). So the check looks at the '-' bytes and at doubled breaks,
// not at every line: it costs one vectorised scan on a CRLF message.
func lineBreakReadings(raw []byte) (crAsBreak, crlfOnly []byte) {
	bareCR, bareLF := false, false
	before := func(s int) {
		switch {
		case s <= 0:
		case raw[s-1] == '\r':
			bareCR = true
		case raw[s-1] == '\n' && (s < 2 || raw[s-2] != '\r'):
			bareLF = true
		}
	}
	for off := 0; off < len(raw) && !(bareCR && bareLF); {
		i := bytes.IndexByte(raw[off:], '-')
		if i < 0 {
			break
		}
		j := off + i
		off = j + 1
		if j+1 < len(raw) && raw[j+1] == '-' {
			before(j) // "--delimiter"
		}
		if s := j - 7; s >= 0 && bytes.EqualFold(raw[s:j], []byte("content")) {
			before(s) // "Content-*:"
		}
	}
	if bytes.IndexByte(raw, '\n') < 0 && bytes.IndexByte(raw, '\r') >= 0 {
		bareCR = true // CR-only throughout
	}
	// A blank line of bare breaks matters where it ends a header; look
	// for one in the first 64 KiB (a long scan for "\r\r" costs a call
	// per line on CRLF mail).
	head := raw[:min(len(raw), 64<<10)]
	if bytes.Contains(head, []byte("\r\r")) {
		bareCR = true
	}
	crlf := bytes.Contains(raw, []byte("\r\n"))
	if crlf && bytes.Contains(head, []byte("\n\n")) {
		bareLF = true
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
