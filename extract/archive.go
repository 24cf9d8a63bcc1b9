package extract

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/mholt/archives"
	"github.com/nwaples/rardecode/v2"
)

// opener picks how to list a container's members by its sniffed type (never
// by name: docs/libraries.md, Identify trusts "invoice.zip.exe"), or nil when the
// file is not a container.
func (w *walker) opener(sniffed, name, declared string, data []byte) opener {
	switch sniffed {
	case "application/zip", "application/x-zip-compressed":
		return openZip
	case "application/x-7z-compressed":
		return w.third(openMholt("7z"))
	case "application/vnd.rar", "application/x-rar-compressed":
		return w.third(openMholt("rar"))
	case "application/x-tar":
		return w.third(openMholt("tar"))
	case "application/gzip", "application/x-gzip":
		return w.third(openCompressed(archives.Gz{}, "gzip", ".gz", ".tgz"))
	case "application/x-bzip2":
		return w.third(openCompressed(archives.Bz2{}, "bzip2", ".bz2", ".tbz"))
	case "application/x-xz":
		return w.third(openCompressed(archives.Xz{}, "xz", ".xz", ".txz"))
	case "application/zstd":
		return w.third(openCompressed(archives.Zstd{}, "zstd", ".zst", ".tzst"))
	case "application/x-lz4":
		return w.third(openCompressed(archives.Lz4{}, "lz4", ".lz4"))
	case "application/lzip", "application/x-lzip":
		return w.third(openCompressed(archives.Lzip{}, "lzip", ".lz"))
	case "application/x-iso9660-image":
		return w.third(openISO)
	case "application/vnd.ms-cab-compressed", "application/x-udf-image", "application/x-vhd", "application/x-vhdx",
		"application/x-fat-image", "application/x-apple-diskimage":
		return unsupported(sniffed)
	case "message/rfc822":
		return openMessage
	}
	if isTNEF(data) {
		return openTNEF
	}
	if isEncryptedOffice(data) {
		return w.third(openOffice)
	}
	if len(zipEnds(data)) > 0 {
		// Prefixed archives (self-extracting, or junk prepended to dodge
		// sniffing) are found only by looking for the end record.
		// For an executable, a failure says nothing bad about the file.
		if categoryOfType(sniffed) == "executable" {
			return quiet(openZip)
		}
		return openZip
	}
	if Ext(name) == ".eml" && looksLikeMessage(data) {
		return openMessage
	}
	return nil
}

// unsupported lists a container we cannot open: it stays unscannable, so an
// attacker gains nothing by choosing an exotic format.
func unsupported(kind string) opener {
	return func(w *walker, at string, depth int, data []byte) containerFailure {
		return containerFailure{problem: fmt.Sprintf("%s: format not supported, contents not listed", kind), flags: Flags{Limit: "format"}}
	}
}

// quiet drops the failure of an opener that was only a guess.
func quiet(o opener) opener {
	return func(w *walker, at string, depth int, data []byte) containerFailure {
		o(w, at, depth, data)
		return containerFailure{}
	}
}

// sevenZipAES is the coder id of 7zAES: 7z has no encryption flag
// (docs/libraries.md), but an unencrypted header names its coders.
var sevenZipAES = []byte{0x06, 0xf1, 0x07, 0x01}

func openMessage(w *walker, at string, depth int, data []byte) containerFailure {
	w.message(data, at, depth)
	return containerFailure{}
}

func looksLikeMessage(data []byte) bool {
	h, _, _ := parseHeader(data[:min(len(data), 64<<10)])
	n := 0
	for _, f := range h {
		switch f.name {
		case "from", "to", "subject", "date", "message-id", "received", "mime-version", "content-type":
			n++
		}
	}
	return n >= 2
}

// openZip lists a zip with archive/zip directly: it gives the encryption
// flag and compressed sizes (for the ratio check before reading), and it
// finds a central directory after prefixed (self-extracting) data. It reads
// the zip every way a tool could (streams.go): each end record in turn,
// then the local headers no central directory accounts for.
func openZip(w *walker, at string, depth int, data []byte) containerFailure {
	ends := zipEnds(data)
	if len(ends) == 0 {
		_, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err == nil {
			err = errors.New("no end of central directory record")
		}
		fail := containerFailure{problem: "zip: " + err.Error(), flags: Flags{Corrupt: true}}
		if n := w.strayLocals(at, depth, data, nil, nil); n > 0 {
			fail.problem += fmt.Sprintf("; %d member(s) listed from their local headers", n)
		}
		return fail
	}
	var (
		fail   containerFailure
		known  = map[int64]localHeader{}
		inside []span
		seen   = map[string]bool{}
		read   int
	)
	// The last record first: it is the one Explorer reads, and a zip
	// stored inside a member ends inside that member's data.
	for k := len(ends) - 1; k >= 0; k-- {
		e := ends[k]
		if inSpans(inside, int64(e.at)) {
			continue
		}
		zr, err := zip.NewReader(bytes.NewReader(data[:e.end]), int64(e.end))
		if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
			fail = fail.and(containerFailure{problem: "zip: " + err.Error(), flags: Flags{Corrupt: true}})
			continue
		}
		read++
		fail = fail.and(w.zipMembers(zr, at, depth, known, &inside, seen))
		if fail.flags.Limit == "time" {
			return fail
		}
	}
	if read > 1 {
		fail.note = fmt.Sprintf("holds %d zip archives back to back (tools disagree on which they show): all are listed", read)
	}
	if n := w.strayLocals(at, depth, data, known, inside); n > 0 {
		fail.note = joinProblem(fail.note, fmt.Sprintf("%d member(s) found by local headers that the central directory does not list as such", n))
	}
	w.zipInside = inside
	return fail
}

// zipMembers lists the members of one reading of a zip, skipping those an
// earlier reading listed with the same name, CRC and size, and records
// where each member's data lies (known, inside).
func (w *walker) zipMembers(zr *zip.Reader, at string, depth int, known map[int64]localHeader, inside *[]span, seen map[string]bool) containerFailure {
	var fail containerFailure
	for _, f := range zr.File {
		if w.expired() {
			return containerFailure{problem: "walk time limit reached inside this archive", flags: Flags{Limit: "time"}}
		}
		size, comp := int64(f.UncompressedSize64), int64(f.CompressedSize64)
		if off, err := f.DataOffset(); err == nil {
			known[off] = localHeader{name: f.Name, method: f.Method, crc: f.CRC32, csize: comp, usize: size}
			*inside = append(*inside, span{off, off + comp})
		}
		key := f.Name + "\x00" + strconv.FormatUint(uint64(f.CRC32), 16) + "\x00" + strconv.FormatInt(size, 10)
		if seen[key] {
			continue
		}
		seen[key] = true
		if f.FileInfo().IsDir() || f.Mode()&fs.ModeSymlink != 0 {
			continue
		}
		name := f.Name
		if f.NonUTF8 {
			name = toUTF8("ibm437", []byte(name)) // the zip spec's legacy code page
		}
		bi := memberInfo(at, name, depth)
		switch {
		case f.Flags&0x1 != 0 && w.password != "":
			rc, err := openEncrypted(f, w.password)
			if err != nil {
				w.listed(bi, size, Flags{Encrypted: true}, "zip member is encrypted: "+err.Error())
				fail = containerFailure{problem: "has encrypted members", flags: Flags{Encrypted: true}}
				continue
			}
			w.member(bi, rc, size, comp)
			continue
		case f.Flags&0x1 != 0:
			w.listed(bi, size, Flags{Encrypted: true}, "zip member is encrypted (password-protected)")
			fail = containerFailure{problem: "has encrypted members", flags: Flags{Encrypted: true}}
			continue
		case size > int64(w.lim.MaxFileBytes):
			w.listed(bi, size, Flags{Limit: "file_bytes"}, fmt.Sprintf("declares %d bytes, more than max_file_bytes (%s)", size, w.lim.MaxFileBytes))
			continue
		case comp > 0 && size > comp*int64(w.lim.MaxRatio)+1<<20:
			w.listed(bi, size, Flags{Limit: "ratio"}, fmt.Sprintf("declares %d bytes from %d compressed: more than max_ratio (%d×), a bomb?", size, comp, w.lim.MaxRatio))
			continue
		}
		rc, err := f.Open()
		if err != nil {
			w.listed(bi, size, Flags{Corrupt: true}, "zip: "+err.Error())
			continue
		}
		w.member(bi, rc, size, comp)
		rc.Close()
	}
	return fail
}

// memberInfo names a member: its cleaned path inside the archive under
// the container's path, its base name as the declared name.
func memberInfo(at, name string, depth int) blobInfo {
	clean := strings.TrimLeft(path.Clean("/"+strings.ReplaceAll(name, `\`, "/")), "/")
	if clean == "" || clean == "." {
		clean = "unnamed"
	}
	return blobInfo{path: childPath(at, safePath(clean)), name: path.Base(clean), depth: depth + 1}
}

// safePath is safeName applied to each element.
func safePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = safeName(s, "_")
	}
	return strings.Join(parts, "/")
}

// mholtFormat is the extractor for kind ("7z", "rar", "tar"), with the
// password being tried, if any.
func mholtFormat(kind, password string) archives.Extractor {
	switch kind {
	case "7z":
		return archives.SevenZip{Password: password}
	case "rar":
		return archives.Rar{Password: password}
	}
	return archives.Tar{}
}

// openMholt lists 7z, rar and tar through github.com/mholt/archives.
func openMholt(kind string) opener {
	return func(w *walker, at string, depth int, data []byte) containerFailure {
		ex := mholtFormat(kind, w.password)
		var fail containerFailure
		ctx, cancel := context.WithCancel(w.ctx)
		defer cancel()
		// A solid 7z or rar gives no per-file compressed size: the ratio
		// is checked against the whole archive, per member.
		comp := int64(len(data))
		listedBefore := len(w.res.Files)
		err := ex.Extract(ctx, bytes.NewReader(data), func(ctx context.Context, fi archives.FileInfo) error {
			if w.expired() {
				fail = containerFailure{problem: "walk time limit reached inside this archive", flags: Flags{Limit: "time"}}
				return fs.SkipAll
			}
			if fi.IsDir() || fi.LinkTarget != "" || !fi.Mode().IsRegular() && fi.Mode()&fs.ModeType != 0 {
				return nil
			}
			if th, ok := fi.Header.(*tar.Header); ok && th.Typeflag != tar.TypeReg && th.Typeflag != tar.TypeRegA {
				return nil
			}
			bi := memberInfo(at, fi.NameInArchive, depth)
			size := fi.Size()
			if rh, ok := fi.Header.(*rardecode.FileHeader); ok && rh.Encrypted && w.password == "" {
				w.listed(bi, size, Flags{Encrypted: true}, "rar member is encrypted (password-protected)")
				fail = containerFailure{problem: "has encrypted members", flags: Flags{Encrypted: true}}
				return nil
			}
			if size > int64(w.lim.MaxFileBytes) {
				w.listed(bi, size, Flags{Limit: "file_bytes"}, fmt.Sprintf("declares %d bytes, more than max_file_bytes (%s)", size, w.lim.MaxFileBytes))
				return nil
			}
			f, err := fi.Open()
			if err != nil {
				if isEncryptionError(err) {
					w.listed(bi, size, Flags{Encrypted: true}, kind+": cannot decrypt: "+err.Error())
					fail = containerFailure{problem: "has encrypted members", flags: Flags{Encrypted: true}}
				} else {
					w.listed(bi, size, Flags{Corrupt: true}, kind+": "+err.Error())
				}
				return nil
			}
			defer f.Close()
			w.member(bi, f, size, comp)
			return nil
		})
		if err != nil && fail.problem == "" {
			msg := kind + ": " + err.Error()
			if isEncryptionError(err) || kind == "7z" && bytes.Contains(data, sevenZipAES) {
				return containerFailure{problem: msg, flags: Flags{Encrypted: true}}
			}
			if errors.Is(err, context.DeadlineExceeded) {
				return containerFailure{problem: "walk time limit reached inside this archive", flags: Flags{Limit: "time"}}
			}
			return containerFailure{problem: msg, flags: Flags{Corrupt: true}}
		}
		if kind == "7z" && fail.problem == "" && bytes.Contains(data, sevenZipAES) {
			// Plain headers, encrypted data: the members read as garbage
			// (lzma errors), which means "needs a password", not damage.
			for _, f := range w.res.Files[listedBefore:] {
				if f.Flags.Any() {
					return containerFailure{problem: "has encrypted members (7zAES)", flags: Flags{Encrypted: true}}
				}
			}
		}
		return fail
	}
}

// openCompressed lists the one file inside a compressed stream, named as
// the container without its compression extension.
func openCompressed(d archives.Decompressor, kind string, exts ...string) opener {
	return func(w *walker, at string, depth int, data []byte) containerFailure {
		r, err := d.OpenReader(bytes.NewReader(data))
		if err != nil {
			return containerFailure{problem: kind + ": " + err.Error(), flags: Flags{Corrupt: true}}
		}
		defer r.Close()
		base := path.Base(at)
		name := base
		for _, e := range exts {
			if strings.HasSuffix(strings.ToLower(base), e) {
				name = base[:len(base)-len(e)]
				if e == ".tgz" || e == ".tbz" || e == ".txz" || e == ".tzst" {
					name += ".tar"
				}
				break
			}
		}
		if name == base || name == "" {
			name = base + ".decompressed"
		}
		w.member(blobInfo{path: childPath(at, safeName(name, "data")), name: name, depth: depth + 1}, r, -1, int64(len(data)))
		return containerFailure{}
	}
}
