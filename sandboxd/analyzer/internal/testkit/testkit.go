// Package testkit holds what the analyzers' tests share: fuzz seeds from
// the detection corpus, the checks every fuzz run makes, and cheap
// decompression bombs (a gibibyte of zeros in about a megabyte).
package testkit

import (
	"bytes"
	"compress/flate"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
)

// CorpusDir is the generated corpus, relative to an analyzer's package.
const CorpusDir = "../testdata/corpus"

// Seeds adds every corpus file that a accepts (judged with its
// extension) to the fuzz corpus, and returns how many.
func Seeds(f *testing.F, a analyzer.Analyzer) int {
	f.Helper()
	ents, err := os.ReadDir(CorpusDir)
	if err != nil {
		f.Fatalf("corpus: %v", err)
	}
	n := 0
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(CorpusDir, e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		if a.Accepts(&analyzer.File{Data: data, Ext: strings.ToLower(filepath.Ext(e.Name()))}) {
			f.Add(data)
			n++
		}
	}
	if n == 0 {
		f.Fatalf("no corpus file is accepted by %s", a.Name())
	}
	return n
}

// Check runs a on data with a deadline and checks what every result must
// satisfy: no panic (the fuzzer reports it), a return once the deadline
// passed, findings named and bounded.
func Check(t *testing.T, a analyzer.Analyzer, data []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f := &analyzer.File{Data: data}
	_ = a.Accepts(f)
	r, err := a.Analyze(ctx, f)
	if err != nil && ctx.Err() == nil {
		// Errors are allowed (the analyzer failed), but not silently
		// turned into a verdict: nothing else to check.
		return
	}
	for _, fd := range r.Findings {
		if fd.Rule == "" || fd.Description == "" {
			t.Fatalf("finding without rule or description: %+v", fd)
		}
		if utf8.RuneCountInString(fd.Evidence) > rules.MaxEvidence {
			t.Fatalf("evidence longer than %d runes: %q", rules.MaxEvidence, fd.Evidence)
		}
	}
}

// DeflateBomb returns a raw DEFLATE stream that expands to n bytes of
// zeros (n rounded up to MiB), built by repeating one flushed block.
func DeflateBomb(n int64) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestCompression)
	w.Write(make([]byte, 1<<20))
	w.Flush()
	block := append([]byte(nil), buf.Bytes()...)
	out := make([]byte, 0, int(n>>20)*len(block)+8)
	for i := int64(0); i < n; i += 1 << 20 {
		out = append(out, block...)
	}
	return append(out, 0x01, 0x00, 0x00, 0xff, 0xff) // final empty stored block
}

// ZlibBomb wraps DeflateBomb in a zlib header (the checksum is left out:
// readers must stop at their budget long before it).
func ZlibBomb(n int64) []byte {
	return append([]byte{0x78, 0xda}, DeflateBomb(n)...)
}
