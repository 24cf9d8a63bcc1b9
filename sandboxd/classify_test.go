package sandboxd

import (
	"archive/zip"
	"bytes"
	"testing"

	"github.com/airlockmail/airlock/extract"
	"github.com/airlockmail/airlock/verdict"
)

// mimetype names a jar application/java-archive; it is a program, not an
// archive to unpack.
func TestSniffJar(t *testing.T) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, _ := zw.Create("META-INF/MANIFEST.MF")
	w.Write([]byte("Manifest-Version: 1.0\r\nMain-Class: a.Main\r\n\r\n"))
	w, _ = zw.Create("a/Main.class")
	w.Write([]byte{0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52})
	zw.Close()
	typ, cat := extract.Classify(b.Bytes(), "")
	if cat != verdict.Executable {
		t.Errorf("jar (%s): category %s, want executable", typ, cat)
	}
}
