package jsemu

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/dop251/goja"
)

// world says which globals a script sees: wscript.exe has WScript and
// no window; a browser or mshta.exe has window and document (and
// ActiveXObject, as Internet Explorer did) but no WScript. Scripts test
// for these to choose their path, so each kind gets only its own.
type world int

const (
	worldWSH world = iota
	worldBrowser
)

// nativeName is the global through which the prelude reaches Go; the
// prelude captures it and deletes it before any sample code runs.
const nativeName = "__airlock_native"

func (a *Analyzer) newEmu(mode netMode, rec *trace, name, source string, w world) *emu {
	vm := goja.New()
	vm.SetMaxCallStackSize(a.cfg.MaxCallStack)
	e := &emu{
		cfg:        a.cfg,
		vm:         vm,
		rec:        rec,
		mode:       mode,
		files:      map[string]*fakeFile{},
		objs:       map[*goja.Object]*comObject{},
		bodies:     map[*goja.Object]*body{},
		scriptPath: fakeProfile + `\Downloads\` + name,
		prelude:    a.prelude,
	}
	// Droppers read themselves back (to find a payload appended after a
	// marker, or to copy themselves to Startup).
	e.files[fsKey(e.scriptPath)] = &fakeFile{data: []byte(source), from: []string{selfSource}}
	e.installWSH(w == worldWSH)
	_ = vm.Set("atob", func(c goja.FunctionCall) goja.Value {
		b, err := base64.StdEncoding.DecodeString(strings.TrimRight(str(c.Argument(0)), "=") + strings.Repeat("=", (4-len(strings.TrimRight(str(c.Argument(0)), "="))%4)%4))
		if err != nil {
			e.throw("The string to be decoded is not correctly encoded.", 5)
		}
		r := make([]rune, len(b))
		for i, x := range b {
			r[i] = rune(x)
		}
		return vm.ToValue(string(r))
	})
	_ = vm.Set("btoa", func(c goja.FunctionCall) goja.Value {
		s := str(c.Argument(0))
		b := make([]byte, 0, len(s))
		for _, r := range s {
			b = append(b, byte(r))
		}
		return vm.ToValue(base64.StdEncoding.EncodeToString(b))
	})
	native := vm.NewObject()
	_ = native.Set("layer", func(c goja.FunctionCall) goja.Value {
		code := str(c.Argument(0))
		e.rec.add(evLayer, code[:min(len(code), maxLayer)], str(c.Argument(1)))
		if u := e.fakeBodyURL(code); u != "" {
			e.rec.add(evRemoteEval, u, "")
		}
		if tooDeep(code) {
			// Compiling it would overflow the Go stack: stop the run
			// (uncatchable) instead.
			e.vm.Interrupt(stopped(fmt.Sprintf("evaluated code nests deeper than %d levels", maxNesting)))
			return e.vm.ToValue(false)
		}
		return e.vm.ToValue(true)
	})
	_ = native.Set("deep", func(c goja.FunctionCall) goja.Value {
		return e.vm.ToValue(tooDeep(str(c.Argument(0))))
	})
	_ = native.Set("navigate", func(c goja.FunctionCall) goja.Value {
		e.rec.add(evNavigate, str(c.Argument(0)), str(c.Argument(1)))
		return goja.Undefined()
	})
	_ = native.Set("smuggle", func(c goja.FunctionCall) goja.Value {
		e.rec.add(evSmuggle, str(c.Argument(0)), "")
		return goja.Undefined()
	})
	_ = native.Set("timer", func(c goja.FunctionCall) goja.Value {
		if fn, ok := goja.AssertFunction(c.Argument(0)); ok && len(e.timers) < maxTimers {
			e.timers = append(e.timers, fn)
		}
		return goja.Undefined()
	})
	_ = native.Set("echo", func(c goja.FunctionCall) goja.Value {
		e.rec.add(evEcho, str(c.Argument(0)), "")
		return goja.Undefined()
	})
	_ = native.Set("maxString", a.cfg.MaxString)
	_ = native.Set("browser", w == worldBrowser)
	_ = vm.Set(nativeName, native)
	for k, v := range a.testGlobals {
		_ = vm.Set(k, v)
	}
	return e
}

// maxLayer bounds the stored text of one evaluated layer.
const maxLayer = 4096

// flush runs the end-of-run work (unclosed text files).
func (e *emu) flush() {
	for _, f := range e.atExit {
		f()
	}
	e.atExit = nil
}
