package jsemu

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/script"
	"github.com/airlockmail/airlock/verdict"
)

// sampleConfig leaves room for a slow CI machine and the race detector
// (which slows goja tenfold): the samples finish far below it.
func sampleConfig() Config {
	return Config{Timeout: 30 * time.Second, CPU: 10 * time.Second}
}

// testConfig keeps the limit tests short.
func testConfig() Config {
	return Config{Timeout: 2 * time.Second, CPU: 500 * time.Millisecond, Memory: 48 << 20}
}

func newAnalyzer(t testing.TB, cfg Config) *Analyzer {
	t.Helper()
	a, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// judge runs a on f and scores the result with sandboxd's default scoring.
func judge(t testing.TB, a *Analyzer, f *analyzer.File) (analyzer.Result, verdict.Verdict) {
	t.Helper()
	res, err := a.Analyze(context.Background(), f)
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	v, _ := analyzer.DefaultScoring().Score([]analyzer.Result{res})
	return res, v
}

// text is everything a reader of the verdict sees: findings and indicators.
func text(res analyzer.Result) string {
	var b strings.Builder
	for _, f := range res.Findings {
		b.WriteString(f.Rule + " " + f.Severity.String() + " " + f.Description + " [" + f.Evidence + "]\n")
	}
	for _, i := range res.Indicators {
		b.WriteString("indicator " + i.Kind + " " + i.Value + "\n")
	}
	return b.String()
}

// jquery is the real jQuery 3.6.1 from the analyzers' shared test data.
const jquery = "../../testdata/thirdparty/jquery-3.6.1.min.js"

// pageScript is what a page does with a library once it is loaded.
const pageScript = `<script>
if (typeof $ === "function") {
  $(function () {
    $("#menu").addClass("open").attr("aria-expanded", "true").html("<li>Home</li><li>About</li>");
    $.each([1, 2, 3], function (i, v) { document.title = "item " + v; });
    $(document).on("click", ".nav", function (ev) { ev.preventDefault(); });
  });
}
</script>`

func TestSamples(t *testing.T) {
	a := newAnalyzer(t, sampleConfig())
	jse := "#@~^" // filled below: the plain dropper, script-encoded
	cases := []struct {
		file string
		data []byte
		ext  string
		want verdict.Verdict
		// every string must appear in the findings or indicators
		has []string
		// no string may appear
		hasNot []string
	}{
		{file: "dropper_plain.js", ext: ".js", want: verdict.Malicious, has: []string{
			"download-execute critical", "http://evil-cdn.example/payload/inv.exe",
			`cmd.exe /c start "" "C:\Users\user\AppData\Local\Temp\invoice.exe"`,
			"indicator domain evil-cdn.example", "save-download",
		}},
		{file: "dropper_layered.js", ext: ".js", want: verdict.Malicious, has: []string{
			"download-execute critical",
			// the first URL fails on purpose; the fallback is tried
			"http://dl1.bad-host.test/a.bin", "http://198.51.100.23/b.bin", "indicator ip 198.51.100.23",
			"eval-layers", "var u = [['h','t','t','p'", "process-launch",
		}},
		{file: "dropper_embedded.js", ext: ".js", want: verdict.Malicious, has: []string{
			"drop-execute critical", `C:\Users\user\AppData\Local\Temp\svchost32.exe /silent`,
			// the hash of the decoded payload the script wrote
			"indicator sha256 bfdf5e72651b4ec588bd5fc6a9f17e9e0972248146bbacc10478f48d72f29b81",
			"long-sleep", "Win32_ComputerSystem",
		}, hasNot: []string{"never reached", "download"}},
		{file: "dropper.hta", ext: ".hta", want: verdict.Malicious, has: []string{
			"https://cdn.files-share.test/doc/view.dll", "rundll32.exe C:\\Users\\user\\AppData\\Roaming\\view.dll,DllRegisterServer",
		}},
		{file: "dropper.wsf", ext: ".wsf", want: verdict.Malicious, has: []string{
			"command-download critical", "http://203.0.113.9/stage2.ps1", "persistence",
			`CurrentVersion\Run\Updater`, "vboxservice.exe", "vbscript-objects",
		}, hasNot: []string{"indicator sha256"}},
		{file: "dropper.vbs", ext: ".vbs", want: verdict.Malicious, has: []string{
			"vbscript-dropper critical", "indicator url http://pay-confirm.test/inv.exe", `http://pay-confirm.test/inv.exe | C:\Users\Public\inv.exe`,
		}},
		{file: "dropper_plain.jse", data: []byte(jse), ext: ".jse", want: verdict.Malicious, has: []string{
			"http://evil-cdn.example/payload/inv.exe",
		}},
		{file: "obfuscated (generated)", data: []byte(obfuscatedDropper(50 << 10)), ext: ".js", want: verdict.Malicious, has: []string{
			"download-execute critical", "http://cdn-a.bad-host.test/x/1.bin", "http://203.0.113.77/x/2.bin", "eval-layer",
		}},
		{file: "benign_library.js", ext: ".js", want: verdict.Clean, hasNot: []string{"script-error"}},
		// The real jQuery (kept by the corpus of the static analyzers): in
		// wscript.exe it stops at "no document", in a page it loads, and a
		// page script using it runs to the end.
		{file: jquery, ext: ".js", want: verdict.Clean},
		{file: jquery, ext: ".html", want: verdict.Clean, hasNot: []string{"script-error"}},
		{file: "benign_library.js", ext: ".html", want: verdict.Clean, hasNot: []string{"script-error"}},
		{file: "page.html", ext: ".html", want: verdict.Clean, has: []string{"ReferenceError"}},
		{file: "page_script.js", ext: ".js", want: verdict.Clean, has: []string{"document is not defined"}},
		{file: "admin_script.js", ext: ".js", want: verdict.Clean, has: []string{"message info shows messages [user: user"}},
	}
	for _, c := range cases {
		t.Run(c.file+c.ext, func(t *testing.T) {
			data := c.data
			switch {
			case c.file == "dropper_plain.jse":
				data = []byte(script.EncodeVBE(string(readTestdata(t, "dropper_plain.js"))))
			case data == nil:
				data = readTestdata(t, c.file)
			}
			if c.ext == ".html" && !strings.Contains(string(data), "<html") {
				data = []byte("<html><head><script>" + string(data) + "</script>" + pageScript + "</head><body></body></html>")
			}
			f := &analyzer.File{Data: data, Ext: c.ext, Category: verdict.Script}
			if !a.Accepts(f) {
				t.Fatal("not accepted")
			}
			res, v := judge(t, a, f)
			got := text(res)
			if v != c.want {
				t.Errorf("verdict %s, want %s\n%s", v, c.want, got)
			}
			if res.Unscannable != "" {
				t.Errorf("unscannable: %s", res.Unscannable)
			}
			for _, s := range c.has {
				if !strings.Contains(got, s) {
					t.Errorf("missing %q in\n%s", s, got)
				}
			}
			for _, s := range c.hasNot {
				if strings.Contains(got, s) {
					t.Errorf("unexpected %q in\n%s", s, got)
				}
			}
		})
	}
}

// TestLimits: each hostile script is stopped by its limit, still gets a
// result with the reason, and the analyzer keeps working afterwards.
func TestLimits(t *testing.T) {
	a := newAnalyzer(t, testConfig())
	cases := []struct {
		name, code string
		reason     []string // any of
	}{
		{"infinite loop", `while (true) {}`, []string{"CPU limit", "time limit"}},
		{"infinite loop in catch", `for (;;) { try { throw 1; } catch (e) {} }`, []string{"CPU limit", "time limit"}},
		{"deep recursion", `function f(n) { return f(n + 1) + 1; } f(0);`, []string{"call stack limit"}},
		{"recursion through eval", `function f() { eval("f()"); } f();`, []string{"call stack limit"}},
		{"string doubling", `var s = "xxxxxxxxxxxxxxxx"; while (true) { s += s; }`, []string{"memory limit", "time limit", "CPU limit"}},
		{"growing array", `var a = []; while (true) { a.push({ k: Math.random(), s: "x" + Math.random() }); }`, []string{"memory limit", "time limit", "CPU limit"}},
		{"nested source", strings.Repeat("(", 5000) + "1" + strings.Repeat(")", 5000), []string{"nests deeper"}},
		{"nested eval", `eval("(".repeat(200000) + "1" + ")".repeat(200000));`, []string{"nests deeper"}},
		{"sleep forever", `while (true) { WScript.Sleep(1000); }`, []string{"CPU limit", "time limit"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, v := judge(t, a, &analyzer.File{Data: []byte(c.code), Ext: ".js"})
			t.Logf("stopped: %s", res.Unscannable)
			if v != verdict.Unscannable {
				t.Errorf("verdict %s, want unscannable", v)
			}
			ok := false
			for _, r := range c.reason {
				ok = ok || strings.Contains(res.Unscannable, r)
			}
			if !ok {
				t.Errorf("Unscannable %q, want one of %q", res.Unscannable, c.reason)
			}
			if strings.Contains(res.Unscannable, "abandoned") {
				t.Errorf("engine did not stop: %s", res.Unscannable)
			}
		})
	}
	// The worker survives: the same analyzer still detonates a dropper.
	res, v := judge(t, a, &analyzer.File{Data: readTestdata(t, "dropper_plain.js"), Ext: ".js"})
	if v != verdict.Malicious {
		t.Fatalf("after the limit tests: verdict %s\n%s", v, text(res))
	}
}

// TestFindingsSoFarSurviveALimit: a script that acts and then loops keeps
// its findings: the verdict is the worse of what it did and unscannable.
func TestFindingsSoFarSurviveALimit(t *testing.T) {
	a := newAnalyzer(t, testConfig())
	code := string(readTestdata(t, "dropper_plain.js")) + "\nwhile (true) {}\n"
	res, v := judge(t, a, &analyzer.File{Data: []byte(code), Ext: ".js"})
	if v != verdict.Malicious || res.Unscannable == "" {
		t.Fatalf("verdict %s, unscannable %q\n%s", v, res.Unscannable, text(res))
	}
}

// TestCPULimit: with a generous wall clock, the CPU budget is what stops
// a busy loop (measured on the script's own thread).
func TestCPULimit(t *testing.T) {
	a := newAnalyzer(t, Config{Timeout: time.Minute, CPU: 200 * time.Millisecond})
	res, _ := judge(t, a, &analyzer.File{Data: []byte(`var i = 0; while (true) { i++; }`), Ext: ".js"})
	if !strings.Contains(res.Unscannable, "CPU limit") {
		t.Fatalf("Unscannable %q, want the CPU limit", res.Unscannable)
	}
}

// TestMemoryLimit: with generous time, the heap watchdog stops a script
// that keeps what it allocates.
func TestMemoryLimit(t *testing.T) {
	a := newAnalyzer(t, Config{Timeout: time.Minute, CPU: time.Minute, Memory: 32 << 20})
	for _, code := range []string{
		`var s = "xxxxxxxxxxxxxxxx"; while (true) { s += s; }`,
		`var a = []; while (true) { a.push([Math.random(), Math.random(), Math.random(), Math.random()]); }`,
	} {
		start := time.Now()
		res, _ := judge(t, a, &analyzer.File{Data: []byte(code), Ext: ".js"})
		t.Logf("%v: %s", time.Since(start), res.Unscannable)
		if !strings.Contains(res.Unscannable, "memory limit") {
			t.Fatalf("%s: Unscannable %q, want the memory limit", code, res.Unscannable)
		}
	}
}

func TestCancel(t *testing.T) {
	a := newAnalyzer(t, Config{Timeout: time.Minute, CPU: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	res, err := a.Analyze(ctx, &analyzer.File{Data: []byte(`while (true) {}`), Ext: ".js"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Unscannable, "cancelled") {
		t.Fatalf("Unscannable %q, want cancelled", res.Unscannable)
	}
}

// TestConcurrent: runs share nothing (one runtime each); run under -race.
func TestConcurrent(t *testing.T) {
	a := newAnalyzer(t, sampleConfig())
	files := []string{"dropper_plain.js", "dropper_layered.js", "admin_script.js", "benign_library.js"}
	var wg sync.WaitGroup
	errs := make(chan string, len(files)*2)
	for i := 0; i < 2; i++ {
		for _, name := range files {
			data := readTestdata(t, name)
			wg.Go(func() {
				res, err := a.Analyze(context.Background(), &analyzer.File{Data: data, Ext: ".js"})
				if err != nil {
					errs <- name + ": " + err.Error()
					return
				}
				v, _ := analyzer.DefaultScoring().Score([]analyzer.Result{res})
				want := verdict.Clean
				if strings.HasPrefix(name, "dropper") {
					want = verdict.Malicious
				}
				if v != want {
					errs <- name + ": " + v.String() + " " + res.Unscannable
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestAccepts(t *testing.T) {
	a := newAnalyzer(t, Config{})
	cases := []struct {
		f    analyzer.File
		want bool
	}{
		{analyzer.File{Data: []byte("x"), Ext: ".js"}, true},
		{analyzer.File{Data: []byte("x"), Ext: ".HTA"}, true},
		{analyzer.File{Data: []byte("x"), Ext: ".wsf"}, true},
		{analyzer.File{Data: []byte("x"), Ext: ".vbs"}, true},
		{analyzer.File{Data: []byte("x"), Type: "text/javascript"}, true},
		{analyzer.File{Data: []byte(`var s = new ActiveXObject("WScript.Shell");`), Category: verdict.Script}, true},
		{analyzer.File{Data: []byte("hello"), Ext: ".txt", Category: verdict.Other}, false},
		{analyzer.File{Data: []byte("MZ..."), Ext: ".exe", Category: verdict.Executable}, false},
		{analyzer.File{Ext: ".js"}, false},
	}
	for _, c := range cases {
		if got := a.Accepts(&c.f); got != c.want {
			t.Errorf("Accepts(%q %q %q) = %v", c.f.Ext, c.f.Type, c.f.Data, got)
		}
	}
}

func TestNestingDepth(t *testing.T) {
	cases := []struct {
		code string
		want int
	}{
		{"f(a[1], {b: 2})", 2},
		{`"((((" + '[[[' + ` + "`{{{`" + ` // ((((
/* [[[[ */ x`, 0},
		{strings.Repeat("[", 10) + strings.Repeat("]", 10), 10},
		{`"unterminated ((((`, 0},
	}
	for _, c := range cases {
		if got := nestingDepth(c.code); got != c.want {
			t.Errorf("nestingDepth(%q) = %d, want %d", c.code, got, c.want)
		}
	}
}

func TestFoldVB(t *testing.T) {
	cases := []struct{ in, want string }{
		{`u = Chr(104) & Chr(116) & "tp://x"`, `u = "http://x"`},
		{`u = ChrW(&H68) & "i"`, `u = "hi"`},
		{`s = Chr(34)`, `s = Chr(34)`},
		{"u = \"a\" & _\n  \"b\"", `u = "ab"`},
	}
	for _, c := range cases {
		if got := foldVB(c.in); got != c.want {
			t.Errorf("foldVB(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestScriptParts(t *testing.T) {
	doc := `<script type="application/json">{"a":1}</script>
<SCRIPT LANGUAGE="VBScript">MsgBox 1</SCRIPT>
<script src="https://cdn.example/lib.js"></script>
<script language="JScript"><![CDATA[ var a = 1; ]]></script>
<script type="text/template"><b></b></script>`
	parts := scriptParts(doc)
	if len(parts) != 3 {
		t.Fatalf("parts %+v", parts)
	}
	if parts[0].lang != langVBS || parts[1].src != "https://cdn.example/lib.js" || strings.TrimSpace(parts[2].code) != "var a = 1;" {
		t.Fatalf("parts %+v", parts)
	}
}

func BenchmarkObfuscatedDropper50KB(b *testing.B) {
	a := newAnalyzer(b, Config{})
	f := &analyzer.File{Data: []byte(obfuscatedDropper(50 << 10)), Ext: ".js"}
	b.SetBytes(int64(len(f.Data)))
	for b.Loop() {
		res, err := a.Analyze(context.Background(), f)
		if err != nil || res.Unscannable != "" || len(res.Findings) == 0 {
			b.Fatalf("%v %q %d", err, res.Unscannable, len(res.Findings))
		}
	}
}

func BenchmarkBenignLibrary90KB(b *testing.B) {
	a := newAnalyzer(b, Config{})
	f := &analyzer.File{Data: readTestdata(b, "benign_library.js"), Ext: ".js"}
	b.SetBytes(int64(len(f.Data)))
	for b.Loop() {
		if _, err := a.Analyze(context.Background(), f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJQueryPage(b *testing.B) {
	a := newAnalyzer(b, Config{})
	page := "<html><head><script>" + string(readTestdata(b, jquery)) + "</script>" + pageScript + "</head><body></body></html>"
	f := &analyzer.File{Data: []byte(page), Ext: ".html"}
	b.SetBytes(int64(len(f.Data)))
	for b.Loop() {
		if _, err := a.Analyze(context.Background(), f); err != nil {
			b.Fatal(err)
		}
	}
}
