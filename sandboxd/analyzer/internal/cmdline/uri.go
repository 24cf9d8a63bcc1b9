package cmdline

import (
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
	"github.com/airlockmail/airlock/verdict"
)

// scheme is one row of the risky-URI table: a protocol handler that
// starts a program, opens a remote location in Explorer, or hands a
// remote document to an application with fewer checks than a browser.
type scheme struct {
	name string
	sev  verdict.Severity
	desc string
	// remoteSev, when set, is the severity if the URI also names a
	// remote location (a share, WebDAV or a URL).
	remoteSev verdict.Severity
}

var schemes = map[string]scheme{
	"ms-msdt":         {sev: rules.Critical, desc: "opens the Support Diagnostic Tool with attacker parameters (Follina, CVE-2022-30190)"},
	"ms-officecmd":    {sev: rules.Critical, desc: "hands a command to the Office launcher (ms-officecmd argument injection)"},
	"search-ms":       {sev: rules.Medium, remoteSev: rules.High, desc: "opens a Windows Search window, which can list files from an attacker's share as if local"},
	"search":          {sev: rules.Medium, remoteSev: rules.High, desc: "opens a Windows Search window, which can list files from an attacker's share as if local"},
	"ms-search":       {sev: rules.Medium, remoteSev: rules.High, desc: "opens a Windows Search window, which can list files from an attacker's share as if local"},
	"ms-cxh":          {sev: rules.High, desc: "starts the Cloud Experience Host (abused to run code outside the browser)"},
	"ms-cxh-full":     {sev: rules.High, desc: "starts the Cloud Experience Host (abused to run code outside the browser)"},
	"ms-appinstaller": {sev: rules.High, desc: "installs an app package straight from a URL (App Installer, abused by Emotet and others)"},
	"ms-its":          {sev: rules.High, desc: "opens a compiled HTML Help page, which runs script with full rights"},
	"mk":              {sev: rules.High, desc: "opens a compiled HTML Help page (mk:@MSITStore), which runs script with full rights"},
	"its":             {sev: rules.High, desc: "opens a compiled HTML Help page, which runs script with full rights"},
	"hcp":             {sev: rules.High, desc: "opens the Help and Support Center, abused to run commands"},
	"vbscript":        {sev: rules.High, desc: "runs VBScript from a link"},
	"mhtml":           {sev: rules.Medium, desc: "opens an MHT archive through the legacy MSHTML engine"},
	"shell":           {sev: rules.Medium, desc: "opens a Windows shell folder or object from a link"},
	"ms-word":         {sev: rules.Medium, remoteSev: rules.High, desc: "opens a remote document in Word directly, outside the browser's download checks"},
	"ms-excel":        {sev: rules.Medium, remoteSev: rules.High, desc: "opens a remote workbook in Excel directly, outside the browser's download checks"},
	"ms-powerpoint":   {sev: rules.Medium, remoteSev: rules.High, desc: "opens a remote presentation in PowerPoint directly, outside the browser's download checks"},
	"ms-visio":        {sev: rules.Medium, remoteSev: rules.High, desc: "opens a remote drawing in Visio directly"},
	"ms-access":       {sev: rules.Medium, remoteSev: rules.High, desc: "opens a remote database in Access directly"},
	"ms-publisher":    {sev: rules.Medium, remoteSev: rules.High, desc: "opens a remote publication in Publisher directly"},
	"ms-project":      {sev: rules.Medium, remoteSev: rules.High, desc: "opens a remote project in Project directly"},
	"ms-infopath":     {sev: rules.Medium, remoteSev: rules.High, desc: "opens a remote form in InfoPath directly"},
	"ms-spd":          {sev: rules.Medium, remoteSev: rules.High, desc: "opens a remote site in SharePoint Designer directly"},
	"file":            {sev: rules.Medium, remoteSev: rules.High, desc: "opens a file path (a share or WebDAV leaks the user's NTLM hash and serves the file)"},
	"ms-settings":     {},
}

// cleanURI removes what browsers and the shell ignore in a URI: leading
// white space and control characters, tabs and newlines anywhere.
func cleanURI(uri string) string {
	uri = strings.TrimLeft(uri, " \t\r\n\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\"'")
	if strings.ContainsAny(uri, "\t\r\n") {
		uri = strings.NewReplacer("\t", "", "\r", "", "\n", "").Replace(uri)
	}
	return strings.TrimRight(uri, " \"'")
}

// RiskyURI reports whether uri uses a risky protocol handler or remote
// file path, with a finding (Rule "risky-uri-<scheme>") when it does.
// https:, mailto: and other ordinary links are not risky.
func RiskyURI(analyzer, uri string) (verdict.Finding, bool) {
	u := cleanURI(uri)
	if len(u) > 8192 {
		u = u[:8192]
	}
	l := strings.ToLower(u)
	mk := func(rule string, sev verdict.Severity, desc string) (verdict.Finding, bool) {
		return verdict.Finding{Analyzer: analyzer, Rule: "risky-uri-" + rule, Severity: sev, Description: desc, Evidence: rules.Evidence(u)}, true
	}
	// Paths without a scheme: UNC and WebDAV.
	// "//host/x" is a protocol-relative web link in HTML, not a share.
	if strings.HasPrefix(l, `\\`) {
		if isRemotePath(l) {
			return mk("unc", rules.High, "points at a network share or WebDAV path (leaks the user's NTLM hash; serves files from the attacker)")
		}
		return verdict.Finding{}, false
	}
	i := strings.IndexByte(l, ':')
	if i <= 0 || i > 32 {
		return verdict.Finding{}, false
	}
	name := l[:i]
	rest := l[i+1:]
	if len(name) == 1 {
		// A drive letter: a local path, not a URI.
		return verdict.Finding{}, false
	}
	switch name {
	case "http", "https":
		if strings.Contains(rest, "davwwwroot") || strings.Contains(rest, "@ssl") {
			return mk("webdav", rules.High, "opens a WebDAV folder in Explorer (serves files from the attacker as if local)")
		}
		return verdict.Finding{}, false
	case "file":
		switch {
		case isRemotePath(l):
			return mk("file", rules.High, "opens a file on a network share or WebDAV (leaks the user's NTLM hash; serves the attacker's file)")
		case isExecName(rest):
			return mk("file", rules.High, "opens a local program or script through a file link")
		}
		return mk("file", rules.Medium, "opens a local file path from a link")
	}
	sc, ok := schemes[name]
	if !ok || sc.desc == "" {
		return verdict.Finding{}, false
	}
	sev := sc.sev
	if sc.remoteSev > sev && remoteTarget(rest) {
		sev = sc.remoteSev
	}
	return mk(name, sev, sc.desc)
}

// remoteTarget reports a URI tail that names a remote location: a share,
// WebDAV, or a URL (Office's "ofe|u|https://…", search-ms's
// "crumb=location:\\host").
func remoteTarget(rest string) bool {
	r := percentDecode(rest)
	if hasURL(r) || strings.Contains(r, `\\`) || strings.Contains(r, "davwwwroot") || strings.Contains(r, "@ssl") || strings.Contains(r, "file://") {
		return true
	}
	if i := strings.Index(r, "location:"); i >= 0 {
		loc := r[i+len("location:"):]
		return strings.HasPrefix(loc, `\\`) || strings.HasPrefix(loc, "//") || isURL(loc)
	}
	return false
}

// percentDecode undoes %XX escapes (invalid escapes are kept).
func percentDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return strings.ToLower(b.String())
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// IsRemote reports whether path names a place Windows reaches over the
// network: a UNC path (\\host\share, also //host/share), a WebDAV
// location (host@SSL, DavWWWRoot) or a file URL with a host.
func IsRemote(path string) bool { return isRemotePath(strings.TrimSpace(path)) }
