package archive

import (
	"archive/zip"
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/testkit"
)

func FuzzArchive(f *testing.F) {
	testkit.Seeds(f, New())
	f.Fuzz(func(t *testing.T, data []byte) { testkit.Check(t, New(), data) })
}

// A member that inflates to 1 GiB makes the archive unscannable, quickly,
// and its neighbours are still judged.
func TestGigabyteMember(t *testing.T) {
	bomb := testkit.DeflateBomb(1 << 30)
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "big.txt", Method: zip.Deflate,
		CompressedSize64: uint64(len(bomb)), UncompressedSize64: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(bomb)
	w, _ = zw.Create("invoice.pdf.exe")
	w.Write([]byte("MZ"))
	zw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := New().Analyze(ctx, &analyzer.File{Data: b.Bytes(), Ext: ".zip"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Unscannable == "" {
		t.Errorf("a bomb member must make the archive unscannable: %+v", r)
	}
	found := false
	for _, f := range r.Findings {
		found = found || f.Rule == "double-extension"
	}
	if !found {
		t.Errorf("neighbour not judged: %+v", r.Findings)
	}
}

// An MSIX whose payload comes before its manifest is still a package for
// the msix analyzer, not an archive hiding a program among documents.
func TestMSIXIsNotAnArchive(t *testing.T) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, m := range []struct {
		name string
		data []byte
	}{{"App.exe", append([]byte("MZ"), make([]byte, 100<<10)...)}, {"AppxManifest.xml", []byte("<Package/>")}, {"AppxBlockMap.xml", []byte("<BlockMap/>")}} {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: m.name, Method: zip.Store})
		w.Write(m.data)
	}
	zw.Close()
	if New().Accepts(&analyzer.File{Data: b.Bytes()}) {
		t.Error("the archive analyzer takes an MSIX package")
	}
}
