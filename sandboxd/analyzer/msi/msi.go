// Package msi is the sandboxd analyzer for Windows Installer packages
// (.msi, .msp, .mst): compound files whose streams hold a small relational
// database. It decodes the stream names (MSI packs them two characters to
// a code point), the string pool (_StringPool/_StringData), the column
// schema (_Columns) and then the tables that say what the package runs:
// CustomAction, with Binary and Property where an action points into them.
//
// A package that only copies files and writes the registry (standard
// actions) is clean; custom actions that run VBScript or JScript, start a
// shell or a living-off-the-land tool, or fetch a URL are what MSI
// droppers do. Every command line goes through internal/launch, the same
// judge the script and shortcut analyzers use.
//
// It promises bounded work: every stream is read under a byte budget,
// tables under a row budget, mscfb panics are recovered and ctx is checked
// between streams and rows.
package msi

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/richardlehane/mscfb"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/launch"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
	"github.com/airlockmail/airlock/verdict"
)

// Analyzer judges Windows Installer packages.
type Analyzer struct{}

// New returns the MSI analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "msi" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() string { return "1" }

var oleMagic = []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")

// CLSIDs of the root storage: {000C1084-…} package, {000C1086-…} patch,
// {000C1082-…} transform (the tail is the same C000-000000000046).
var msiCLSIDs = [][]byte{
	{0x84, 0x10, 0x0c, 0x00, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46},
	{0x86, 0x10, 0x0c, 0x00, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46},
	{0x82, 0x10, 0x0c, 0x00, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46},
}

// PackageCLSID is the root CLSID of an .msi (for the corpus generator).
func PackageCLSID() [16]byte { return [16]byte(msiCLSIDs[0]) }

// Accepts takes compound files whose root storage says MSI, and compound
// files named like one.
func (*Analyzer) Accepts(f *analyzer.File) bool {
	if !bytes.HasPrefix(f.Data, oleMagic) {
		return false
	}
	return isMSI(f.Data) || rules.HasExt(f.Ext, ".msi", ".msp", ".mst") || strings.Contains(f.Type, "installer") || strings.Contains(f.Type, "msi")
}

// isMSI reads the root directory entry's CLSID straight from the header's
// first directory sector: cheap enough for Accepts.
func isMSI(d []byte) bool {
	if len(d) < 512 {
		return false
	}
	shift := binary.LittleEndian.Uint16(d[30:])
	if shift != 9 && shift != 12 {
		return false
	}
	off := (int64(binary.LittleEndian.Uint32(d[48:])) + 1) << shift
	if off < 0 || off+96 > int64(len(d)) {
		return false
	}
	id := d[off+80 : off+96]
	for _, c := range msiCLSIDs {
		if bytes.Equal(id, c) {
			return true
		}
	}
	return false
}

// Budgets for one package.
const (
	maxStream  = 16 << 20
	maxTotal   = 64 << 20
	maxEntries = 20000
	maxScript  = 1 << 20
)

// readStreams reads every stream of the compound file, keyed by its
// decoded MSI name ("!CustomAction" for a table, "Binary.Setup" for a
// stream).
func readStreams(ctx context.Context, b []byte) (streams map[string][]byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("compound file reader panicked: %v", r)
		}
	}()
	r, err := mscfb.New(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("compound file: %w", err)
	}
	streams = map[string][]byte{}
	total := 0
	// Compound files store streams uncompressed, each sector in one
	// stream: together they cannot hold more than the file. More means
	// cyclic or shared sector chains, and reading them would only burn
	// time.
	budget := min(maxTotal, 2*len(b)+64<<10)
	for i := 0; i < maxEntries; i++ {
		if rules.Done(ctx) {
			return streams, ctx.Err()
		}
		e, err := r.Next()
		if err != nil {
			break
		}
		if e.Size <= 0 || !e.FileInfo().Mode().IsRegular() {
			continue
		}
		if e.Size > int64(len(b)) {
			return streams, fmt.Errorf("stream %q claims %d bytes, more than the whole file", DecodeStreamName(e.Name), e.Size)
		}
		n := min(e.Size, maxStream, int64(budget-total))
		if n <= 0 {
			return streams, fmt.Errorf("streams add up to more than the file holds (%d bytes)", budget)
		}
		data, _ := io.ReadAll(io.LimitReader(e, n))
		total += len(data)
		name := DecodeStreamName(strings.Join(append(append([]string{}, e.Path...), e.Name), "/"))
		streams[name] = data
	}
	return streams, nil
}

// db is the part of the database the judge needs.
type db struct {
	streams  map[string][]byte
	actions  *table
	property map[string]string
}

func open(ctx context.Context, b []byte) (*db, error) {
	streams, err := readStreams(ctx, b)
	if err != nil {
		return nil, err
	}
	pool, ok1 := streams["!_StringPool"]
	data, ok2 := streams["!_StringData"]
	cols, ok3 := streams["!_Columns"]
	if !ok1 || !ok2 || !ok3 {
		return nil, fmt.Errorf("no MSI database in the compound file (string pool or _Columns missing)")
	}
	sp, err := parseStringPool(pool, data)
	if err != nil {
		return nil, err
	}
	sch, err := schema(cols, sp)
	if err != nil {
		return nil, err
	}
	d := &db{streams: streams, property: map[string]string{}}
	if cs, ok := sch["CustomAction"]; ok {
		if d.actions, err = decodeTable(streams["!CustomAction"], cs, sp); err != nil {
			return nil, fmt.Errorf("CustomAction: %w", err)
		}
	}
	if cs, ok := sch["Property"]; ok {
		t, err := decodeTable(streams["!Property"], cs, sp)
		if err != nil {
			return nil, fmt.Errorf("Property: %w", err)
		}
		for r := range t.rows {
			d.property[t.cell(r, "Property")] = t.cell(r, "Value")
		}
	}
	return d, nil
}

// Custom action types (the low six bits of CustomAction.Type): the code
// kind in bits 0-2 and where the code comes from in bits 4-5.
const (
	kindDLL      = 1
	kindEXE      = 2
	kindText     = 3
	kindJScript  = 5
	kindVBScript = 6
	kindInstall  = 7

	srcBinary    = 0x00
	srcFile      = 0x10
	srcDirectory = 0x20 // for scripts: the code is the Target text itself
	srcProperty  = 0x30

	flagInScript      = 0x400
	flagNoImpersonate = 0x800
)

// Analyze implements analyzer.Analyzer.
func (a *Analyzer) Analyze(ctx context.Context, f *analyzer.File) (analyzer.Result, error) {
	fs := &rules.Findings{Analyzer: a.Name()}
	d, err := open(ctx, f.Data)
	if err != nil {
		if ctx.Err() != nil {
			return analyzer.Result{}, ctx.Err()
		}
		return analyzer.Result{Unscannable: "msi: " + err.Error()}, nil
	}
	var inds []verdict.Indicator
	if d.actions != nil {
		d.runtimeProperties()
		for r := range d.actions.rows {
			if rules.Done(ctx) {
				return analyzer.Result{Findings: fs.List()}, ctx.Err()
			}
			inds = append(inds, judgeAction(ctx, d, r, fs)...)
		}
		if n := len(d.actions.rows); n > 0 {
			fs.Add("custom-actions", rules.Info, fmt.Sprintf("defines %d custom action(s)", n), strings.Join(actionNames(d.actions), ", "))
		}
	}
	for name, s := range d.streams {
		if rules.ContainsEICAR(s) {
			fs.AddEICAR("MSI stream " + name)
		}
	}
	return analyzer.Result{Findings: fs.List(), Indicators: inds}, ctx.Err()
}

// runtimeProperties adds the properties type 51 actions set at run time
// (where the Property table has none): a later type 50/53/54 action can
// run what one of them set.
func (d *db) runtimeProperties() {
	for r := range d.actions.rows {
		typ, err := strconv.Atoi(d.actions.cell(r, "Type"))
		if err == nil && typ&0x07 == kindText && typ&0x30 == srcProperty {
			src := d.actions.cell(r, "Source")
			if _, ok := d.property[src]; !ok {
				d.property[src] = d.actions.cell(r, "Target")
			}
		}
	}
}

func actionNames(t *table) []string {
	var out []string
	for r := range t.rows {
		if len(out) == 8 {
			out = append(out, "…")
			break
		}
		out = append(out, t.cell(r, "Action"))
	}
	return out
}

// judgeAction records what one CustomAction row would do.
func judgeAction(ctx context.Context, d *db, r int, fs *rules.Findings) []verdict.Indicator {
	t := d.actions
	name, source, target := t.cell(r, "Action"), t.cell(r, "Source"), t.cell(r, "Target")
	typ, err := strconv.Atoi(t.cell(r, "Type"))
	if err != nil {
		fs.Add("malformed-action", rules.Low, "a custom action has no readable type", name)
		return nil
	}
	kind, src := typ&0x07, typ&0x30
	where := fmt.Sprintf("%s (type %d)", name, typ)
	var inds []verdict.Indicator
	for _, u := range urls(source + " " + target + " " + d.property[source]) {
		inds = append(inds, verdict.Indicator{Kind: "url", Value: u})
	}
	risky := false
	switch kind {
	case kindJScript, kindVBScript:
		lang := map[int]string{kindJScript: "JScript", kindVBScript: "VBScript"}[kind]
		code := ""
		switch src {
		case srcBinary:
			code = string(d.streams["Binary."+source])
		case srcDirectory:
			code = target
		case srcProperty:
			code = d.property[source]
		}
		ev := where + ": " + lang
		if code != "" {
			ev += ": " + code
		} else {
			ev += " from " + source
		}
		fs.Add("script-action", rules.High, "runs "+lang+" as a custom action during installation (how MSI droppers start their payload)", ev)
		if code != "" {
			l := launch.JScript
			if kind == kindVBScript {
				l = launch.VBScript
			}
			launch.Script(ctx, fs, code[:min(len(code), maxScript)], l)
		}
		risky = true
	case kindEXE:
		cmd := target
		switch src {
		case srcProperty:
			cmd = d.property[source] + " " + target
		case srcFile:
			cmd = "[#" + source + "] " + target
		case srcBinary:
			cmd = "[Binary." + source + "] " + target
			if bytes.HasPrefix(d.streams["Binary."+source], []byte("MZ")) {
				fs.Add("embedded-exe-action", rules.Medium, "runs a program stored inside the package during installation", where+": Binary."+source+" "+target)
				risky = true
			}
		}
		if prog := launch.Program(cmd); prog != "" && (src == srcDirectory || src == srcProperty) {
			fs.Add("lolbin-action", rules.Medium, "a custom action starts "+prog+" during installation", where+": "+cmd)
			risky = true
		}
		if u := urls(cmd); len(u) > 0 {
			fs.Add("url-action", rules.High, "a custom action's command line fetches from the network during installation", where+": "+cmd)
			risky = true
		}
		if launch.Command(ctx, fs, cmd) || launch.Command(ctx, fs, launch.Embedded(target)) {
			fs.Add("command-action", rules.High, "a custom action runs a risky command line during installation", where+": "+cmd)
			risky = true
		}
	case kindText:
		if src == srcProperty && launch.Program(target) != "" {
			fs.Add("property-command", rules.Medium, "a custom action sets a property to a "+launch.Program(target)+" command line (deferred actions run such values)", where+": "+target)
			launch.Command(ctx, fs, target)
			risky = true
		}
		if src == srcProperty && strings.Contains(strings.ToLower(target), "://") {
			// Setting a property to a URL is only a step: judge it when
			// an action uses it, but keep the address as an indicator.
			fs.Add("url-property", rules.Info, "a custom action sets a property to a URL", where+": "+target)
		}
	case kindInstall:
		if src == srcDirectory || src == srcProperty {
			fs.Add("nested-install", rules.Low, "a custom action installs another package", where+": "+source+" "+target)
		}
	}
	if risky && typ&flagInScript != 0 && typ&flagNoImpersonate != 0 {
		fs.Add("system-action", rules.Medium, "the risky custom action is deferred without impersonation: it runs as LocalSystem", where)
	}
	return inds
}

func urls(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '"' || r == '\'' || r == '\t' || r == '\n' }) {
		lw := strings.ToLower(w)
		if i := strings.Index(lw, "http"); i >= 0 && (strings.HasPrefix(lw[i:], "http://") || strings.HasPrefix(lw[i:], "https://")) && len(out) < 8 {
			out = append(out, w[i:])
		}
	}
	return out
}
