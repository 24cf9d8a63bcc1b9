// Package lnk is the sandboxd analyzer for Windows shortcuts (MS-SHLLINK):
// it reads the target, the arguments, the working directory and the icon
// location, and judges what the shortcut would run: a command interpreter
// or script host with a download cradle or an encoded command, arguments
// padded so Explorer's properties dialog does not show them, a document
// icon on a program.
//
// Every length in the file is checked against the bytes present; strings
// are bounded.
package lnk

import (
	"bytes"
	"context"
	"encoding/binary"
	"strings"
	"unicode/utf16"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/cmdline"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
	"github.com/airlockmail/airlock/sandboxd/analyzer/script"
)

// Analyzer judges Windows shortcuts.
type Analyzer struct{}

// New returns the shortcut analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "lnk" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() string { return "2" }

// header is HeaderSize 0x4C and the ShellLink CLSID
// {00021401-0000-0000-C000-000000000046}.
var header = []byte{0x4c, 0, 0, 0, 0x01, 0x14, 0x02, 0x00, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46}

// IsLNK reports whether b starts like a shell link.
func IsLNK(b []byte) bool { return bytes.HasPrefix(b, header) }

// Accepts takes shell links by magic or extension.
func (*Analyzer) Accepts(f *analyzer.File) bool {
	return IsLNK(f.Data) || rules.HasExt(f.Ext, ".lnk")
}

// Link is what a shortcut says.
type Link struct {
	Target, Name, RelativePath, WorkingDir, Arguments, IconLocation, EnvTarget string
	ShowCommand                                                                uint32
}

// Link flags (MS-SHLLINK 2.1.1).
const (
	hasIDList      = 1 << 0
	hasLinkInfo    = 1 << 1
	hasName        = 1 << 2
	hasRelPath     = 1 << 3
	hasWorkingDir  = 1 << 4
	hasArguments   = 1 << 5
	hasIconLoc     = 1 << 6
	isUnicode      = 1 << 7
	maxStringChars = 1 << 16
)

// Parse reads a shell link. It returns what it could read and ok=false
// when the header is wrong or a structure overruns the file.
func Parse(b []byte) (l Link, ok bool) {
	if !IsLNK(b) || len(b) < 0x4c {
		return l, false
	}
	flags := binary.LittleEndian.Uint32(b[0x14:])
	l.ShowCommand = binary.LittleEndian.Uint32(b[0x3c:])
	p := b[0x4c:]
	var idlist []byte
	if flags&hasIDList != 0 {
		if len(p) < 2 {
			return l, false
		}
		n := int(binary.LittleEndian.Uint16(p))
		if 2+n > len(p) {
			return l, false
		}
		idlist = p[2 : 2+n]
		p = p[2+n:]
	}
	if flags&hasLinkInfo != 0 {
		if len(p) < 28 {
			return l, false
		}
		size := int(binary.LittleEndian.Uint32(p))
		if size < 28 || size > len(p) {
			return l, false
		}
		info := p[:size]
		if off := int(binary.LittleEndian.Uint32(info[16:])); off > 0 && off < size {
			l.Target = cstr(info[off:])
		}
		if off := int(binary.LittleEndian.Uint32(info[24:])); off > 0 && off < size && l.Target != "" {
			l.Target += cstr(info[off:])
		}
		p = p[size:]
	}
	unicode := flags&isUnicode != 0
	for _, f := range []struct {
		bit uint32
		dst *string
	}{{hasName, &l.Name}, {hasRelPath, &l.RelativePath}, {hasWorkingDir, &l.WorkingDir}, {hasArguments, &l.Arguments}, {hasIconLoc, &l.IconLocation}} {
		if flags&f.bit == 0 {
			continue
		}
		var s string
		var good bool
		s, p, good = stringData(p, unicode)
		if !good {
			return l, false
		}
		*f.dst = s
	}
	// Extra data: the environment-variables block holds the target when
	// the link was made with %VARS%.
	for len(p) >= 8 {
		size := int(binary.LittleEndian.Uint32(p))
		if size < 8 || size > len(p) {
			break
		}
		sig := binary.LittleEndian.Uint32(p[4:])
		if sig == 0xa0000001 && size >= 8+260+520 {
			l.EnvTarget = utf16z(p[8+260 : 8+260+520])
			if l.EnvTarget == "" {
				l.EnvTarget = cstr(p[8 : 8+260])
			}
		}
		p = p[size:]
	}
	if l.Target == "" {
		l.Target = idListTarget(idlist)
	}
	return l, true
}

func stringData(p []byte, unicode bool) (string, []byte, bool) {
	if len(p) < 2 {
		return "", p, false
	}
	n := int(binary.LittleEndian.Uint16(p))
	p = p[2:]
	if !unicode {
		if n > len(p) {
			return "", p, false
		}
		return string(p[:n]), p[n:], true
	}
	if 2*n > len(p) || n > maxStringChars {
		return "", p, false
	}
	return utf16z(p[:2*n]), p[2*n:], true
}

func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b[:min(len(b), 1024)])
}

func utf16z(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

// idListTarget pulls the last file name out of the shell item list when
// there is no LinkInfo: file entry items carry the short name as ASCII.
func idListTarget(b []byte) string {
	var last string
	for len(b) >= 2 {
		n := int(binary.LittleEndian.Uint16(b))
		if n < 2 || n > len(b) {
			break
		}
		item := b[2:n]
		if len(item) > 12 && item[0]&0x70 == 0x30 { // file entry
			last = cstr(item[12:])
		}
		b = b[n:]
	}
	return last
}

// lolbins are programs a shortcut should not need to start with arguments.
var lolbins = []string{"cmd.exe", "powershell.exe", "pwsh.exe", "mshta.exe", "wscript.exe", "cscript.exe", "rundll32.exe",
	"regsvr32.exe", "certutil.exe", "bitsadmin.exe", "msiexec.exe", "conhost.exe", "forfiles.exe", "schtasks.exe",
	"curl.exe", "hh.exe", "explorer.exe", "wmic.exe", "msbuild.exe", "installutil.exe", "cmstp.exe"}

// Inspect records the findings for link bytes b (also used by the archive
// and disk image analyzers on members).
func Inspect(ctx context.Context, b []byte, fs *rules.Findings) {
	l, ok := Parse(b)
	if !ok {
		fs.Add("malformed", rules.Low, "the shortcut is malformed", "")
	}
	target := l.Target
	if l.EnvTarget != "" {
		target = l.EnvTarget
	}
	if target == "" {
		target = l.RelativePath
	}
	lt := strings.ToLower(strings.ReplaceAll(target, "/", `\`))
	bin := ""
	for _, x := range lolbins {
		if strings.HasSuffix(lt, `\`+x) || lt == x || strings.HasSuffix(lt, `\`+strings.TrimSuffix(x, ".exe")) {
			bin = x
		}
	}
	cmd := target + " " + l.Arguments
	if bin != "" && strings.TrimSpace(l.Arguments) != "" {
		fs.Add("lolbin-target", rules.High, "the shortcut starts "+bin+" with arguments", cmd)
	}
	args := l.Arguments
	if trimmed := strings.TrimLeft(args, " \t\r\n"); len(args)-len(trimmed) >= 64 || len(args) > 1024 && bin != "" {
		fs.Add("padded-arguments", rules.High, "the shortcut's arguments are padded so that Explorer does not show them", trimmed)
	}
	if bin != "" && l.ShowCommand == 7 {
		fs.Add("minimized", rules.Medium, "the shortcut starts its command minimized, out of sight", cmd)
	}
	il := strings.ToLower(l.IconLocation)
	if bin != "" && il != "" && (strings.Contains(il, ".pdf") || strings.Contains(il, ".doc") || strings.Contains(il, ".xls") ||
		strings.Contains(il, "acrord") || strings.Contains(il, "winword") || strings.Contains(il, "excel") ||
		strings.Contains(il, "msedge") || strings.Contains(il, "imageres") || strings.Contains(il, "shell32")) {
		fs.Add("decoy-icon", rules.Medium, "the shortcut shows a document or system icon while starting "+bin, l.IconLocation)
	}
	if strings.HasPrefix(lt, `\\`) || strings.HasPrefix(lt, "http") {
		fs.Add("remote-target", rules.High, "the shortcut runs a program from a network share or web address", target)
	}
	if rules.ContainsEICAR([]byte(cmd)) {
		fs.AddEICAR("shortcut arguments")
	}
	if strings.TrimSpace(l.Arguments) != "" {
		t := script.Scan(ctx, cmd, fs)
		if bin != "" && (t.Download || t.Obfuscated || t.Eval || fs.Has("lolbin")) {
			fs.Add("shortcut-dropper", rules.Critical, "the shortcut starts "+bin+" to fetch, decode or evaluate code", cmd)
		}
		// The shared living-off-the-land rules judge what the command
		// line runs (the target quoted: it may hold spaces).
		for _, x := range cmdline.Judge(fs.Analyzer, `"`+target+`" `+l.Arguments) {
			fs.Add(x.Rule, x.Severity, x.Description, x.Evidence)
		}
	}
	if cmdline.IsRemote(l.IconLocation) {
		fs.Add("remote-icon", rules.High, "the shortcut's icon is fetched from a network share or WebDAV when shown (leaks the user's NTLM hash)", l.IconLocation)
	}
	fs.Add("target", rules.Info, "the shortcut's target", cmd)
}

// Analyze implements analyzer.Analyzer.
func (a *Analyzer) Analyze(ctx context.Context, f *analyzer.File) (analyzer.Result, error) {
	fs := &rules.Findings{Analyzer: a.Name()}
	Inspect(ctx, f.Data, fs)
	return analyzer.Result{Findings: fs.List()}, ctx.Err()
}
