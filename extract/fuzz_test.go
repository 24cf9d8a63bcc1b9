package extract

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
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
	addSeeds(f, "testdata/corpus/mime")
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
