// Package shellxml is the sandboxd analyzer for the XML files Windows
// Explorer opens as places: library descriptions (.library-ms), search
// connectors (.searchConnector-ms), saved searches (.search-ms) and
// settings shortcuts (.settingcontent-ms). A library or connector whose
// location is a share or WebDAV folder shows the attacker's files in
// Explorer as if they were local (and leaks the user's NTLM hash, even
// when the file is only unpacked: CVE-2025-24054); a settings shortcut's
// DeepLink is a command line that runs on a double click.
//
// It promises bounded work (bytes, tokens, depth), fails closed
// (unscannable) on XML it cannot read or that is not one of these
// formats, and stays silent on local and known-folder locations.
package shellxml

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/cmdline"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
	"github.com/airlockmail/airlock/verdict"
)

// Bounds: real files are a few KiB.
const (
	maxRead   = 2 << 20
	maxTokens = 200000
	maxDepth  = 256
	maxValue  = 64 << 10
)

// Analyzer judges shell XML places.
type Analyzer struct{}

// New returns the analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "shellxml" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() string { return "1" }

var exts = []string{".library-ms", ".searchconnector-ms", ".search-ms", ".settingcontent-ms"}

// roots are the document elements of the formats (lower case).
var roots = map[string]string{
	"librarydescription":         "library",
	"searchconnectordescription": "search connector",
	"persistedquery":             "saved search",
	"pcsettings":                 "settings shortcut",
}

// Accepts takes the extensions, and XML or text without one of them whose
// head names one of the root elements.
func (*Analyzer) Accepts(f *analyzer.File) bool {
	if rules.HasExt(f.Ext, exts...) {
		return true
	}
	if f.Ext != "" && !rules.HasExt(f.Ext, ".xml", ".txt") {
		return false
	}
	head := strings.ToLower(decode(f.Data[:min(len(f.Data), 4096)]))
	for r := range roots {
		if strings.Contains(head, "<"+r) {
			return true
		}
	}
	return false
}

// decode turns the bytes into UTF-8 text (UTF-16 with BOM converted).
func decode(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xff, 0xfe}):
		return utf16String(b[2:], false)
	case bytes.HasPrefix(b, []byte{0xfe, 0xff}):
		return utf16String(b[2:], true)
	case bytes.HasPrefix(b, []byte{0xef, 0xbb, 0xbf}):
		return string(b[3:])
	case len(b) >= 4 && b[0] == '<' && b[1] == 0:
		return utf16String(b, false)
	}
	return string(b)
}

func utf16String(b []byte, be bool) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		if be {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		}
	}
	return string(utf16.Decode(u))
}

// Value is one element text or attribute value and where it was.
type Value struct {
	// Path is the element names from the root, lower case, "/"-joined;
	// an attribute adds "@name".
	Path, Text string
}

// Parse reads the document and returns its root element's name (lower
// case) and every non-empty text and attribute value.
func Parse(ctx context.Context, data []byte) (root string, vals []Value, err error) {
	if len(data) > maxRead {
		return "", nil, fmt.Errorf("%d bytes is over the %d byte limit", len(data), maxRead)
	}
	d := xml.NewDecoder(strings.NewReader(decode(data)))
	d.Strict = true
	// The text is already UTF-8; a declaration naming UTF-16 describes
	// the bytes before decode.
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var stack []string
	var text strings.Builder
	for n := 0; ; n++ {
		if n > maxTokens || n%1024 == 0 && rules.Done(ctx) {
			return root, vals, errors.New("too many XML tokens")
		}
		tok, err := d.Token()
		if err == io.EOF {
			if root == "" {
				return "", vals, errors.New("no root element")
			}
			return root, vals, nil
		}
		if err != nil {
			return root, vals, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := strings.ToLower(t.Name.Local)
			if root == "" {
				root = name
			}
			stack = append(stack, name)
			if len(stack) > maxDepth {
				return root, vals, errors.New("XML nests too deep")
			}
			text.Reset()
			p := strings.Join(stack, "/")
			for _, a := range t.Attr {
				if v := strings.TrimSpace(a.Value); v != "" {
					vals = append(vals, Value{Path: p + "@" + strings.ToLower(a.Name.Local), Text: clip(v)})
				}
			}
		case xml.CharData:
			if text.Len() < maxValue {
				text.Write(t)
			}
		case xml.EndElement:
			if v := strings.TrimSpace(text.String()); v != "" && len(stack) > 0 {
				vals = append(vals, Value{Path: strings.Join(stack, "/"), Text: clip(v)})
			}
			text.Reset()
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		}
	}
}

func clip(s string) string {
	if len(s) > maxValue {
		return s[:maxValue]
	}
	return s
}

// Analyze implements analyzer.Analyzer.
func (a *Analyzer) Analyze(ctx context.Context, f *analyzer.File) (analyzer.Result, error) {
	fs := &rules.Findings{Analyzer: a.Name()}
	var res analyzer.Result
	root, vals, err := Parse(ctx, f.Data)
	kind, known := roots[root]
	switch {
	case err != nil:
		res.Unscannable = "shellxml: " + err.Error()
	case !known:
		res.Unscannable = fmt.Sprintf("shellxml: root element <%s> is not a library, search connector, saved search or settings shortcut", root)
	}
	if kind == "" {
		kind = "shell place"
	}
	for _, v := range vals {
		a.value(kind, v, fs, &res)
	}
	res.Findings = fs.List()
	return res, ctx.Err()
}

// locationPaths are the values that name where a place points.
func isLocation(p string) bool {
	last := p[strings.LastIndexAny(p, "/")+1:]
	switch last {
	case "url", "simplelocation", "include@path", "scope@path", "location", "include@knownfolder", "folder", "include@folderpath":
		return true
	}
	return strings.HasSuffix(p, "@path") || strings.HasSuffix(p, "@url") || strings.HasSuffix(p, "/url")
}

func (a *Analyzer) value(kind string, v Value, fs *rules.Findings, res *analyzer.Result) {
	l := strings.ToLower(v.Text)
	switch {
	case strings.HasSuffix(v.Path, "/deeplink"):
		// A settings shortcut runs its DeepLink; Windows' own point at
		// control.exe or an ms-settings: page.
		if !strings.HasPrefix(l, "%windir%\\system32\\control.exe") && !strings.HasPrefix(l, "ms-settings:") &&
			!strings.HasPrefix(l, "c:\\windows\\system32\\control.exe") {
			fs.Add("settings-deeplink", rules.High, "the settings shortcut's DeepLink runs a command line", v.Text)
		}
		for _, x := range cmdline.Judge(a.Name(), v.Text) {
			fs.Add(x.Rule, x.Severity, x.Description, x.Evidence)
		}
		return
	case strings.HasSuffix(v.Path, "/iconreference") || strings.HasSuffix(v.Path, "@iconreference"):
		if remote(v.Text) {
			fs.Add("remote-icon", rules.High, "the "+kind+"'s icon is fetched from a network share or WebDAV when shown (leaks the user's NTLM hash)", v.Text)
		}
		return
	}
	if isLocation(v.Path) {
		switch {
		case remote(v.Text):
			fs.Add("remote-location", rules.High, "the "+kind+" points at a network share or WebDAV folder: Explorer shows the attacker's files as local (and leaks the user's NTLM hash)", v.Text)
			return
		case strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://"):
			// Explorer opens an http location of a library or
			// connector as a WebDAV folder.
			fs.Add("remote-location", rules.High, "the "+kind+" points at a web folder, which Explorer opens over WebDAV and shows as local", v.Text)
			res.Indicators = append(res.Indicators, verdict.Indicator{Kind: "url", Value: rules.Evidence(v.Text)})
			return
		}
	}
	x, ok := cmdline.RiskyURI(a.Name(), v.Text)
	if ok && x.Rule == "risky-uri-shell" && isLocation(v.Path) {
		return // shell: namespace folders are ordinary library locations
	}
	if ok && x.Rule != "risky-uri-file" {
		fs.Add(x.Rule, x.Severity, "the "+kind+" "+x.Description, x.Evidence)
	} else if ok && remote(v.Text) {
		fs.Add(x.Rule, x.Severity, "the "+kind+" "+x.Description, x.Evidence)
	}
}

// remote reports a share, WebDAV location or file URL with a host.
func remote(v string) bool { return cmdline.IsRemote(v) }
