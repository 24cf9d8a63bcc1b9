package hashlist

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
)

const bad = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"

func TestHashList(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.txt")
	os.WriteFile(p, []byte("# known bad\n"+strings.ToUpper(bad)+" eicar sample\n\n"), 0o600)
	a, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := a.Analyze(context.Background(), &analyzer.File{SHA256: bad})
	if len(r.Findings) != 1 || r.Findings[0].Evidence != "eicar sample" {
		t.Errorf("listed hash: %+v", r.Findings)
	}
	r, _ = a.Analyze(context.Background(), &analyzer.File{SHA256: strings.Repeat("0", 64)})
	if len(r.Findings) != 0 {
		t.Errorf("unlisted hash flagged: %+v", r.Findings)
	}
	if New(nil).Version() == a.Version() {
		t.Error("the version does not follow the list")
	}
	if _, err := Parse([]byte("abc\n" + bad + "\nzz\n")); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("bad lines not reported with their numbers: %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing list file accepted")
	}
}
