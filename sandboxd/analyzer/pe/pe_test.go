package pe

import (
	"context"
	"testing"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/testkit"
)

func FuzzPE(f *testing.F) {
	testkit.Seeds(f, New())
	f.Fuzz(func(t *testing.T, data []byte) { testkit.Check(t, New(), data) })
}

func TestMalformed(t *testing.T) {
	pe := make([]byte, 512)
	copy(pe, "MZ")
	pe[0x3c] = 0x80
	copy(pe[0x80:], "PE\x00\x00")
	pe[0x86] = 0xff // 255 sections that are not there
	tests := []struct {
		name string
		data []byte
	}{
		{"MZ only", []byte("MZ")},
		{"bad section count", pe},
		{"ELF header only", []byte("\x7fELF\x02\x01\x01")},
		{"Mach-O magic only", []byte{0xcf, 0xfa, 0xed, 0xfe, 0, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New().Analyze(context.Background(), &analyzer.File{Data: tc.data})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Findings) == 0 || r.Findings[0].Rule != "malformed" {
				t.Errorf("want a malformed finding, got %+v", r.Findings)
			}
		})
	}
}
