package office

// Linked OLE objects in compound files: the "\x01Ole" stream of an
// embedded object's storage (MS-OLEDS 2.3.3 OLEStream) says whether the
// object is a link, how it updates (automatically on open, or on
// request) and, in its source monikers, what it links to — a URL moniker
// for the CVE-2017-0199 family, a file moniker for a share. The monikers
// are not walked field by field: the link source is the first URL or path
// written in them, ASCII or UTF-16, which is what both moniker kinds hold.

import (
	"encoding/binary"
	"strings"
	"unicode/utf16"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
)

const (
	oleStreamLinked = 0x00000001 // Flags: the object is a link
	oleUpdateAlways = 0x00000001 // LinkUpdateOption: update on open
)

// oleLink judges an OLEStream.
func oleLink(b []byte, where string, fs *rules.Findings) {
	if len(b) < 20 || binary.LittleEndian.Uint32(b) != 0x02000001 {
		return
	}
	if binary.LittleEndian.Uint32(b[4:])&oleStreamLinked == 0 {
		return
	}
	auto := binary.LittleEndian.Uint32(b[8:]) == oleUpdateAlways
	source := linkSource(b[20:])
	switch {
	case source == "":
		sev := rules.Low
		if auto {
			sev = rules.Medium
		}
		fs.Add("ole-link", sev, "an OLE object is a link to a source this reader cannot see", where)
	case classify(source) == targetLocal:
		judgeURI(source, fs)
		fs.Add("ole-link-local", rules.Low, "an OLE object is linked to a local file", source)
	default:
		judgeURI(source, fs)
		if auto {
			fs.Add("ole-remote-link", rules.Critical, "an OLE object linked to a remote source updates itself when the document opens", source)
		} else {
			fs.Add("ole-remote-link", rules.High, "an OLE object is linked to a remote source", source)
		}
	}
}

// linkSource finds the first URL or path in moniker data.
func linkSource(b []byte) string {
	b = b[:min(len(b), 64<<10)]
	var cands []string
	// UTF-16LE runs (URL monikers, item monikers).
	var run []uint16
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c >= 0x20 && c < 0xfffe {
			run = append(run, c)
			continue
		}
		if len(run) >= 6 {
			cands = append(cands, string(utf16.Decode(run)))
		}
		run = run[:0]
	}
	if len(run) >= 6 {
		cands = append(cands, string(utf16.Decode(run)))
	}
	// ASCII runs (file monikers).
	start := -1
	for i := 0; i <= len(b); i++ {
		if i < len(b) && b[i] >= 0x20 && b[i] < 0x7f {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 && i-start >= 6 {
			cands = append(cands, string(b[start:i]))
		}
		start = -1
	}
	for _, c := range cands {
		l := strings.ToLower(c)
		if i := strings.Index(l, "://"); i > 0 && i < 16 || strings.HasPrefix(l, `\\`) || len(l) > 2 && l[1] == ':' && (l[2] == '\\' || l[2] == '/') || strings.HasPrefix(l, "mhtml:") {
			return c
		}
	}
	return ""
}
