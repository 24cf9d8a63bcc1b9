package extract

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kdomanski/iso9660"
)

// localCorpus holds the MIT/BSD/PSF/zlib samples copied from public test
// suites, with their attribution (testdata/corpus/ATTRIBUTION.md); the TNEF
// samples (MIT, GPL-2.0+, LGPL-3.0, each beside its license) live with the
// TNEF reader in tnefCorpus. Everything a test reads is in the repository.
const (
	localCorpus = "testdata/corpus"
	tnefCorpus  = "tnef/testdata/corpus"
)

// corpusFile reads a corpus sample by its path in the shared layout
// ("mime/...", "archives/...", "tnef/...").
func corpusFile(t testing.TB, rel string) []byte {
	t.Helper()
	dir := localCorpus
	if strings.HasPrefix(rel, "tnef/") {
		dir = tnefCorpus
	}
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func corpusFiles(t testing.TB, sub string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(filepath.Join(localCorpus, sub), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".md") && !strings.Contains(p, "/files/") {
			out = append(out, p)
		}
		return nil
	})
	if len(out) == 0 || !strings.Contains(sub, "tnef") && len(out) < 10 {
		t.Fatalf("corpus files missing under %s: %d", sub, len(out))
	}
	return out
}

// Every message of the corpus is walked without a crash or a hang.
func TestCorpusMessages(t *testing.T) {
	for _, p := range corpusFiles(t, "mime") {
		t.Run(filepath.Base(p), func(t *testing.T) {
			msg, _ := os.ReadFile(p)
			start := time.Now()
			r, err := Walk(context.Background(), msg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("walk took %s", d)
			}
			for _, f := range r.Files {
				if f.Path == "" || f.Category == "" {
					t.Errorf("file without path or category: %+v", f)
				}
			}
		})
	}
}

// Every archive of the corpus is walked without a crash or a hang, and
// the ones that hold readable files list them.
func TestCorpusArchives(t *testing.T) {
	want := map[string][]string{ // container-relative paths that must be listed unflagged
		"mholt/gnu-hardlinks.tar": {"dir-1/dir-2/file-a"},
		"mholt/symlinks.zip":      {"zip_test/a/hello"},
		"mikel-mail/test.zip":     {"test.pdf", "__MACOSX/._test.pdf"},
		"sevenzip/lzma2.7z":       {"01", "05", "10"},
		"unarr/test.7z":           {"7z"},
		"unarr/test.rar":          {"rar"},
		"unarr/test.tar":          {"tar"},
		"unarr/test.zip":          {"zip"},
		"unarr/test_subdir.zip":   {"test/test.txt"},
	}
	flagged := map[string]string{ // container must carry this flag
		"sevenzip/t2.7z":           "encrypted",
		"unarr/test_corrupted.zip": "corrupt",
		"mholt/test.part01.rar":    "corrupt",
		"sevenzip/multi.7z.001":    "corrupt",
	}
	for _, p := range corpusFiles(t, "archives") {
		rel, _ := filepath.Rel(filepath.Join(localCorpus, "archives"), p)
		t.Run(rel, func(t *testing.T) {
			data, _ := os.ReadFile(p)
			name := filepath.Base(p)
			r, err := WalkFile(context.Background(), name, data, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range want[rel] {
				f := find(t, r, name+"/"+m)
				if f.Flags.Any() || f.SHA256 == "" {
					t.Errorf("%s: %+v %s", m, f.Flags, f.Problem)
				}
			}
			if fl, ok := flagged[rel]; ok {
				got := r.Files[0].Flags.String()
				if !strings.Contains(got, fl) {
					t.Errorf("container flags %q, want %s (%s)", got, fl, r.Files[0].Problem)
				}
			}
		})
	}
}

// The attachments of the Hunnysoft samples decode to the originals stored
// beside them. Images must match byte for byte; the text files were
// converted to the sending MUA's line endings (PINE doubled the CR, Eudora
// wrote Mac CRs), so text is compared with line endings normalised.
func TestHunnysoftAttachmentsMatchOriginals(t *testing.T) {
	dir := filepath.Join(localCorpus, "mime/hunnysoft")
	originals := map[string][]byte{}
	entries, _ := os.ReadDir(filepath.Join(dir, "files"))
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, "files", e.Name()))
		originals[strings.ToLower(e.Name())] = b
	}
	expect := map[string]int{ // sample → attachments that must match
		"m0011.txt": 3, "m0018.txt": 3, "m1005.txt": 4, "m1014.txt": 3, "m2010.txt": 2,
		"m2011.txt": 2, "m3004.txt": 1, "m3007.txt": 3, "m4006.txt": 1,
	}
	for sample, n := range expect {
		t.Run(sample, func(t *testing.T) {
			msg, _ := os.ReadFile(filepath.Join(dir, sample))
			r, err := Walk(context.Background(), msg, Options{KeepData: true})
			if err != nil {
				t.Fatal(err)
			}
			matched := 0
			for _, f := range r.Files {
				name := strings.ToLower(strings.ReplaceAll(f.Name, "ö", "o"))
				if strings.HasPrefix(name, "nsmail") {
					// Netscape names inline images by temp file; match by content.
					for _, o := range originals {
						if bytes.Equal(o, f.Data) {
							name = "match"
						}
					}
					if name == "match" {
						matched++
					}
					continue
				}
				orig, ok := originals[name]
				if !ok {
					t.Errorf("attachment %q has no original", f.Name)
					continue
				}
				if bytes.Equal(orig, f.Data) || strings.HasSuffix(name, ".txt") && bytes.Equal(normEOL(orig), normEOL(f.Data)) {
					matched++
				} else {
					t.Errorf("%s: decoded %d bytes differ from the original (%d)", f.Name, len(f.Data), len(orig))
				}
			}
			if matched != n {
				t.Errorf("matched %d attachments, want %d", matched, n)
			}
		})
	}
}

func normEOL(b []byte) []byte {
	b = bytes.ReplaceAll(b, []byte("\r"), []byte("\n"))
	for bytes.Contains(b, []byte("\n\n\n")) {
		b = bytes.ReplaceAll(b, []byte("\n\n"), []byte("\n"))
	}
	return bytes.ReplaceAll(b, []byte("\n\n"), []byte("\n"))
}

// The TNEF messages in the MIME corpus list their attachments through the
// MIME walk, nested embedded messages included.
func TestCorpusTNEFInMIME(t *testing.T) {
	r := walk(t, corpusFile(t, "mime/mimekit/rich-text.eml"))
	n := 0
	for _, f := range r.Files {
		if f.Name == "kitten-playing-with-a-christmas-tree.jpg" {
			n++
			if f.Size != 375081 || f.Category != "other" {
				t.Errorf("%s: %d bytes, %s", f.Path, f.Size, f.Category)
			}
		}
	}
	if n != 2 {
		t.Errorf("found the jpg %d times, want 2 (one in a nested embedded message)", n)
	}
	r = walk(t, corpusFile(t, "mime/hunnysoft/m4006.txt"))
	if f := find(t, r, "winmail.dat"); f.SniffedType != "image/png" || f.Container {
		t.Errorf("PNG labelled winmail.dat: %+v", f)
	}
}

// isoOf builds an ISO 9660 image in memory.
func isoOf(t testing.TB, files map[string][]byte) []byte {
	t.Helper()
	w, err := iso9660.NewWriter()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Cleanup()
	for name, data := range files {
		if err := w.AddFile(bytes.NewReader(data), name); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := w.WriteTo(&b, "INVOICE"); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
