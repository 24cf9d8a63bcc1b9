package jar

import (
	"archive/zip"
	"context"
	"io"
	"os"
	"slices"
	"testing"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/testkit"
)

func javacClass(t testing.TB) []byte {
	t.Helper()
	zr, err := zip.OpenReader("testdata/updater.jar")
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name == "org/example/Updater.class" {
			rc, _ := f.Open()
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatal("no Updater.class in testdata/updater.jar")
	return nil
}

// A javac-built class (lambda, long and double constants) parses: the
// two-slot constants do not shift the pool, and the references and
// literals the code uses are all there.
func TestParseJavacClass(t *testing.T) {
	ci, err := parseClass(javacClass(t))
	if err != nil {
		t.Fatal(err)
	}
	if ci.name != "org/example/Updater" {
		t.Errorf("name %q", ci.name)
	}
	for _, r := range []string{"java/lang/Runtime.exec", "java/lang/Runtime.getRuntime", "java/net/URL.<init>", "java/util/function/Supplier.get"} {
		if !slices.Contains(ci.refs, r) {
			t.Errorf("no reference %s in %v", r, ci.refs)
		}
	}
	for _, s := range []string{"cmd.exe /c start notepad.exe", "https://www.example.org/version.txt"} {
		if !slices.Contains(ci.strs, s) {
			t.Errorf("no literal %q in %v", s, ci.strs)
		}
	}
}

func TestJavacJar(t *testing.T) {
	b, err := os.ReadFile("testdata/updater.jar")
	if err != nil {
		t.Fatal(err)
	}
	r, err := New().Analyze(context.Background(), &analyzer.File{Data: b})
	if err != nil || r.Unscannable != "" {
		t.Fatalf("err %v, unscannable %q", err, r.Unscannable)
	}
	got := map[string]string{}
	for _, f := range r.Findings {
		got[f.Rule] = f.Evidence
	}
	if got["main-class"] != "org.example.Updater" {
		t.Errorf("main-class evidence %q", got["main-class"])
	}
	if got["runs-shell"] != "cmd.exe /c start notepad.exe" {
		t.Errorf("runs-shell evidence %q (findings %v)", got["runs-shell"], got)
	}
}

func TestParseClassTruncated(t *testing.T) {
	b := javacClass(t)
	for _, n := range []int{0, 4, 9, 10, 11, 40, len(b) / 2} {
		if _, err := parseClass(b[:n]); err == nil {
			t.Errorf("class cut at %d bytes parsed without error", n)
		}
	}
}

func TestManifestValue(t *testing.T) {
	m := []byte("Manifest-Version: 1.0\r\nMain-Class: org.example.very.long.packag\r\n e.Main\r\nCreated-By: x\r\n\r\nName: a/\r\nMain-Class: not.This\r\n")
	if v := manifestValue(m, "Main-Class"); v != "org.example.very.long.package.Main" {
		t.Errorf("Main-Class = %q", v)
	}
	if v := manifestValue(m, "Launcher-Agent-Class"); v != "" {
		t.Errorf("Launcher-Agent-Class = %q", v)
	}
}

func TestNotAZip(t *testing.T) {
	r, err := New().Analyze(context.Background(), &analyzer.File{Data: []byte("PK\x03\x04garbage"), Ext: ".jar"})
	if err != nil || r.Unscannable == "" {
		t.Errorf("err %v, unscannable %q; want unscannable", err, r.Unscannable)
	}
}

func FuzzJAR(f *testing.F) {
	testkit.Seeds(f, New())
	if b, err := os.ReadFile("testdata/updater.jar"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) { testkit.Check(t, New(), data) })
}

// FuzzClass drives the constant-pool parser directly (a zip's CRC would
// keep most mutations away from it).
func FuzzClass(f *testing.F) {
	f.Add(javacClass(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		ci, err := parseClass(data)
		if err == nil && len(ci.refs)+len(ci.strs)+len(ci.classes) > len(data) {
			t.Fatalf("%d pool items from %d bytes", len(ci.refs)+len(ci.strs)+len(ci.classes), len(data))
		}
	})
}

func TestAccepts(t *testing.T) {
	jarBytes, _ := os.ReadFile("testdata/updater.jar")
	for _, tc := range []struct {
		f    analyzer.File
		want bool
	}{
		{analyzer.File{Data: jarBytes}, true},
		{analyzer.File{Data: []byte("PK\x03\x04junk"), Ext: ".jar"}, true},
		{analyzer.File{Data: []byte("public class A {}"), Type: "text/x-java"}, false},
		{analyzer.File{Data: []byte("PK\x03\x04readme.txt")}, false},
	} {
		if got := New().Accepts(&tc.f); got != tc.want {
			t.Errorf("Accepts(%q, type %q, ext %q) = %v", tc.f.Data[:min(len(tc.f.Data), 16)], tc.f.Type, tc.f.Ext, got)
		}
	}
}
