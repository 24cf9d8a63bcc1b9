package lnk

import (
	"context"
	"os"
	"testing"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/testkit"
)

func FuzzLNK(f *testing.F) {
	testkit.Seeds(f, New())
	f.Fuzz(func(t *testing.T, data []byte) { testkit.Check(t, New(), data) })
}

func TestParse(t *testing.T) {
	tests := []struct {
		file, target, args string
	}{
		{"powershell-cradle.lnk", `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, "-w hidden -c"},
		{"clean-app.lnk", `C:\Program Files\Example\App\app.exe`, ""},
	}
	for _, tc := range tests {
		b, err := os.ReadFile(testkit.CorpusDir + "/" + tc.file)
		if err != nil {
			t.Fatal(err)
		}
		l, ok := Parse(b)
		if !ok || l.Target != tc.target || len(l.Arguments) < len(tc.args) || l.Arguments[:len(tc.args)] != tc.args {
			t.Errorf("%s: Parse = %+v, %v", tc.file, l, ok)
		}
	}
	for _, bad := range [][]byte{nil, header, append(append([]byte(nil), header...), make([]byte, 60)...)} {
		New().Analyze(context.Background(), &analyzer.File{Data: bad})
	}
}
