// Package msix is the sandboxd analyzer for MSIX/APPX packages (and their
// bundles) and for .appinstaller files. A package is a zip whose
// AppxManifest.xml says what Windows starts once it is installed: the
// Application's Executable (with uap10:Parameters), the Package Support
// Framework's launcher and the scripts its config.json runs
// (startScript/endScript), and desktop extensions (startup tasks,
// execution aliases, protocols). Droppers since 2023 ship signed-looking
// MSIX whose PSF start script is PowerShell, or an .appinstaller pointing
// at a package on a bare address; an ordinary signed app that starts its
// own program stays clean.
//
// It promises bounded work: member count and bytes are budgeted, one
// level of bundle nesting is followed, XML is decoded with a token budget.
package msix

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/url"
	"path"
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/launch"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
	"github.com/airlockmail/airlock/verdict"
)

// Analyzer judges MSIX/APPX packages and App Installer files.
type Analyzer struct{}

// New returns the MSIX analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "msix" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() string { return "1" }

// Budgets for one package.
const (
	maxMembers   = 20000
	maxXML       = 4 << 20
	maxScript    = 1 << 20
	maxInner     = 64 << 20
	maxXMLTokens = 200000
)

var packageExts = []string{".msix", ".appx", ".msixbundle", ".appxbundle"}

// Accepts takes zips that carry an AppxManifest.xml or a bundle manifest
// near the start, anything named like a package, and App Installer XML.
func (*Analyzer) Accepts(f *analyzer.File) bool {
	d := f.Data
	if rules.HasExt(f.Ext, append(packageExts, ".appinstaller")...) {
		return true
	}
	return IsPackage(d) || isAppInstaller(d)
}

// IsPackage reports whether d is a zip that names an MSIX/APPX manifest
// or block map in its first local headers or in its central directory
// (the last 64 KiB): packers put the payload first, so the manifest's
// local header may sit megabytes in.
func IsPackage(d []byte) bool {
	if !bytes.HasPrefix(d, []byte("PK\x03\x04")) {
		return false
	}
	for _, part := range [][]byte{d[:min(len(d), 1<<16)], d[max(0, len(d)-1<<16):]} {
		if bytes.Contains(part, []byte("AppxManifest.xml")) || bytes.Contains(part, []byte("AppxBundleManifest.xml")) ||
			bytes.Contains(part, []byte("AppxBlockMap.xml")) {
			return true
		}
	}
	return false
}

func isAppInstaller(d []byte) bool {
	head := d[:min(len(d), 4096)]
	return bytes.Contains(head, []byte("<AppInstaller")) && bytes.Contains(head, []byte("schemas.microsoft.com/appx/appinstaller"))
}

// Analyze implements analyzer.Analyzer.
func (a *Analyzer) Analyze(ctx context.Context, f *analyzer.File) (analyzer.Result, error) {
	fs := &rules.Findings{Analyzer: a.Name()}
	var inds []verdict.Indicator
	if !bytes.HasPrefix(f.Data, []byte("PK")) {
		if !isAppInstaller(f.Data) {
			return analyzer.Result{Unscannable: "msix: neither a package (zip) nor an App Installer file"}, nil
		}
		inds = appInstaller(f.Data, fs)
		return analyzer.Result{Findings: fs.List(), Indicators: inds}, ctx.Err()
	}
	p := &pkgRun{ctx: ctx, fs: fs}
	if err := p.walk(f.Data, 0); err != nil {
		if ctx.Err() != nil {
			return analyzer.Result{Findings: fs.List()}, ctx.Err()
		}
		return analyzer.Result{Findings: fs.List(), Unscannable: "msix: " + err.Error()}, nil
	}
	return analyzer.Result{Findings: fs.List(), Indicators: p.inds}, ctx.Err()
}

// pkgRun carries one analysis through a package and its bundled packages.
type pkgRun struct {
	ctx   context.Context
	fs    *rules.Findings
	inds  []verdict.Indicator
	total int
}

// walk reads one package (depth 0) or a package inside a bundle (depth 1).
func (p *pkgRun) walk(data []byte, depth int) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	if len(zr.File) > maxMembers {
		return fmt.Errorf("%d members, more than %d", len(zr.File), maxMembers)
	}
	members := map[string]*zip.File{}
	for _, m := range zr.File {
		members[strings.ToLower(strings.ReplaceAll(m.Name, `\`, "/"))] = m
	}
	read := func(name string, limit int) ([]byte, error) {
		m := members[strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(name, `.\`), `\`, "/"))]
		if m == nil {
			return nil, nil
		}
		return p.read(m, limit)
	}
	if bm, _ := read("AppxMetadata/AppxBundleManifest.xml", maxXML); bm != nil {
		if depth > 0 {
			return fmt.Errorf("a bundle inside a bundle")
		}
		p.fs.Add("bundle", rules.Info, "an MSIX/APPX bundle", fmt.Sprintf("%d members", len(zr.File)))
		for _, m := range zr.File {
			if rules.Done(p.ctx) {
				return p.ctx.Err()
			}
			if !rules.HasExt(path.Ext(strings.ToLower(m.Name)), ".msix", ".appx") {
				continue
			}
			inner, err := p.read(m, maxInner)
			if err != nil {
				return fmt.Errorf("bundled %s: %w", m.Name, err)
			}
			if err := p.walk(inner, depth+1); err != nil {
				return fmt.Errorf("bundled %s: %w", m.Name, err)
			}
		}
		return nil
	}
	man, err := read("AppxManifest.xml", maxXML)
	if err != nil {
		return fmt.Errorf("AppxManifest.xml: %w", err)
	}
	if man == nil {
		return fmt.Errorf("no AppxManifest.xml")
	}
	m, err := parseManifest(man)
	if err != nil {
		return fmt.Errorf("AppxManifest.xml: %w", err)
	}
	if members["appxsignature.p7x"] == nil {
		p.fs.Add("unsigned", rules.Low, "the package is not signed (no AppxSignature.p7x): Windows installs it only with sideloading tricks", m.identity)
	}
	p.judgeManifest(m, read)
	for _, zm := range zr.File {
		if rules.Done(p.ctx) {
			return p.ctx.Err()
		}
		lower := strings.ToLower(zm.Name)
		switch path.Ext(lower) {
		case ".ps1", ".bat", ".cmd", ".vbs", ".js", ".hta":
			b, err := p.read(zm, maxScript)
			if err != nil {
				return err
			}
			t := launch.Script(p.ctx, p.fs, string(b), scriptLang(lower))
			if t.Download && (t.Exec || t.Eval) {
				p.fs.Add("payload-script", rules.Critical, "the package carries a script that downloads code and runs it", zm.Name)
			} else if t.Download || t.Exec && t.Shell || t.Hidden {
				p.fs.Add("payload-script", rules.High, "the package carries a script that downloads or starts programs", zm.Name)
			}
		}
	}
	return nil
}

func (p *pkgRun) read(m *zip.File, limit int) ([]byte, error) {
	if m.Flags&1 != 0 {
		return nil, fmt.Errorf("%s is encrypted", m.Name)
	}
	if p.total+limit > maxInner*2 {
		limit = maxInner*2 - p.total
	}
	if limit <= 0 {
		return nil, fmt.Errorf("package expands past %d bytes", maxInner*2)
	}
	rc, err := m.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.Name, err)
	}
	if len(b) > limit {
		return nil, fmt.Errorf("%s expands past %d bytes", m.Name, limit)
	}
	p.total += len(b)
	if rules.ContainsEICAR(b) {
		p.fs.AddEICAR("package member " + m.Name)
	}
	return b, nil
}

// manifest is what the judge needs from AppxManifest.xml.
type manifest struct {
	identity     string
	apps         []app
	capabilities []string
	extensions   []extension
}

type app struct {
	id, executable, entryPoint, parameters string
}

type extension struct {
	category, executable, parameters string
}

// parseManifest walks the manifest's elements by local name: the schema
// spreads the same attributes over a dozen namespaces (uap, uap10,
// desktop, rescap…), and a token walk is blind to which one is used.
func parseManifest(b []byte) (*manifest, error) {
	m := &manifest{}
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = false
	for tokens := 0; tokens < maxXMLTokens; tokens++ {
		tok, err := d.Token()
		if err == io.EOF {
			return m, nil
		}
		if err != nil {
			return m, err
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		attr := func(name string) string {
			for _, a := range se.Attr {
				if a.Name.Local == name {
					return a.Value
				}
			}
			return ""
		}
		switch se.Name.Local {
		case "Identity":
			m.identity = attr("Name") + " " + attr("Publisher")
		case "Application":
			m.apps = append(m.apps, app{attr("Id"), attr("Executable"), attr("EntryPoint"), attr("Parameters")})
		case "Extension":
			m.extensions = append(m.extensions, extension{attr("Category"), attr("Executable"), attr("Parameters")})
		case "Capability":
			m.capabilities = append(m.capabilities, attr("Name"))
		}
	}
	return m, fmt.Errorf("more than %d XML tokens", maxXMLTokens)
}

// psfConfig is the Package Support Framework's config.json: which
// executable each application really runs, and the scripts PSF runs
// around it.
type psfConfig struct {
	Applications []struct {
		ID          string `json:"id"`
		Executable  string `json:"executable"`
		Arguments   string `json:"arguments"`
		StartScript *struct {
			ScriptPath      string `json:"scriptPath"`
			ScriptArguments string `json:"scriptArguments"`
			ShowWindow      *bool  `json:"showWindow"`
		} `json:"startScript"`
		EndScript *struct {
			ScriptPath string `json:"scriptPath"`
		} `json:"endScript"`
	} `json:"applications"`
}

func (p *pkgRun) judgeManifest(m *manifest, read func(string, int) ([]byte, error)) {
	fs := p.fs
	for _, a := range m.apps {
		cmd := strings.TrimSpace(a.executable + " " + a.parameters)
		exe := path.Base(strings.ReplaceAll(a.executable, `\`, "/"))
		fs.Add("application", rules.Info, "installs an application that starts a program", a.id+": "+cmd)
		if prog := launch.Program(exe); prog != "" {
			fs.Add("starts-lolbin", rules.High, "the package's application is "+prog+" itself: installing it adds a shortcut that runs a command line", cmd)
			launch.Command(p.ctx, fs, exe+" "+a.parameters)
		} else if a.parameters != "" {
			launch.Command(p.ctx, fs, a.parameters)
		}
		if strings.HasPrefix(strings.ToLower(exe), "psflauncher") {
			p.judgePSF(read)
		}
	}
	for _, e := range m.extensions {
		switch strings.ToLower(e.category) {
		case "windows.startuptask":
			fs.Add("startup-task", rules.Low, "registers a program to start at every logon", e.executable)
		case "windows.appexecutionalias":
			fs.Add("execution-alias", rules.Info, "adds a command-line alias", e.executable)
		}
		if e.parameters != "" {
			launch.Command(p.ctx, fs, e.executable+" "+e.parameters)
		}
	}
	for _, c := range m.capabilities {
		if c == "allowElevation" || c == "unvirtualizedResources" || c == "packagedServices" || c == "localSystemServices" {
			fs.Add("capability", rules.Low, "asks for a capability that reaches outside the app container", c)
		}
	}
}

// judgePSF reads config.json beside PsfLauncher and judges the scripts it
// runs: a start script is PowerShell that runs before the app, as SYSTEM
// rules allow it, often with its window hidden.
func (p *pkgRun) judgePSF(read func(string, int) ([]byte, error)) {
	fs := p.fs
	b, err := read("config.json", maxXML)
	if err != nil || b == nil {
		fs.Add("psf", rules.Low, "starts through the Package Support Framework launcher, whose config.json is missing or unreadable", "PsfLauncher")
		return
	}
	var cfg psfConfig
	if err := json.Unmarshal(b, &cfg); err != nil {
		fs.Add("psf", rules.Low, "the Package Support Framework config.json is malformed", err.Error())
		return
	}
	for _, a := range cfg.Applications {
		if a.StartScript != nil && a.StartScript.ScriptPath != "" {
			ev := a.ID + ": " + a.StartScript.ScriptPath + " " + a.StartScript.ScriptArguments
			if a.StartScript.ShowWindow != nil && !*a.StartScript.ShowWindow {
				ev += " (hidden window)"
			}
			fs.Add("psf-start-script", rules.Medium, "runs a PowerShell start script through the Package Support Framework before the app", ev)
			if s, _ := read(a.StartScript.ScriptPath, maxScript); s != nil {
				launch.Script(p.ctx, fs, string(s), scriptLang(strings.ToLower(a.StartScript.ScriptPath)))
			}
		}
		if a.EndScript != nil && a.EndScript.ScriptPath != "" {
			fs.Add("psf-end-script", rules.Medium, "runs a PowerShell script through the Package Support Framework when the app ends", a.ID+": "+a.EndScript.ScriptPath)
		}
	}
}

// appInstaller judges an .appinstaller file: it makes Windows fetch and
// install the package it names (ms-appinstaller: links open it).
func appInstaller(b []byte, fs *rules.Findings) []verdict.Indicator {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = false
	var inds []verdict.Indicator
	for tokens := 0; tokens < maxXMLTokens; tokens++ {
		tok, err := d.Token()
		if err != nil {
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "MainPackage", "MainBundle", "Package", "Bundle", "Dependency", "OptionalPackage":
		default:
			continue
		}
		for _, a := range se.Attr {
			if a.Name.Local != "Uri" {
				continue
			}
			inds = append(inds, verdict.Indicator{Kind: "url", Value: a.Value})
			fs.Add("remote-package", rules.Low, "an App Installer file: opening it installs a package fetched from the network", a.Value)
			u, err := url.Parse(strings.TrimSpace(a.Value))
			if err != nil {
				fs.Add("bad-package-uri", rules.Medium, "the package address cannot be parsed", a.Value)
				continue
			}
			if !strings.EqualFold(u.Scheme, "https") {
				fs.Add("insecure-package-uri", rules.Medium, "the package is fetched without TLS (or from a share)", a.Value)
			}
			if net.ParseIP(strings.Trim(u.Hostname(), "[]")) != nil {
				fs.Add("ip-package-uri", rules.Medium, "the package is fetched from a bare IP address", a.Value)
			}
		}
	}
	return inds
}

func scriptLang(n string) launch.Lang {
	switch path.Ext(n) {
	case ".vbs", ".vbe":
		return launch.VBScript
	case ".ps1":
		return launch.PowerShell
	case ".bat", ".cmd":
		return launch.Batch
	}
	return launch.JScript
}
