package corpus

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/inproc"
)

// Inputs of about 500 KB for the parsers of families 4 and 5, each made
// to keep its parser busy: thousands of metadata rows and user strings,
// an RTF of escapes, junk groups and hex, a package of half a megabyte.

// bigDotNet is a .NET assembly with 3000 member references, 2000 P/Invoke
// declarations and 2400 user strings.
func bigDotNet() []byte {
	n := DotNet{Name: "Big.exe"}
	for i := 0; i < 3000; i++ {
		n.Members = append(n.Members, DNMember{Type: fmt.Sprintf("Vendor.Lib%d.Type%d", i%40, i%97), Name: fmt.Sprintf("Method%d", i), Ret: "void", Params: []string{"string", "int"}})
	}
	for i := 0; i < 2000; i++ {
		n.PInvokes = append(n.PInvokes, fmt.Sprintf("lib%d.dll!Func%d", i%25, i))
	}
	for i := 0; i < 2400; i++ {
		n.UserStrings = append(n.UserStrings, fmt.Sprintf("Message number %d: the operation completed; see https://www.example.org/kb/%d", i, i))
	}
	n.UserStrings = append(n.UserStrings, base64.StdEncoding.EncodeToString(Noise(20<<10, 9)))
	return n.Bytes()
}

// bigRTF is an RTF letter whose text is \uN and \'hh escapes, with junk
// groups, fields, a template and an object with 150 KB of padded hex.
func bigRTF() []byte {
	var b strings.Builder
	b.WriteString(`{\rtf1\ansi\deff0{\fonttbl{\f0 Arial;}}{\*\template C:\\Templates\\Normal.dotm}`)
	for b.Len() < 300<<10 {
		b.WriteString(`\u1055?\u1088?\'e9t{\*\zz 1}{\field{\*\fldinst HYPERLINK "https://www.example.org/"}{\fldrslt link}} text\par` + "\n")
	}
	b.WriteString(`{\object\objemb{\*\objclass Word.Document.8}{\*\objdata ` + rtfHexPadded(ole1Header("Word.Document.8", "", false, Noise(70<<10, 4))) + `}}}`)
	return []byte(b.String())
}

// bigPackage is a Word 97 document packaging a 480 KB file.
func bigPackage() []byte {
	return WordDocWithObject(Ole10NativeW("data.bin", `C:\Users\user\Desktop\data.bin`, Noise(480<<10, 12), "data.bin", `C:\Temp\data.bin`, `C:\Users\user\Desktop\data.bin`))
}

// bigNativePE is a 500 KB native program whose data holds thousands of
// strings (messages, paths, command lines and API names), an icon-like
// high-entropy resource and code.
func bigNativePE() []byte {
	var rdata strings.Builder
	for i := 0; rdata.Len() < 300<<10; i++ {
		fmt.Fprintf(&rdata, "Error %d: cannot open the file; run cmd /c dir %%TEMP%%\\log%d.txt for details\x00", i, i)
		fmt.Fprintf(&rdata, "CreateFileW\x00GetProcAddress\x00Option %d is not supported\x00", i)
	}
	return PE{Sections: []PESection{
		{Name: ".text", Data: Code(96 << 10), Flags: SCNCode | SCNExecute | SCNRead},
		{Name: ".rdata", Data: []byte(rdata.String()), Flags: SCNData | SCNRead},
		{Name: ".rsrc", Data: Noise(100<<10, 5), Flags: SCNData | SCNRead},
	}, Imports: imports(map[string][]string{"kernel32.dll": {"LoadLibraryW", "GetProcAddress", "CreateProcessW"}, "shell32.dll": {"ShellExecuteW"}})}.Bytes()
}

// benchParser is benchFile plus the one analyzer that owns the parser,
// alone, so its own cost shows beside the whole registry's.
func benchParser(b *testing.B, owner, name string, data []byte) {
	benchFile(b, name, data)
	for _, a := range analyzers(b) {
		if a.Name() == owner {
			b.Run(owner, func(b *testing.B) { benchWith(b, []analyzer.Analyzer{a}, name, data) })
		}
	}
}

func BenchmarkNativePE(b *testing.B)       { benchParser(b, "pe", "tool.exe", bigNativePE()) }
func BenchmarkDotNetMetadata(b *testing.B) { benchParser(b, "pe", "big.exe", bigDotNet()) }
func BenchmarkRTFDeobfuscate(b *testing.B) { benchParser(b, "office", "letter.rtf", bigRTF()) }
func BenchmarkOle10Native(b *testing.B)    { benchParser(b, "office", "package.doc", bigPackage()) }

// The benchmark inputs are sized as claimed and judged clean (the
// parsers ran to the end and found nothing in benign bulk).
func TestParserBenchInputs(t *testing.T) {
	as := analyzers(t)
	for _, tc := range []struct {
		name string
		data []byte
	}{{"big.exe", bigDotNet()}, {"tool.exe", bigNativePE()}, {"letter.rtf", bigRTF()}, {"package.doc", bigPackage()}} {
		if n := len(tc.data); n < 400<<10 || n > 700<<10 {
			t.Errorf("%s: %d bytes, want about 500 KB", tc.name, n)
		}
		rep := inproc.Run(context.Background(), as, analyzer.DefaultScoring(), inproc.File(tc.name, tc.data), time.Minute)
		if rep.Verdict != "clean" {
			t.Errorf("%s: %s, want clean: %s", tc.name, rep.Verdict, findings(rep))
		}
	}
}
