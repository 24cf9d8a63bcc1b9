// Package jsemu is the sandboxd analyzer that detonates JavaScript (plain
// .js/.jse, and the JScript parts of HTA, WSF and HTML files) in a fake
// Windows Script Host built on the pure-Go goja engine, and reports what
// the script tried to do: URLs fetched, files written (with their SHA-256),
// commands launched, registry writes, WMI calls, and the code it built and
// evaluated at run time (eval and Function layers).
//
// It promises:
//   - nothing the script does reaches the network, the disk, the registry
//     or a process: every ActiveX object is a recording fake;
//   - every run is bounded in wall time, CPU time, heap growth and call
//     depth; a script that hits a limit is stopped and still gets a result
//     (its findings so far, and Result.Unscannable with the reason), and a
//     panic inside the engine is recovered, so the worker survives;
//   - like box-js, the first download of a run fails (so that droppers
//     reveal their fallback URLs); a second run where every download
//     succeeds follows when the first one fetched but never succeeded, so a
//     single-URL dropper still shows its save-and-run chain;
//   - VBScript parts are not executed: a static pass records CreateObject
//     targets, Run/Exec/ShellExecute lines and URLs.
package jsemu

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/dop251/goja"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/script"
	"github.com/airlockmail/airlock/verdict"
)

// Config bounds one emulation run. A file may take two runs (see the
// package comment), each under these limits.
type Config struct {
	// Timeout is the wall-clock limit of one run. Default 5s.
	Timeout time.Duration
	// CPU is the CPU-time limit of one run, measured on the thread that
	// runs the script where the OS tells (Linux), else equal to Timeout.
	// Default 3s.
	CPU time.Duration
	// Memory is the heap growth allowed during one run, in bytes.
	// Default 128 MiB. See limits.go for how it is measured.
	Memory int64
	// MaxCallStack is the deepest JavaScript call stack. Default 2000.
	MaxCallStack int
	// MaxString caps strings built by repeat/padStart/padEnd/join in one
	// step, in UTF-16 units, so one call cannot allocate gigabytes
	// between two checks of the memory watchdog. Default 32 Mi.
	MaxString int
	// MaxSource is the largest script accepted, in bytes. Default 8 MiB.
	MaxSource int
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Timeout:      5 * time.Second,
		CPU:          3 * time.Second,
		Memory:       128 << 20,
		MaxCallStack: 2000,
		MaxString:    32 << 20,
		MaxSource:    8 << 20,
	}
}

// Validate reports what is wrong with c.
func (c Config) Validate() error {
	switch {
	case c.Timeout <= 0:
		return fmt.Errorf("jsemu timeout must be > 0")
	case c.CPU <= 0:
		return fmt.Errorf("jsemu cpu must be > 0")
	case c.Memory <= 0:
		return fmt.Errorf("jsemu memory must be > 0")
	case c.MaxCallStack <= 0:
		return fmt.Errorf("jsemu max call stack must be > 0")
	case c.MaxString <= 0:
		return fmt.Errorf("jsemu max string must be > 0")
	case c.MaxSource <= 0:
		return fmt.Errorf("jsemu max source must be > 0")
	}
	return nil
}

// Analyzer is the emulator. It is safe for concurrent use: each run has
// its own goja runtime.
type Analyzer struct {
	cfg     Config
	log     *slog.Logger
	prelude *goja.Program
	// testGlobals, when set (by tests only), adds globals to each
	// runtime: the way to make the engine panic on purpose.
	testGlobals map[string]any
}

// New returns the emulator; zero fields of cfg take their defaults.
func New(cfg Config, log *slog.Logger) (*Analyzer, error) {
	d := DefaultConfig()
	if cfg.Timeout == 0 {
		cfg.Timeout = d.Timeout
	}
	if cfg.CPU == 0 {
		cfg.CPU = d.CPU
	}
	if cfg.Memory == 0 {
		cfg.Memory = d.Memory
	}
	if cfg.MaxCallStack == 0 {
		cfg.MaxCallStack = d.MaxCallStack
	}
	if cfg.MaxString == 0 {
		cfg.MaxString = d.MaxString
	}
	if cfg.MaxSource == 0 {
		cfg.MaxSource = d.MaxSource
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p, err := goja.Compile("airlock-prelude.js", preludeJS, false)
	if err != nil {
		return nil, fmt.Errorf("jsemu prelude: %w", err)
	}
	return &Analyzer{cfg: cfg, log: log, prelude: p}, nil
}

// Name implements analyzer.Analyzer.
func (a *Analyzer) Name() string { return "jsemu" }

// Version changes with the fake world and the rules over its recording.
func (a *Analyzer) Version() string { return "2" }

var scriptExts = map[string]kind{
	".js": kindJS, ".jse": kindJS, ".mjs": kindJS,
	".hta": kindHTML, ".htm": kindHTML, ".html": kindHTML, ".xhtml": kindHTML, ".sct": kindWSF,
	".wsf": kindWSF, ".wsc": kindWSF,
	".vbs": kindVBS, ".vbe": kindVBS,
}

// Accepts takes scripts by extension or sniffed type, and text that looks
// like WSH JScript whatever its name.
func (a *Analyzer) Accepts(f *analyzer.File) bool {
	if len(f.Data) == 0 {
		return false
	}
	return a.kindOf(f) != kindNone
}

type kind int

const (
	kindNone kind = iota
	kindJS
	kindHTML
	kindWSF
	kindVBS
)

func (a *Analyzer) kindOf(f *analyzer.File) kind {
	if k, ok := scriptExts[strings.ToLower(f.Ext)]; ok {
		return k
	}
	t := strings.ToLower(f.Type)
	switch {
	case strings.Contains(t, "javascript"), strings.Contains(t, "ecmascript"), strings.Contains(t, "jscript"):
		return kindJS
	case strings.Contains(t, "html"), strings.Contains(t, "hta"):
		return kindHTML
	case strings.Contains(t, "vbscript"):
		return kindVBS
	}
	if f.Category != verdict.Script && f.Category != verdict.Other && f.Category != "" {
		return kindNone
	}
	head := f.Data[:min(len(f.Data), 64<<10)]
	switch {
	case bytes.Contains(head, []byte("<job")) || bytes.Contains(head, []byte("<package")):
		return kindWSF
	case bytes.Contains(head, []byte("ActiveXObject")) || bytes.Contains(head, []byte("WScript.")):
		if bytes.Contains(head, []byte("<script")) || bytes.Contains(head, []byte("<SCRIPT")) {
			return kindHTML
		}
		return kindJS
	}
	return kindNone
}

// Analyze emulates f and turns the recording into findings.
func (a *Analyzer) Analyze(ctx context.Context, f *analyzer.File) (analyzer.Result, error) {
	if len(f.Data) > a.cfg.MaxSource {
		return analyzer.Result{Unscannable: fmt.Sprintf("jsemu: %d bytes is over the %d byte script limit", len(f.Data), a.cfg.MaxSource)}, nil
	}
	k := a.kindOf(f)
	text := string(f.Data)
	if (k == kindJS || k == kindVBS) && bytes.Contains(f.Data, []byte("#@~^")) {
		// JScript.Encode / VBScript.Encode: the same Script Encoder.
		if dec, err := script.DecodeVBE(f.Data); err == nil {
			text = dec
		}
	}
	var parts []part
	switch k {
	case kindHTML, kindWSF:
		parts = scriptParts(text)
	case kindVBS:
		parts = []part{{lang: langVBS, code: text}}
	default:
		parts = []part{{lang: langJS, code: text}}
	}
	rec := newTrace()
	for _, p := range parts {
		if p.src != "" {
			rec.add(evScriptSrc, p.src, "")
		}
	}
	js := jsParts(parts)
	name := "document" + strings.ToLower(f.Ext)
	if f.Ext == "" {
		name = "document.js"
	}
	w := worldWSH
	if k == kindHTML {
		w = worldBrowser
	}
	var stops []string
	if len(js) > 0 {
		stop := a.emulate(ctx, js, name, w, netFailFirst, rec)
		if stop != "" {
			stops = append(stops, stop)
		}
		// The first download failed on purpose; if the script then gave
		// up (one URL, no fallback, or no try/catch), run it again with
		// working downloads to see what it does with the payload.
		if stop == "" && rec.fetchedButNeverSucceeded() && ctx.Err() == nil {
			if s := a.emulate(ctx, js, name, w, netSucceed, rec); s != "" {
				stops = append(stops, s)
			}
		}
	}
	for _, p := range parts {
		if p.lang == langVBS {
			vbStatic(p.code, rec)
		}
	}
	res := rec.result(a.Name())
	if len(stops) > 0 {
		res.Unscannable = "jsemu: " + strings.Join(stops, "; ")
	}
	return res, nil
}
