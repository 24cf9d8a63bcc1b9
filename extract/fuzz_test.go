package extract

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/config"
)

// Fuzz targets for the MIME walk and the archive walk. Their seed corpora
// are the corpus samples we may copy (testdata/fuzz/...), the shared
// corpus read in place, and the hostile shapes built by the tests; CI runs
// them as normal tests over those seeds.

func fuzzLimits() Options {
	lim := config.DefaultExtract()
	lim.MaxFileBytes = 4 << 20
	lim.MaxTotalBytes = 16 << 20
	lim.Timeout = 5 * time.Second
	return Options{Limits: lim}
}

func addSeeds(f *testing.F, dirs ...string) {
	for _, d := range dirs {
		filepath.WalkDir(d, func(p string, e os.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				if b, err := os.ReadFile(p); err == nil && len(b) < 2<<20 {
					f.Add(b)
				}
			}
			return nil
		})
	}
}

func checkResult(t *testing.T, r *Result, lim config.Extract) {
	if len(r.Files) > lim.MaxFiles+1 {
		t.Fatalf("%d files listed, limit %d", len(r.Files), lim.MaxFiles)
	}
	for _, f := range r.Files {
		if f.Depth > lim.MaxDepth+1 {
			t.Fatalf("file at depth %d: %s", f.Depth, f.Path)
		}
		if f.Size > int64(lim.MaxFileBytes) && f.SHA256 != "" {
			t.Fatalf("file over max_file_bytes was hashed: %s", f.Path)
		}
		if f.Category == "" {
			t.Fatalf("file without category: %s", f.Path)
		}
	}
}

func FuzzWalkMessage(f *testing.F) {
	addSeeds(f, "testdata/corpus/mime", "testdata/evasion")
	f.Add(message("x", attach("a.zip", "application/zip", zipOf(f, zipEntry{"b.exe", minimalPE()}))))
	f.Add(message("x", forwarded("f.eml", message("y", textPart("z")))))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=a\r\n\r\n--a\r\nContent-Type: message/rfc822\r\n\r\n--a--"))
	opts := fuzzLimits()
	f.Fuzz(func(t *testing.T, msg []byte) {
		r, err := Walk(context.Background(), msg, opts)
		if err != nil {
			t.Fatal(err)
		}
		checkResult(t, r, opts.Limits)
		// The MIME walk (readings included) must not lean on the
		// guard: a crash there is a bug, not a hostile input's cost.
		for _, p := range r.Problems {
			if strings.HasPrefix(p, "parser crashed on message:") {
				t.Fatal(p)
			}
		}
	})
}

func FuzzWalkArchive(f *testing.F) {
	addSeeds(f, "testdata/corpus/archives", "tnef/testdata/corpus/tnef", "testdata/encrypted")
	f.Add(zipOf(f, zipEntry{"a/b.txt", []byte("hello")}, zipEntry{"c.zip", zipOf(f, zipEntry{"d.js", []byte("x")})}))
	f.Add(encryptedZip(f, "x.exe"))
	// Every way of reading a zip (streams.go): archives back to back, a
	// local header no directory lists, a 7z after a prefix.
	a, b := zipOf(f, zipEntry{"a.txt", []byte("a")}), storedZipOf(f, zipEntry{"b.vbs", []byte("b")}, zipEntry{"in.zip", zipOf(f, zipEntry{"c", nil})})
	f.Add(append(append([]byte{}, a...), b...))
	f.Add(append(append([]byte{}, b[:bytes.Index(b, []byte("PK\x01\x02"))]...), a...))
	f.Add(append([]byte("%PDF-1.4\n"), readSeed(f, "testdata/corpus/archives/unarr/test.7z")...))
	f.Add(append([]byte("MZ"), readSeed(f, "testdata/corpus/archives/unarr/test.rar")...))
	opts := fuzzLimits()
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := WalkFile(context.Background(), "sample", data, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Files) == 0 {
			t.Fatal("the file itself was not listed")
		}
		checkResult(t, r, opts.Limits)
	})
}

func readSeed(f *testing.F, p string) []byte {
	f.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// FuzzReadings drives the reading paths on their own: header readings,
// parameter candidates and both ways of splitting a multipart, with the
// invariants the walk relies on.
func FuzzReadings(f *testing.F) {
	addSeeds(f, "testdata/evasion")
	f.Add([]byte("Subject: x\r\nno colon\r\nContent-Type: multipart/mixed; boundary=\"b\"; boundary=c\r\n \r\n\r\n--b\r\n\r\nx\r\n --b junk\r\n--b--\r\n--b\r\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		rs := headerReadings(msg)
		h, body, _ := parseHeader(msg)
		if len(rs) == 0 || len(rs[0].h) != len(h) || !bytes.Equal(rs[0].body, body) {
			t.Fatalf("first reading is not the strict one")
		}
		for _, r := range rs {
			if !bytes.HasSuffix(msg, r.body) {
				t.Fatalf("reading %q: body is not a suffix of the input", r.why)
			}
			for _, fl := range r.h {
				if fl.name != "content-type" {
					continue
				}
				for _, c := range paramCandidates(fl.value, "boundary") {
					if c == "" || len(c) > 200 {
						t.Fatalf("bad boundary candidate %q", c)
					}
					for _, lenient := range []bool{false, true} {
						sp := splitMultipart(r.body, c, lenient)
						checkSplit(t, r.body, sp)
					}
				}
			}
		}
		if b := structureBoundary(msg); b != "" && !bytes.Contains(msg, []byte("--"+b)) {
			t.Fatalf("structure boundary %q not in the input", b)
		}
		cr, lf := lineBreakReadings(msg)
		if cr != nil && bytes.Count(cr, []byte("\r"))-bytes.Count(cr, []byte("\r\n")) != 0 {
			t.Fatal("CR reading left a bare CR")
		}
		if lf != nil && len(lf) != len(msg) {
			t.Fatal("CRLF-only reading changed the length")
		}
	})
}

// checkSplit: every part, the preamble and the epilogue lie inside body,
// in order, without overlap.
func checkSplit(t *testing.T, body []byte, sp split) {
	t.Helper()
	last := 0
	within := func(p []byte) int {
		if len(p) == 0 {
			return -1
		}
		// A subslice of body shares its array: its offset shows in its
		// capacity.
		off := cap(body) - cap(p)
		if off < last || off+len(p) > len(body) || &body[off] != &p[0] {
			t.Fatalf("slice not inside the body at or after %d", last)
		}
		return off
	}
	for _, p := range append(append([][]byte{sp.preamble}, sp.parts...), sp.epilogue) {
		if off := within(p); off >= 0 {
			last = off + len(p)
		}
	}
}

// FuzzDecodings: every transfer-encoding reading of any body is bounded
// and never panics, and base64 of any data decodes back to it, whole or
// split in padded chunks.
func FuzzDecodings(f *testing.F) {
	f.Add([]byte("hello"), "base64", uint8(3))
	f.Add([]byte("=ybegin name=a\r\nxx\r\n=yend\r\n"), "x-uue", uint8(0))
	f.Add([]byte("\xff\xfeb\x00e\x00g\x00"), "base-64 (c)", uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, cte string, cut uint8) {
		for _, d := range decodings([]string{cte, "base64", "quoted-printable", "x-uuencode"}, data) {
			if len(d.data) > 4*len(data)+16 {
				t.Fatalf("%q reading grew %d bytes to %d", d.why, len(data), len(d.data))
			}
		}
		enc := base64.StdEncoding.EncodeToString(data)
		got, junk, _ := decodeBase64([]byte(wrap76(enc)))
		if junk || !bytes.Equal(got, data) {
			t.Fatalf("base64 round trip: junk=%v", junk)
		}
		if k := int(cut) % (len(data) + 1); k > 0 && k < len(data) {
			two := base64.StdEncoding.EncodeToString(data[:k]) + base64.StdEncoding.EncodeToString(data[k:])
			rd := base64Readings([]byte(two))
			found := false
			for _, r := range rd {
				found = found || bytes.Equal(r.data, data)
			}
			if !found {
				t.Fatalf("padded chunks: no reading gives the data back (%d readings)", len(rd))
			}
		}
		w, cancel := newWalker(context.Background(), fuzzLimits())
		defer cancel()
		w.inlineFiles(data, cte, "", 0)
		checkResult(t, w.res, w.lim)
	})
}
