package chm

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/testkit"
)

// The decoder reproduces, byte for byte, what 7-Zip extracts from a CHM
// compressed by an independent LZX encoder (Halibut).
func TestLZXMatchesSevenZip(t *testing.T) {
	b, err := os.ReadFile("testdata/halibut-help.chm")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("testdata/halibut-help.7zip.sha256")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if ok {
			want["/"+name] = sum
		}
	}
	a, err := parseITSF(b)
	if err != nil {
		t.Fatal(err)
	}
	compared := 0
	for _, e := range a.entries {
		sum, ok := want[e.name]
		if !ok {
			continue
		}
		data, err := a.read(context.Background(), e)
		if err != nil {
			t.Fatalf("%s: %v", e.name, err)
		}
		got := sha256.Sum256(data)
		if hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s (section %d, %d bytes): differs from 7-Zip's extraction", e.name, e.section, len(data))
		}
		compared++
	}
	if compared != len(want) {
		t.Errorf("compared %d files, 7-Zip extracted %d", compared, len(want))
	}
}

func TestHalibutHelpIsClean(t *testing.T) {
	b, _ := os.ReadFile("testdata/halibut-help.chm")
	r, err := New().Analyze(context.Background(), &analyzer.File{Data: b, Ext: ".chm"})
	if err != nil || r.Unscannable != "" {
		t.Fatalf("err %v, unscannable %q", err, r.Unscannable)
	}
	for _, f := range r.Findings {
		if f.Severity > 0 {
			t.Errorf("finding on an ordinary help file: %+v", f)
		}
	}
}

// A reset table that claims a gibibyte is bounded by maxDecompressed and by
// the input running out, not by the claim; a file past what decodes is
// an error (the analyzer then says unscannable), never empty bytes.
func TestLZXClaimBounded(t *testing.T) {
	b, _ := os.ReadFile("testdata/halibut-help.chm")
	a, err := parseITSF(b)
	if err != nil {
		t.Fatal(err)
	}
	rt := a.byName[strings.ToLower("::DataSpace/Storage/MSCompressed/Transform/{7FC28940-9D31-11D0-9B27-00A0C91E9C7C}/InstanceData/ResetTable")]
	patched := append([]byte(nil), b...)
	binary.LittleEndian.PutUint64(patched[a.contentOffset+rt.offset+0x10:], 1<<30)
	p, err := parseITSF(patched)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s1, err := p.decompress(ctx)
	if err == nil {
		t.Error("decoding past the end of the compressed data gave no error")
	}
	if len(s1) > maxDecompressed {
		t.Errorf("decoded %d bytes, budget %d", len(s1), maxDecompressed)
	}
	if _, err := p.read(ctx, entry{name: "/far.htm", section: 1, offset: 1 << 40, length: 10}); err == nil {
		t.Error("a file past the decoded section read without error")
	}
}

func TestNotCHM(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("ITSF"), append([]byte("ITSF\x03\x00\x00\x00\x60"), make([]byte, 200)...)} {
		r, err := New().Analyze(context.Background(), &analyzer.File{Data: b, Ext: ".chm"})
		if err != nil || r.Unscannable == "" {
			t.Errorf("%q: err %v, unscannable %q; want unscannable", b[:min(len(b), 8)], err, r.Unscannable)
		}
	}
}

func TestShortcutItem(t *testing.T) {
	for _, tc := range []struct{ in, prog, args string }{
		{",cmd.exe,/c calc.exe", "cmd.exe", "/c calc.exe"},
		{"cmd.exe,/c calc.exe", "cmd.exe", "/c calc.exe"},
		{",hh.exe,-decompile x y", "hh.exe", "-decompile x y"},
		{"notepad.exe", "notepad.exe", ""},
	} {
		p, a := shortcutItem(tc.in)
		if p != tc.prog || a != tc.args {
			t.Errorf("shortcutItem(%q) = %q, %q; want %q, %q", tc.in, p, a, tc.prog, tc.args)
		}
	}
}

func FuzzCHM(f *testing.F) {
	testkit.Seeds(f, New())
	b, _ := os.ReadFile("testdata/halibut-help.chm")
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) { testkit.Check(t, New(), data) })
}

// FuzzLZX drives the decoder directly with any window and reset interval.
func FuzzLZX(f *testing.F) {
	b, _ := os.ReadFile("testdata/halibut-help.chm")
	if a, err := parseITSF(b); err == nil {
		c, _ := a.system("::DataSpace/Storage/MSCompressed/Content")
		f.Add(c[:min(len(c), 4096)], uint8(16), uint8(2))
	}
	f.Add([]byte{0x00, 0x30, 0x00, 0x00}, uint8(15), uint8(1))
	f.Fuzz(func(t *testing.T, in []byte, wbits, reset uint8) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, _ := decompressLZX(ctx, in, 1<<20, 15+int(wbits%7), int(reset%4))
		if len(out) > 1<<20 {
			t.Fatalf("decoded %d bytes past the %d asked for", len(out), 1<<20)
		}
	})
}

// BenchmarkHalibut judges a 42 KB help file that inflates to 800 KB
// (real LZX: matches, Huffman trees, resets).
func BenchmarkHalibut(b *testing.B) {
	data, err := os.ReadFile("testdata/halibut-help.chm")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		r, err := New().Analyze(context.Background(), &analyzer.File{Data: data})
		if err != nil || r.Unscannable != "" {
			b.Fatal(err, r.Unscannable)
		}
	}
}

// itsf builds a minimal ITSF file by hand: one PMGL chunk listing names
// that all point at the same content bytes.
func itsf(content []byte, names ...string) []byte {
	le := binary.LittleEndian
	const chunk = 4096
	ch := make([]byte, chunk)
	copy(ch, "PMGL")
	pos := 20
	enc := func(v uint64) []byte {
		var out []byte
		for {
			out = append([]byte{byte(v & 0x7f)}, out...)
			v >>= 7
			if v == 0 {
				break
			}
		}
		for i := 0; i < len(out)-1; i++ {
			out[i] |= 0x80
		}
		return out
	}
	for _, n := range names {
		rec := append(enc(uint64(len(n))), n...)
		rec = append(rec, enc(0)...)
		rec = append(rec, enc(0)...)
		rec = append(rec, enc(uint64(len(content)))...)
		pos += copy(ch[pos:], rec)
	}
	le.PutUint32(ch[4:], uint32(chunk-pos))
	itsp := make([]byte, 0x54)
	copy(itsp, "ITSP")
	le.PutUint32(itsp[8:], 0x54)
	le.PutUint32(itsp[16:], chunk)
	le.PutUint32(itsp[44:], 1)
	dir := append(itsp, ch...)
	h := make([]byte, 0x60)
	copy(h, "ITSF")
	le.PutUint32(h[4:], 3)
	le.PutUint32(h[8:], 0x60)
	le.PutUint64(h[72:], 0x60)
	le.PutUint64(h[80:], uint64(len(dir)))
	le.PutUint64(h[88:], uint64(0x60+len(dir)))
	return append(append(h, dir...), content...)
}

// Directory entries may overlap: twenty names for the same 4 MiB page are
// judged up to the scan budget, then the file is unscannable.
func TestOverlappingEntriesBounded(t *testing.T) {
	page := []byte("<html><body>" + strings.Repeat("<p>help text</p>", (4<<20)/16) + "</body></html>")
	var names []string
	for i := 0; i < 20; i++ {
		names = append(names, fmt.Sprintf("/p%02d.htm", i))
	}
	r, err := New().Analyze(context.Background(), &analyzer.File{Data: itsf(page, names...)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Unscannable, "more than") {
		t.Errorf("unscannable %q, want the scan budget", r.Unscannable)
	}
	one, _ := New().Analyze(context.Background(), &analyzer.File{Data: itsf(page, "/p.htm")})
	if one.Unscannable != "" {
		t.Errorf("one 4 MiB page: unscannable %q", one.Unscannable)
	}
}
