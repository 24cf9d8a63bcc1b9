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
