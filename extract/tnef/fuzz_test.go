package tnef

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to Decode. Seeds: every TNEF sample of
// testdata/corpus and the hand-made edge cases. Invariants: no panic, ErrNotTNEF is the only
// error, attachment data lies inside the input, and limits hold.
func FuzzDecode(f *testing.F) {
	const maxSeed = 128 << 10
	seeds, _ := filepath.Glob(filepath.Join(corpusDir, "tnef", "*", "*.tnef"))
	if len(seeds) < 15 {
		f.Fatalf("found %d TNEF seeds under %s, want the 15 of the corpus", len(seeds), corpusDir)
	}
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		// The three samples over 128 KiB are mostly attachment bytes: as
		// seeds they slow every mutation and minimisation ten-fold and add
		// no structure the others lack. The corpus tests still read them.
		if len(b) <= maxSeed {
			f.Add(b)
		}
	}
	f.Add(stream())
	f.Add(stream(flatten(fileAttachment("a.exe", []byte("MZ")), embedded("e", nest(3)))...))
	f.Add(stream(attr(levelMessage, idCodepage, cat(le32(1251), le32(0))),
		rendData(), attr(levelAttachment, idAttProps, props(
			propUnicode(prAttachLongName, "x"), propString8(prAttachFilename, []byte("\xe0")),
			propObject(prAttachData, iidIMessage, stream()), propI4(prAttachMethod, 5)))))

	lim := Limits{MaxAttachments: 50, MaxBytes: 1 << 20, MaxDepth: 4}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data, lim)
		if err != nil {
			if !errors.Is(err, ErrNotTNEF) || m != nil {
				t.Fatalf("Decode = %v, %v", m, err)
			}
			return
		}
		var count int
		var bytes int64
		var walk func(m *Message, depth int)
		walk = func(m *Message, depth int) {
			if depth > lim.MaxDepth {
				t.Fatalf("message at depth %d, limit %d", depth, lim.MaxDepth)
			}
			if len(m.Problems) > maxProblems+1 {
				t.Fatalf("%d problems recorded", len(m.Problems))
			}
			for _, a := range m.Attachments {
				count++
				if a.Embedded != nil {
					walk(a.Embedded, depth+1)
					continue
				}
				bytes += int64(len(a.Data))
				if len(a.Data) > len(data) {
					t.Fatalf("attachment of %d bytes from %d bytes of input", len(a.Data), len(data))
				}
			}
		}
		walk(m, 0)
		if count > lim.MaxAttachments || bytes > lim.MaxBytes {
			t.Fatalf("%d attachments, %d bytes past limits %+v", count, bytes, lim)
		}
	})
}
