package msix

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"slices"
	"testing"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/testkit"
)

func corpusFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(testkit.CorpusDir + "/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func zipOf(t *testing.T, members map[string][]byte, order ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, n := range order {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(members[n])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func rulesOf(t *testing.T, data []byte) ([]string, string) {
	t.Helper()
	r, err := New().Analyze(context.Background(), &analyzer.File{Data: data})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Rule)
	}
	return out, r.Unscannable
}

func TestPackages(t *testing.T) {
	psf := corpusFile(t, "psf-start-script.msix")
	bundleManifest := []byte(`<Bundle xmlns="http://schemas.microsoft.com/appx/2013/bundle"><Packages><Package Type="application" FileName="app.msix"/></Packages></Bundle>`)
	for _, tc := range []struct {
		name        string
		data        []byte
		want        []string
		unscannable bool
	}{
		{"psf", psf, []string{"psf-start-script", "payload-script"}, false},
		{"lolbin app", corpusFile(t, "powershell-app.msix"), []string{"starts-lolbin", "unsigned"}, false},
		{"bundle", zipOf(t, map[string][]byte{"AppxMetadata/AppxBundleManifest.xml": bundleManifest, "app.msix": psf}, "AppxMetadata/AppxBundleManifest.xml", "app.msix"),
			[]string{"bundle", "psf-start-script", "payload-script"}, false},
		{"bundle in bundle", zipOf(t, map[string][]byte{"AppxMetadata/AppxBundleManifest.xml": bundleManifest,
			"inner.msix": zipOf(t, map[string][]byte{"AppxMetadata/AppxBundleManifest.xml": bundleManifest}, "AppxMetadata/AppxBundleManifest.xml")},
			"AppxMetadata/AppxBundleManifest.xml", "inner.msix"), nil, true},
		{"no manifest", zipOf(t, map[string][]byte{"AppxBlockMap.xml": []byte("<BlockMap/>")}, "AppxBlockMap.xml"), nil, true},
		{"remote appinstaller", corpusFile(t, "remote-package.appinstaller"), []string{"remote-package", "insecure-package-uri", "ip-package-uri"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, unscannable := rulesOf(t, tc.data)
			if (unscannable != "") != tc.unscannable {
				t.Errorf("unscannable %q, want %v", unscannable, tc.unscannable)
			}
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("no %s finding in %v", w, got)
				}
			}
		})
	}
}

// A signed app that starts its own program, and an App Installer file that
// fetches over HTTPS from a name, carry nothing above info.
func TestCleanTwins(t *testing.T) {
	for _, name := range []string{"contoso-viewer.msix", "contoso-viewer.appinstaller"} {
		r, err := New().Analyze(context.Background(), &analyzer.File{Data: corpusFile(t, name)})
		if err != nil || r.Unscannable != "" {
			t.Fatalf("%s: err %v, unscannable %q", name, err, r.Unscannable)
		}
		for _, f := range r.Findings {
			if f.Severity > 1 {
				t.Errorf("%s: %+v", name, f)
			}
		}
	}
}

func FuzzMSIX(f *testing.F) {
	testkit.Seeds(f, New())
	f.Fuzz(func(t *testing.T, data []byte) { testkit.Check(t, New(), data) })
}

// FuzzManifest drives the manifest reader directly (zip CRCs keep most
// mutations of a package away from it).
func FuzzManifest(f *testing.F) {
	zr, err := zip.NewReader(bytes.NewReader(corpusFile(f, "psf-start-script.msix")), int64(len(corpusFile(f, "psf-start-script.msix"))))
	if err != nil {
		f.Fatal(err)
	}
	for _, m := range zr.File {
		if m.Name == "AppxManifest.xml" {
			rc, _ := m.Open()
			var b bytes.Buffer
			b.ReadFrom(rc)
			rc.Close()
			f.Add(b.Bytes())
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, _ := parseManifest(data)
		if m != nil && len(m.apps)+len(m.extensions)+len(m.capabilities) > maxXMLTokens {
			t.Fatalf("more elements than the token budget")
		}
	})
}
