package office

// Links of every kind that a document follows by itself or hands to the
// reader: OOXML relationships (templates, OLE links, frames, subdocuments,
// external workbooks, images, hyperlinks), field codes (HYPERLINK,
// INCLUDEPICTURE, INCLUDETEXT, LINK, DDE) and URIs inside HTML parts. The
// URI itself is judged by the shared table (cmdline.RiskyURI); what kind
// of link carries it decides how much a remote target matters.

import (
	"html"
	"path"
	"regexp"
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/cmdline"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
)

// judgeURI records the shared table's finding for a risky URI and
// reports whether there was one.
func judgeURI(uri string, fs *rules.Findings) bool {
	f, ok := cmdline.RiskyURI(fs.Analyzer, uri)
	if ok {
		fs.Add(f.Rule, f.Severity, f.Description, f.Evidence)
	}
	return ok
}

// judgeCommand records the shared table's findings for a command line.
func judgeCommand(cmd string, fs *rules.Findings) {
	for _, f := range cmdline.Judge(fs.Analyzer, cmd) {
		fs.Add(f.Rule, f.Severity, f.Description, f.Evidence)
	}
}

// targetKind sorts a link target: a share or WebDAV path (fetched over
// SMB/WebDAV, leaking the user's NTLM hash), a web address, or a local
// path.
type targetKind int

const (
	targetLocal targetKind = iota
	targetWeb
	targetShare
)

func classify(target string) targetKind {
	t := strings.ToLower(strings.TrimSpace(target))
	t = strings.TrimPrefix(t, "mhtml:")
	switch {
	case strings.HasPrefix(t, `\\`), strings.HasPrefix(t, "//"):
		return targetShare
	case strings.HasPrefix(t, "file:"):
		rest := strings.TrimLeft(strings.TrimPrefix(t, "file:"), "/\\")
		// file:///C:/x and file://localhost/ are local; file://host/share
		// and file:////host are not.
		if len(rest) >= 2 && rest[1] == ':' || strings.HasPrefix(rest, "localhost") {
			return targetLocal
		}
		return targetShare
	case strings.Contains(t, "davwwwroot") || strings.Contains(t, "@ssl"):
		return targetShare
	case strings.HasPrefix(t, "http:"), strings.HasPrefix(t, "https:"), strings.HasPrefix(t, "ftp:"):
		return targetWeb
	}
	return targetLocal
}

// judgeRelationship judges one external relationship of type typ (the last
// path element of its Type URI) whose target is target.
func judgeRelationship(typ, target string, fs *rules.Findings) {
	kind := classify(target)
	risky := false
	// Every type is checked for risky handlers; file paths and shares are
	// judged by what the relationship does with them (a local template
	// path is normal, a hyperlink to a share is not).
	if typ == "hyperlink" || kind == targetWeb || !strings.HasPrefix(strings.ToLower(target), "file:") && kind != targetShare {
		risky = judgeURI(target, fs)
	}
	ev := typ + " " + target
	switch typ {
	case "attachedTemplate":
		if kind != targetLocal {
			fs.Add("remote-template", rules.Critical, "loads its template from a remote address when opened (template injection)", target)
		}
	case "oleObject":
		sev := rules.High
		if kind != targetLocal || strings.HasPrefix(strings.ToLower(target), "mhtml:") {
			sev = rules.Critical
		}
		fs.Add("external-ole-link", sev, "links an OLE object to an external address, fetched on open", target)
	case "frame", "subDocument", "aFChunk", "glossaryDocument", "package", "control", "externalLinkPath", "externalLink", "externalLinkLong", "xlExternalLinkPath/xlPathMissing":
		if kind != targetLocal {
			fs.Add("external-content", rules.High, "loads part of the document (frame, subdocument, chunk, external workbook) from a remote address on open", ev)
		}
	case "hyperlink":
		// Ordinary web links are clean; the handler decides (judged above).
		if kind == targetShare && !risky {
			fs.Add("share-link", rules.Medium, "links to a network share or WebDAV path", target)
		}
	case "image", "video", "audio", "media":
		// Remote pictures from the web are beacons at most; from a share
		// they leak the reader's NTLM hash on open.
		if kind == targetShare {
			fs.Add("share-media", rules.Medium, "loads a picture or media from a network share on open (leaks the reader's NTLM hash)", target)
		}
	default:
		switch kind {
		case targetShare:
			fs.Add("external-link", rules.Medium, "references a network share or WebDAV path", ev)
		case targetWeb:
			if strings.Contains(target, "!") {
				fs.Add("external-link", rules.Medium, "references an external address in an unusual way", ev)
			}
		}
	}
}

// Field codes (ECMA-376 17.16.5): the ones that fetch or open a target.
var (
	fieldKwRe = regexp.MustCompile(`(?i)\b(HYPERLINK|INCLUDEPICTURE|INCLUDETEXT|LINK|IMPORT|DDEAUTO|DDE)\b`)
	fieldRe   = regexp.MustCompile(`(?i)^(HYPERLINK|INCLUDEPICTURE|INCLUDETEXT|LINK|IMPORT|DDEAUTO|DDE)\b\s*(?:\\[a-z*](?:\s+"[^"]*")?\s*)*("[^"]*"|\S+)?`)
)

// judgeFields splits field instruction text (one field, or the
// instructions of a whole document run together) at the field keywords
// and judges each field.
func judgeFields(instr string, fs *rules.Findings) {
	if len(instr) > 1<<20 {
		instr = instr[:1<<20]
	}
	locs := fieldKwRe.FindAllStringIndex(instr, 1024)
	for i, loc := range locs {
		end := len(instr)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		judgeField(instr[loc[0]:end], fs)
	}
}

// judgeField judges one field instruction that starts with its keyword:
// its target through the URI table, remote includes (fetched on open or
// update), and the command line of a DDE field.
func judgeField(instr string, fs *rules.Findings) {
	m := fieldRe.FindStringSubmatch(instr)
	if m == nil {
		return
	}
	kw := strings.ToUpper(m[1])
	// Word doubles backslashes inside quoted field arguments.
	unescape := func(s string) string { return strings.ReplaceAll(s, `\\`, `\`) }
	if kw == "DDE" || kw == "DDEAUTO" {
		sev := rules.High
		if l := strings.ToLower(instr); strings.Contains(l, "cmd") || strings.Contains(l, "powershell") || strings.Contains(l, "mshta") {
			sev = rules.Critical
		}
		fs.Add("dde", sev, "has a DDE field that starts a program", instr)
		judgeCommand(unescape(strings.TrimSpace(instr[len(m[1]):])), fs)
		return
	}
	target := unescape(strings.Trim(m[2], `"`))
	if target == "" {
		return
	}
	judgeURI(target, fs)
	kind := classify(target)
	switch {
	case kw == "HYPERLINK" || kind == targetLocal:
	case kind == targetShare:
		fs.Add("remote-field", rules.High, "a field fetches content from a network share when the document opens or updates (leaks the reader's NTLM hash)", kw+" "+target)
	case kw == "INCLUDEPICTURE":
		// Pictures pasted from web pages keep INCLUDEPICTURE "http…".
		fs.Add("remote-picture", rules.Low, "a field loads a picture from the web", target)
	default:
		fs.Add("remote-field", rules.High, "a field fetches content from a remote address when the document opens or updates ("+kw+")", kw+" "+target)
	}
}

// htmlURIRe finds the places an HTML page navigates to or loads from.
var htmlURIRe = regexp.MustCompile(`(?i)(?:href|src|action|location(?:\.href)?|\.assign|\.replace|window\.open|url)\s*[=(]\s*("[^"]{1,1000}"|'[^']{1,1000}'|[^"'\s>)]{1,1000})`)

// riskySchemeRe finds risky handler URIs anywhere in script text, spaces
// and all (the Follina page builds "ms-msdt:/id PCWDiagnostic …").
var riskySchemeRe = regexp.MustCompile(`(?i)["'=(]\s*((?:ms-msdt|search-ms|ms-search|search|ms-officecmd|ms-appinstaller|ms-cxh|ms-its|mk|its|hcp|vbscript|mhtml|ms-word|ms-excel|ms-powerpoint)\s*:[^"'<>]{0,1000})`)

// judgeHTMLLinks judges the URIs an HTML page navigates to or loads.
func judgeHTMLLinks(text string, fs *rules.Findings) {
	if len(text) > 4<<20 {
		text = text[:4<<20]
	}
	seen := map[string]bool{}
	for _, m := range htmlURIRe.FindAllStringSubmatch(text, 4096) {
		if u := html.UnescapeString(strings.Trim(m[1], `"'`)); !seen[u] {
			seen[u] = true
			judgeURI(u, fs)
		}
	}
	for _, m := range riskySchemeRe.FindAllStringSubmatch(text, 256) {
		judgeURI(html.UnescapeString(m[1]), fs)
	}
}

// relTarget resolves a relationship target against the part that owns the
// relationships part ("word/_rels/document.xml.rels" owns
// "word/document.xml"; targets are relative to "word/").
func relTarget(relsPart, target string) string {
	if strings.HasPrefix(target, "/") {
		return strings.TrimPrefix(path.Clean(target), "/")
	}
	dir := path.Dir(path.Dir(relsPart)) // strip "_rels"
	if dir == "." {
		return path.Clean(target)
	}
	return path.Clean(dir + "/" + target)
}
