package jsemu

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/verdict"
)

// TestEnginePanic: a Go panic inside the engine (here a native function
// that dereferences a nil map, standing in for a bug in a fake object or
// in goja) is recovered: the file gets a result with the reason and the
// findings made before, and the analyzer keeps working.
func TestEnginePanic(t *testing.T) {
	a := newAnalyzer(t, sampleConfig())
	a.testGlobals = map[string]any{"crash": func() {
		var m map[string]int
		m["boom"]++
	}}
	code := `new ActiveXObject("WScript.Shell").Run("calc.exe"); crash();`
	res, v := judge(t, a, &analyzer.File{Data: []byte(code), Ext: ".js"})
	if !strings.Contains(res.Unscannable, "panic") {
		t.Fatalf("Unscannable %q, want the panic", res.Unscannable)
	}
	if v != verdict.HighlySuspicious || !strings.Contains(text(res), "calc.exe") {
		t.Fatalf("verdict %s, want the launch found before the panic\n%s", v, text(res))
	}
	res, v = judge(t, a, &analyzer.File{Data: readTestdata(t, "dropper_plain.js"), Ext: ".js"})
	if v != verdict.Malicious {
		t.Fatalf("after the panic: %s\n%s", v, text(res))
	}
}

// FuzzScriptParts: the HTML/WSF splitter and the nesting scanner take
// any bytes.
func FuzzScriptParts(f *testing.F) {
	f.Add(`<script language="JScript"><![CDATA[ var a = 1; ]]></script>`)
	f.Add(`<SCRIPT type='text/vbscript'>MsgBox "x"</SCRIPT><script src=x.js />`)
	f.Add("`((` /* [[ */ \"\\\"{\" // {{\n x")
	f.Fuzz(func(t *testing.T, doc string) {
		for _, p := range scriptParts(doc) {
			// Code comes from the document unless it was decoded.
			if !strings.Contains(doc, "#@~^") && !strings.Contains(doc, p.code) {
				t.Fatalf("part %q is not in the document", p.code)
			}
		}
		if d := nestingDepth(doc); d < 0 || d > len(doc) {
			t.Fatalf("nestingDepth %d for %d bytes", d, len(doc))
		}
		_ = foldVB(doc)
	})
}

// FuzzAnalyze: whatever the script, the fake world does not panic and
// the result stays bounded. Seeds are the samples.
func FuzzAnalyze(f *testing.F) {
	for _, n := range []string{"dropper_plain.js", "dropper_layered.js", "dropper_embedded.js", "dropper.wsf", "dropper.hta", "page.html"} {
		f.Add(readTestdata(f, n), n[strings.LastIndexByte(n, '.'):])
	}
	f.Add([]byte(`var x = new ActiveXObject("ADODB.Stream"); x.Position = -5; x.Read(-1); x.ReadText(1e9); x.LoadFromFile(null)`), ".js")
	f.Add([]byte(`var f = new ActiveXObject("Scripting.FileSystemObject"); f.OpenTextFile(WScript.ScriptFullName).Read(-3); f.GetFile("x")`), ".js")
	a := newAnalyzer(f, Config{Timeout: time.Second, CPU: 300 * time.Millisecond, Memory: 32 << 20})
	f.Fuzz(func(t *testing.T, data []byte, ext string) {
		res, err := a.Analyze(context.Background(), &analyzer.File{Data: data, Ext: ext})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(res.Unscannable, "panic") {
			t.Fatalf("engine panic: %s", res.Unscannable)
		}
		if len(res.Indicators) > maxIndicators {
			t.Fatalf("%d indicators", len(res.Indicators))
		}
		for _, fi := range res.Findings {
			if len([]rune(fi.Evidence)) > 120 {
				t.Fatalf("evidence of %d runes", len([]rune(fi.Evidence)))
			}
		}
	})
}
