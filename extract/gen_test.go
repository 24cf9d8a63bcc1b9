package extract

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"flag"
	"io"
	"os"
	"testing"
)

var gen = flag.Bool("gen", false, "regenerate generated files under testdata/")

// TestGenerateBomb writes testdata/bomb-1g.zip: one member of 1 GiB of
// zeros, about 1 MiB on the wire. It is committed so the tests do not spend
// seconds compressing a gigabyte; run with -gen to rebuild it.
func TestGenerateBomb(t *testing.T) {
	if !*gen {
		// Without -gen, check the committed file is still the bomb the
		// tests rely on.
		zr, err := zip.OpenReader("testdata/bomb-1g.zip")
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		st, _ := os.Stat("testdata/bomb-1g.zip")
		if len(zr.File) != 1 || zr.File[0].UncompressedSize64 != 1<<30 || st.Size() > 2<<20 {
			t.Fatalf("testdata/bomb-1g.zip is not a 1 GiB bomb under 2 MiB: %d files, %d bytes", len(zr.File), st.Size())
		}
		return
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	w, err := zw.Create("invoice.pdf")
	if err != nil {
		t.Fatal(err)
	}
	zero := make([]byte, 1<<20)
	for i := 0; i < 1024; i++ {
		w.Write(zero)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("testdata/bomb-1g.zip", b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("bomb-1g.zip: %d bytes", b.Len())
}
