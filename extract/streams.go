package extract

import (
	"bytes"

	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"io"
	"slices"
)

// Archives read every way. Tools disagree on where an archive is: Windows
// Explorer and Go's archive/zip read the last end-of-central-directory
// record, 7-Zip and WinRAR the first; 7-Zip, WinRAR and Java's
// ZipInputStream also list entries by their local headers, and 7-Zip and
// WinRAR find 7z and RAR archives after a prefix (self-extractors,
// polyglots). An attacker who puts the payload where only the victim's
// tool looks wins against a filter that reads one way. So the walker reads
// every way a tool could: every valid end record, every local header that
// no central directory accounts for, and every 7z or RAR stream whose
// header checks out, wherever it starts.

// zipEnd is one end-of-central-directory record.
type zipEnd struct {
	at  int // offset of "PK\x05\x06"
	end int // offset just past the record and its comment
}

// zipEnds returns every end-of-central-directory record in data whose
// fields are consistent (APPNOTE 4.3.16): one disk, as many entries on it
// as in all, a central directory that fits before it. Random bytes that
// happen to spell the signature fail these checks; a damaged directory
// passes them and is then reported as corrupt by the reader.
func zipEnds(data []byte) []zipEnd {
	var out []zipEnd
	sig := []byte("PK\x05\x06")
	for off := 0; ; {
		i := bytes.Index(data[off:], sig)
		if i < 0 {
			return out
		}
		at := off + i
		off = at + 1
		if at+22 > len(data) {
			continue
		}
		r := data[at:]
		disk, cdDisk := binary.LittleEndian.Uint16(r[4:]), binary.LittleEndian.Uint16(r[6:])
		nDisk, n := binary.LittleEndian.Uint16(r[8:]), binary.LittleEndian.Uint16(r[10:])
		cdSize := int(binary.LittleEndian.Uint32(r[12:]))
		commentLen := int(binary.LittleEndian.Uint16(r[20:]))
		zip64 := n == 0xffff || cdSize == 0xffffffff
		switch {
		case zip64:
			// The zip64 locator sits just before the record.
			if at < 20 || !bytes.HasPrefix(data[at-20:], []byte("PK\x06\x07")) {
				continue
			}
		case disk != cdDisk || nDisk != n || cdSize > at || cdSize < 46*int(n):
			continue
		}
		out = append(out, zipEnd{at: at, end: min(len(data), at+22+commentLen)})
	}
}

// span is a byte range [from, to) of a container's data.
type span struct{ from, to int64 }

func inSpans(spans []span, off int64) bool {
	for _, s := range spans {
		if off >= s.from && off < s.to {
			return true
		}
	}
	return false
}

// localHeader is a zip local file header as 7-Zip's and Java's streaming
// readers see it.
type localHeader struct {
	at       int
	flags    uint16
	method   uint16
	crc      uint32
	csize    int64
	usize    int64
	name     string
	dataAt   int
	encrypt  bool
	describe bool // sizes follow the data (bit 3)
}

func parseLocal(data []byte, at int) (localHeader, bool) {
	if at+30 > len(data) {
		return localHeader{}, false
	}
	r := data[at:]
	h := localHeader{
		at:     at,
		flags:  binary.LittleEndian.Uint16(r[6:]),
		method: binary.LittleEndian.Uint16(r[8:]),
		crc:    binary.LittleEndian.Uint32(r[14:]),
		csize:  int64(binary.LittleEndian.Uint32(r[18:])),
		usize:  int64(binary.LittleEndian.Uint32(r[22:])),
	}
	nameLen, extraLen := int(binary.LittleEndian.Uint16(r[26:])), int(binary.LittleEndian.Uint16(r[28:]))
	h.dataAt = at + 30 + nameLen + extraLen
	if h.dataAt > len(data) || nameLen == 0 {
		return localHeader{}, false
	}
	h.name = string(r[30 : 30+nameLen])
	h.encrypt = h.flags&0x1 != 0
	h.describe = h.flags&0x8 != 0
	return h, true
}

// strayLocals walks the members that local headers announce and no central
// directory lists (or lists differently): a zip whose directory hides an
// entry from Explorer still shows it to 7-Zip. known maps a member's data
// offset to what a central directory said about it; inside are the data
// spans of members already read, where signatures are content (a stored
// zip inside the zip), not structure.
func (w *walker) strayLocals(at string, depth int, data []byte, known map[int64]localHeader, inside []span) (found int) {
	sig := []byte("PK\x03\x04")
	for off := 0; ; {
		i := bytes.Index(data[off:], sig)
		if i < 0 {
			return found
		}
		p := off + i
		off = p + 4
		if inSpans(inside, int64(p)) {
			continue
		}
		h, ok := parseLocal(data, p)
		if !ok {
			continue
		}
		if c, ok := known[int64(h.dataAt)]; ok && c.name == h.name && c.method == h.method &&
			(h.describe || c.csize == h.csize && c.usize == h.usize && c.crc == h.crc) {
			continue // the central directory says the same
		}
		if w.expired() {
			return found
		}
		bi := memberInfo(at, h.name, depth)
		switch {
		case h.encrypt:
			w.listed(bi, h.usize, Flags{Encrypted: true}, "zip member (found by its local header) is encrypted")
		case h.method != 0 && h.method != 8:
			w.listed(bi, h.usize, Flags{Corrupt: true}, "zip member found by its local header only, compression method not supported")
		case h.method == 8:
			end := int64(len(data))
			if !h.describe && h.csize > 0 {
				end = min(end, int64(h.dataAt)+h.csize)
			}
			fr := flate.NewReader(bytes.NewReader(data[h.dataAt:end]))
			w.localMember(bi, fr, h)
			fr.Close()
		case h.describe && h.csize == 0:
			w.listed(bi, -1, Flags{Corrupt: true}, "stored zip member with no size, found by its local header only: its end cannot be known")
		default:
			end := min(int64(len(data)), int64(h.dataAt)+h.csize)
			w.localMember(bi, bytes.NewReader(data[h.dataAt:end]), h)
		}
		found++
		inside = append(inside, span{int64(h.dataAt), int64(h.dataAt) + max(h.csize, 1)})
	}
}

// localMember reads one member found by its local header and lists it,
// saying how it was found.
func (w *walker) localMember(bi blobInfo, r io.Reader, h localHeader) {
	n := len(w.res.Files)
	w.member(bi, r, -1, max(h.csize, 1))
	if len(w.res.Files) > n {
		f := &w.res.Files[n]
		f.Problem = joinProblem(f.Problem, "found by its local header: the central directory lists it differently or not at all")
	}
}

// embeddedArchive is a 7z or RAR stream that starts inside other data.
type embeddedArchive struct {
	at   int
	kind string // "7z", "rar"
}

var (
	sig7z   = []byte{'7', 'z', 0xbc, 0xaf, 0x27, 0x1c}
	sigRar4 = []byte("Rar!\x1a\x07\x00")
	sigRar5 = []byte("Rar!\x1a\x07\x01\x00")
)

// embeddedArchives finds 7z and RAR streams after offset 0 whose start
// header checks out: the 7z start header's CRC, RAR 5's main header CRC,
// RAR 4's main header type. A signature in random data fails the check.
func embeddedArchives(data []byte) []embeddedArchive {
	var out []embeddedArchive
	for off := 1; off < len(data); {
		i := bytes.Index(data[off:], sig7z)
		if i < 0 {
			break
		}
		at := off + i
		off = at + 1
		if at+32 <= len(data) && crc32.ChecksumIEEE(data[at+12:at+32]) == binary.LittleEndian.Uint32(data[at+8:]) {
			out = append(out, embeddedArchive{at, "7z"})
		}
	}
	for off := 1; off < len(data); {
		i := bytes.Index(data[off:], []byte("Rar!\x1a\x07"))
		if i < 0 {
			break
		}
		at := off + i
		off = at + 1
		switch {
		case bytes.HasPrefix(data[at:], sigRar5) && rar5HeaderOK(data[at+8:]):
			out = append(out, embeddedArchive{at, "rar"})
		case bytes.HasPrefix(data[at:], sigRar4) && at+10 <= len(data) && data[at+9] == 0x73:
			out = append(out, embeddedArchive{at, "rar"})
		}
	}
	slices.SortFunc(out, func(a, b embeddedArchive) int { return a.at - b.at })
	return out
}

// rar5HeaderOK checks the CRC32 of the first header after a RAR 5
// signature: CRC (4 bytes), then a vint header size, then the header.
func rar5HeaderOK(b []byte) bool {
	if len(b) < 6 {
		return false
	}
	size, n := uvarint(b[4:])
	if n <= 0 || size == 0 || size > 1<<20 || 4+n+int(size) > len(b) {
		return false
	}
	return crc32.ChecksumIEEE(b[4:4+n+int(size)]) == binary.LittleEndian.Uint32(b)
}

// uvarint reads RAR 5's variable-length integer (7 bits a byte, low first).
func uvarint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			return v, i + 1
		}
	}
	return 0, -1
}

// scansStreams reports whether a file of this type is searched for 7z and
// RAR streams after its start. Containers whose members lie in them raw
// (tar, ISO, mail, TNEF) or that are themselves 7z or RAR are not: a
// signature there is a member's content, which is walked as a member.
func scansStreams(sniffed string, data []byte) bool {
	switch sniffed {
	case "application/x-7z-compressed", "application/vnd.rar", "application/x-rar-compressed", "application/x-tar",
		"application/gzip", "application/x-gzip", "application/x-bzip2", "application/x-xz", "application/zstd",
		"application/x-lz4", "application/lzip", "application/x-lzip", "application/x-iso9660-image", "message/rfc822":
		return false
	}
	return !isTNEF(data)
}
