package office

import (
	"archive/zip"
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/testkit"
)

func FuzzOffice(f *testing.F) {
	testkit.Seeds(f, New())
	f.Fuzz(func(t *testing.T, data []byte) { testkit.Check(t, New(), data) })
}

func FuzzDecompress(f *testing.F) {
	f.Add(Compress([]byte("Attribute VB_Name = \"Module1\"\r\nSub AutoOpen()\r\nEnd Sub\r\n")))
	f.Add([]byte{0x01, 0x2f, 0xb0, 0x00, 0x23, 0x61})
	f.Fuzz(func(t *testing.T, data []byte) {
		out, _ := Decompress(data, 1<<20)
		if len(out) > 1<<20 {
			t.Fatalf("output %d bytes over the limit", len(out))
		}
		parseDir(out)
	})
}

// An OOXML part that inflates to 1 GiB is read up to the part budget.
func TestGigabytePart(t *testing.T) {
	bomb := testkit.DeflateBomb(1 << 30)
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "word/document.xml", Method: zip.Deflate,
		CompressedSize64: uint64(len(bomb)), UncompressedSize64: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(bomb)
	w, _ = zw.Create("[Content_Types].xml")
	w.Write([]byte("<Types/>"))
	w, _ = zw.Create("word/_rels/settings.xml.rels")
	w.Write([]byte(`<Relationships><Relationship Id="r" Type="http://x/attachedTemplate" Target="http://198.51.100.1/t.dotm" TargetMode="External"/></Relationships>`))
	zw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := New().Analyze(ctx, &analyzer.File{Data: b.Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range r.Findings {
		found = found || f.Rule == "remote-template"
	}
	if !found {
		t.Fatalf("the part after the bomb was not judged: %+v", r.Findings)
	}
}

func TestMalformed(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"truncated OLE", append([]byte(nil), oleMagic...)},
		{"OLE header only", append(append([]byte(nil), oleMagic...), make([]byte, 600)...)},
		{"zip junk", []byte("PK\x03\x04garbage")},
		{"rtf unterminated objdata", []byte(`{\rtf1{\object\objupdate{\*\objdata 0105000002000000`)},
		{"rtf odd header", []byte(`{\rtx`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New().Analyze(context.Background(), &analyzer.File{Data: tc.data})
			if err != nil {
				t.Fatalf("Analyze: %v", err)
			}
			if tc.name != "rtf unterminated objdata" && tc.name != "rtf odd header" && r.Unscannable == "" {
				t.Errorf("corrupt container not reported unscannable: %+v", r)
			}
		})
	}
}
