package office

import (
	"bytes"
	"strings"
	"testing"
)

func TestCompressRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"short", []byte("Attribute VB_Name = \"Module1\"\r\n")},
		{"repetitive", bytes.Repeat([]byte("abcabcabc Shell "), 700)},
		{"mixed", []byte(strings.Repeat("Sub AutoOpen()\r\n  x = Chr(104) & Chr(116)\r\nEnd Sub\r\n", 300) + "tail")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Compress(tc.in)
			got, err := Decompress(c, 1<<24)
			if err != nil {
				t.Fatalf("Decompress: %v", err)
			}
			if !bytes.Equal(got, tc.in) {
				t.Fatalf("round trip differs: got %d bytes, want %d", len(got), len(tc.in))
			}
		})
	}
}

// The example of MS-OVBA 3.2 (a compressed "#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa").
func TestDecompressSpecExample(t *testing.T) {
	in := []byte{0x01, 0x2F, 0xB0, 0x00, 0x23, 0x61, 0x61, 0x61, 0x62, 0x63, 0x64, 0x65, 0x82, 0x66, 0x00, 0x70,
		0x61, 0x67, 0x68, 0x69, 0x6A, 0x01, 0x38, 0x08, 0x61, 0x6B, 0x6C, 0x00, 0x30, 0x6D, 0x6E, 0x6F, 0x70,
		0x06, 0x71, 0x02, 0x70, 0x04, 0x10, 0x72, 0x73, 0x74, 0x75, 0x76, 0x10, 0x77, 0x78, 0x79, 0x7A, 0x00, 0x3C}
	want := "#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa"
	got, err := Decompress(in, 1<<20)
	if err != nil || string(got) != want {
		t.Fatalf("got %q, %v; want %q", got, err, want)
	}
}

func TestDecompressBounded(t *testing.T) {
	big := Compress(bytes.Repeat([]byte{'A'}, 1<<20))
	got, err := Decompress(big, 1000)
	if err == nil || len(got) > 1000 {
		t.Fatalf("limit not enforced: %d bytes, %v", len(got), err)
	}
	for _, bad := range [][]byte{{0x01, 0xff}, {0x01, 0x00, 0xb0, 0xff, 0x01}, {0x02}} {
		Decompress(bad, 1<<20) // must not panic
	}
}
