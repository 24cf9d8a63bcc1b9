package diskimage

import (
	"context"
	"testing"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/testkit"
)

func FuzzDiskImage(f *testing.F) {
	testkit.Seeds(f, New())
	f.Fuzz(func(t *testing.T, data []byte) { testkit.Check(t, New(), data) })
}

func TestNotReadable(t *testing.T) {
	udf := make([]byte, 0x9000)
	copy(udf[0x8001:], "BEA01")
	tests := []struct {
		name string
		f    analyzer.File
	}{
		{"udf", analyzer.File{Data: udf}},
		{"named iso, not one", analyzer.File{Data: []byte("hello"), Ext: ".iso"}},
		{"iso magic, no root", analyzer.File{Data: append(make([]byte, 0x8001), "CD001"...)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New().Analyze(context.Background(), &tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if r.Unscannable == "" {
				t.Errorf("want unscannable, got %+v", r)
			}
		})
	}
}
