package deploy

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStandsAlone keeps a fresh clone self-sufficient: no code, script or
// CI file may reach outside the repository for test data or docs (the
// shared corpus beside the developers' checkout is a place to copy from,
// never one to read at run time: a newcomer's clone has nothing beside it).
func TestStandsAlone(t *testing.T) {
	needles := [][]byte{[]byte("../" + "shared"), []byte("/work/" + "shared"), []byte("shared/" + "corpus")}
	var bad []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			switch d.Name() {
			case ".git", "testdata", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") && !strings.HasPrefix(rel, "scripts"+string(filepath.Separator)) &&
			!strings.HasPrefix(rel, ".ci"+string(filepath.Separator)) && rel != "Dockerfile" && rel != "docker-compose.yml" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, n := range needles {
			if bytes.Contains(b, n) {
				bad = append(bad, rel+" mentions "+string(n))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bad {
		t.Errorf("%s: copy what it needs into testdata/ instead", b)
	}
}
