package filetype

import (
	"context"
	"testing"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
)

// A DOS/PE header is enough for mimetype to say "executable".
var pe = append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"), make([]byte, 0x3c-14)...)

func init() {
	pe = append(pe, 0x40, 0, 0, 0)
	pe = append(pe, []byte("PE\x00\x00\x4c\x01")...)
	pe = append(pe, make([]byte, 256)...)
}

func TestFiletype(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		ext  string
		rule string // "" = no finding
	}{
		{"exe as exe", pe, ".exe", ""},
		{"exe as pdf", pe, ".pdf", "executable-disguised"},
		{"exe as dat", pe, ".dat", "executable-unusual-extension"},
		{"exe as scr", pe, ".scr", "rare-executable-extension"},
		{"text as exe", []byte("hello world"), ".exe", "not-an-executable"},
		{"pdf as pdf", []byte("%PDF-1.7\n1 0 obj\n"), ".pdf", ""},
		{"html as pdf", []byte("<!DOCTYPE html><html><script>x()</script></html>"), ".pdf", "type-mismatch"},
	}
	a := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &analyzer.File{Data: tt.data, Ext: tt.ext}
			if !a.Accepts(f) {
				t.Fatal("not accepted")
			}
			r, err := a.Analyze(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if len(r.Findings) > 0 {
				got = r.Findings[0].Rule
			}
			if got != tt.rule {
				t.Errorf("rule = %q, want %q (%+v)", got, tt.rule, r.Findings)
			}
		})
	}
	if a.Accepts(&analyzer.File{Data: pe}) {
		t.Error("accepted a file with no extension")
	}
}
