package msi_test

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/corpus"
	"github.com/airlockmail/airlock/sandboxd/analyzer/msi"
)

// A stream whose sector chain loops on itself and whose size claims a
// gibibyte is read no further than the file could hold, and the package
// is unscannable, not clean.
func TestCyclicChain(t *testing.T) {
	big := make([]byte, 64<<10)
	b := corpus.MSI(append([]corpus.MSITable{corpus.PropertyTable("ProductName", "x")}, corpus.BinaryTable("Big")), map[string][]byte{"Binary.Big": big})
	le := binary.LittleEndian
	dirStart := le.Uint32(b[48:])
	dir := b[512*(1+int(dirStart)):]
	fatSector := le.Uint32(b[76:])
	fat := b[512*(1+int(fatSector)):]
	patched := false
	for i := 0; i < 64 && !patched; i++ {
		e := dir[128*i:]
		if e[66] == 2 && le.Uint64(e[120:]) == uint64(len(big)) {
			start := le.Uint32(e[116:])
			le.PutUint32(fat[4*start:], start) // the chain loops
			le.PutUint64(e[120:], 1<<30)
			patched = true
		}
	}
	if !patched {
		t.Fatal("the big stream was not found in the directory")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := msi.New().Analyze(ctx, &analyzer.File{Data: b})
	if err != nil || ctx.Err() != nil {
		t.Fatalf("err %v, ctx %v", err, ctx.Err())
	}
	if r.Unscannable == "" {
		t.Errorf("a looping chain gave no unscannable reason; findings %+v", r.Findings)
	}
}
