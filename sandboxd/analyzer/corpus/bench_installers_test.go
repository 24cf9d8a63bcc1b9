package corpus

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/inproc"
)

// About 500 KB of each installer and runtime format, clean, as an honest
// vendor would send it: what the benchmarks below judge.

// typicalMSI: the standard tables, a DLL custom action whose 480 KB DLL
// sits in the Binary table, and 200 properties.
func typicalMSI() []byte {
	var props []string
	for i := 0; i < 200; i++ {
		props = append(props, fmt.Sprintf("PROP%03d", i), fmt.Sprintf("value %d of the installer configuration", i))
	}
	tables := append(msiBase(props...),
		CustomActionTable(
			[]any{"SetInstallDir", 51, "ARPINSTALLLOCATION", "[INSTALLDIR]", nil},
			[]any{"CheckLicense", 1, "LicenseCheck", "CheckLicense", nil},
		),
		BinaryTable("LicenseCheck"),
		SequenceTable("InstallExecuteSequence", "CostInitialize", 800, "CostFinalize", 1000, "CheckLicense", 1100, "InstallInitialize", 1500, "InstallFinalize", 6600),
	)
	dll := addinDLL(stdImports, "CheckLicense")
	return MSI(tables, map[string][]byte{"Binary.LicenseCheck": append(dll, Noise(480<<10, 11)...)})
}

// typicalJar: 250 classes with string constants and library calls, and
// 290 KB of resources.
func typicalJar() []byte {
	var members []ZipEntry
	for i := 0; i < 250; i++ {
		c := NewClass(fmt.Sprintf("org/example/lib/C%03d", i))
		c.GetStatic("java/lang/System", "out", "Ljava/io/PrintStream;", 1)
		for k := 0; k < 30; k++ {
			c.Ldc(fmt.Sprintf("message %d.%d: %s", i, k, Noise(12, uint64(i*100+k))), 2)
		}
		for k := 0; k < 29; k++ {
			c.Pop()
		}
		c.Invoke("virtual", "java/io/PrintStream", "println", "(Ljava/lang/String;)V", 0)
		members = append(members, ZipEntry{Name: fmt.Sprintf("org/example/lib/C%03d.class", i), Data: c.Bytes()})
	}
	members = append(members, ZipEntry{Name: "org/example/lib/data.bin", Data: Noise(290<<10, 12)})
	return Jar("org.example.lib.C000", members...)
}

// typicalCHM: 100 pages, about 500 KB of HTML, all LZX-compressed.
func typicalCHM() []byte {
	var files []CHMFile
	for i := 0; i < 100; i++ {
		var b strings.Builder
		for k := 0; k < 40; k++ {
			fmt.Fprintf(&b, "<p>Topic %d, paragraph %d: open the invoice list, pick one and choose Print. <a href=\"t%d.htm\">Next</a></p>\n", i, k, i+1)
		}
		files = append(files, CHMFile{Name: fmt.Sprintf("/t%d.htm", i), Compressed: true, Data: helpPage(fmt.Sprintf("Topic %d", i), b.String())})
	}
	return CHM("Big Help", "t0.htm", files...)
}

// typicalXLL: an add-in DLL padded to 500 KB with data.
func typicalXLL() []byte {
	secs := append(stdSections(), PESection{Name: ".data2", Data: Noise(490<<10, 13), Flags: SCNData | SCNRead},
		PESection{Name: ".edata", Data: make([]byte, 1024), Flags: SCNData | SCNRead})
	return WithExports(PE{Sections: secs, Imports: stdImports, DLL: true}.Bytes(), ".edata", "addin.dll", "xlAutoOpen", "xlAutoClose")
}

// typicalMSIX: a signed package with a 480 KB program and assets.
func typicalMSIX() []byte {
	return MSIX(appxManifest("ContosoViewer", "ContosoViewer.exe", "Windows.FullTrustApplication", ""), true,
		ZipEntry{Name: "ContosoViewer.exe", Data: append(HelloPE(), Noise(480<<10, 14)...)},
		ZipEntry{Name: "Assets/StoreLogo.png", Data: tinyPNG()})
}

func BenchmarkTypicalMSI(b *testing.B)  { benchFile(b, "setup.msi", typicalMSI()) }
func BenchmarkTypicalJar(b *testing.B)  { benchFile(b, "app.jar", typicalJar()) }
func BenchmarkTypicalCHM(b *testing.B)  { benchFile(b, "help.chm", typicalCHM()) }
func BenchmarkTypicalXLL(b *testing.B)  { benchFile(b, "addin.xll", typicalXLL()) }
func BenchmarkTypicalMSIX(b *testing.B) { benchFile(b, "app.msix", typicalMSIX()) }

// The benchmark files are sized as claimed and judged as their content
// says: clean, except the XLL, whose xlAutoOpen is the trait.
func TestTypicalInstallers(t *testing.T) {
	as := analyzers(t)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"setup.msi", typicalMSI(), "clean"}, {"app.jar", typicalJar(), "clean"}, {"help.chm", typicalCHM(), "clean"},
		{"addin.xll", typicalXLL(), "highly_suspicious"}, {"app.msix", typicalMSIX(), "clean"},
	} {
		if n := len(tc.data); n < 400<<10 || n > 700<<10 {
			t.Errorf("%s: %d bytes, want about 500 KB", tc.name, n)
		}
		rep := inproc.Run(context.Background(), as, analyzer.DefaultScoring(), inproc.File(tc.name, tc.data), time.Minute)
		if string(rep.Verdict) != tc.want || len(rep.Errors) > 0 || len(rep.Unscannable) > 0 {
			t.Errorf("%s: %s (errors %v, unscannable %v), want %s: %+v", tc.name, rep.Verdict, rep.Errors, rep.Unscannable, tc.want, rep.Findings)
		}
	}
}
