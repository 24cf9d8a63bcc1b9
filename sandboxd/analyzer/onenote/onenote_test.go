package onenote

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/testkit"
)

func FuzzOneNote(f *testing.F) {
	testkit.Seeds(f, New())
	f.Fuzz(func(t *testing.T, data []byte) { testkit.Check(t, New(), data) })
}

// A data block that claims a terabyte is read as far as the file goes.
func TestClaimedLength(t *testing.T) {
	d := append(SectionHeader(), FileDataHeader()...)
	d = binary.LittleEndian.AppendUint64(d, 1<<40)
	d = append(d, make([]byte, 12)...)
	d = append(d, "MZ this is not much of a program"...)
	r, err := New().Analyze(context.Background(), &analyzer.File{Data: d})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range r.Findings {
		found = found || f.Rule == "embedded-executable"
	}
	if !found {
		t.Fatalf("want embedded-executable, got %+v", r.Findings)
	}
}
