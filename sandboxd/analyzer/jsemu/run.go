package jsemu

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/dop251/goja"
)

// netMode says how fake downloads behave in one run.
type netMode int

const (
	// netFailFirst fails the first download of the run (a network error
	// thrown from send), then lets later ones succeed: a dropper with a
	// list of URLs in a try/catch loop shows its fallbacks.
	netFailFirst netMode = iota
	// netSucceed lets every download succeed.
	netSucceed
)

// emu is one run: a fresh goja runtime, the fake world and its recording.
type emu struct {
	cfg     Config
	vm      *goja.Runtime
	rec     *trace
	mode    netMode
	fetches int
	// files is the fake file system: what the script wrote (and its own
	// source, which droppers read back through WScript.ScriptFullName).
	files map[string]*fakeFile
	// timers are setTimeout/setInterval callbacks, run once each after
	// the main script (HTA droppers start from window.onload or a timer).
	timers []goja.Callable
	// fetchedBodies maps the fake payload text back to its URL so that
	// eval of a downloaded script is recognised.
	scriptPath  string
	quit        bool
	prelude     *goja.Program
	threadClock threadClock
	objs        map[*goja.Object]*comObject
	bodies      map[*goja.Object]*body
	atExit      []func()
}

type fakeFile struct {
	data []byte
	// from lists the URLs whose (fake) download content went into the
	// file: its hash is then ours, not the attacker's, and not reported.
	from []string
}

// errQuit is the interrupt value of WScript.Quit: a normal end.
var errQuit = errors.New("WScript.Quit")

// emulate runs the JScript parts (in order, one global scope) under the
// limits and returns "" when the script ended by itself, or why it was
// stopped.
func (a *Analyzer) emulate(ctx context.Context, parts []string, name string, w world, mode netMode, rec *trace) string {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()

	done := make(chan outcome, 1)
	ready := make(chan *emu, 1)
	go func() {
		var e *emu
		defer func() {
			if p := recover(); p != nil {
				a.log.Error("jsemu: engine panic", "panic", p, "stack", string(debug.Stack()))
				done <- outcome{stop: fmt.Sprintf("emulator panic: %v", p)}
			}
		}()
		// The CPU watchdog reads this thread's CPU clock.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		e = a.newEmu(mode, rec, name, strings.Join(parts, "\n"), w)
		e.threadClock = currentThreadClock()
		ready <- e
		stop := e.runAll(parts, name)
		e.flush()
		done <- outcome{stop: stop}
	}()

	var e *emu
	select {
	case e = <-ready:
	case o := <-done:
		return o.stop
	}
	wd := newWatchdog(a.cfg, e.threadClock)
	tick := time.NewTicker(watchInterval)
	defer tick.Stop()
	for {
		select {
		case o := <-done:
			return o.stop
		case <-ctx.Done():
			reason := "time limit " + a.cfg.Timeout.String()
			if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.DeadlineExceeded) {
				reason = "cancelled"
			}
			return a.stopAndWait(e, done, reason)
		case <-tick.C:
			if reason := wd.check(); reason != "" {
				return a.stopAndWait(e, done, reason)
			}
		}
	}
}

// stopAndWait interrupts the script and waits a little for the engine to
// unwind. goja checks for interrupts between instructions, so a script is
// normally gone at once; native code that does not check (a regular
// expression that backtracks for ever) keeps its goroutine: it is left
// behind and reported rather than blocking the worker.
func (a *Analyzer) stopAndWait(e *emu, done <-chan outcome, reason string) string {
	e.vm.Interrupt(stopped(reason))
	select {
	case o := <-done:
		if o.stop != "" && o.stop != reason {
			return reason + " (" + o.stop + ")"
		}
		return reason
	case <-time.After(stopGrace):
		a.log.Error("jsemu: script did not stop after interrupt; abandoning its goroutine", "reason", reason)
		e.rec.abandoned()
		return reason + "; the engine did not stop (abandoned)"
	}
}

// stopGrace is how long an interrupted script may take to unwind (a
// string concatenation of hundreds of megabytes in progress finishes
// first).
const stopGrace = 3 * time.Second

// outcome is how a run's goroutine ended.
type outcome struct{ stop string }

// stopped is the interrupt value for a limit.
type stopped string

// runAll runs the parts and then the queued timers, and reports why it
// stopped ("" for a normal end or an uncaught script exception).
func (e *emu) runAll(parts []string, name string) string {
	if _, err := e.vm.RunProgram(e.prelude); err != nil {
		return fmt.Sprintf("prelude failed: %v", err)
	}
	for i, code := range parts {
		if tooDeep(code) {
			return fmt.Sprintf("source nests deeper than %d levels", maxNesting)
		}
		n := name
		if len(parts) > 1 {
			n = fmt.Sprintf("%s#%d", name, i+1)
		}
		if stop := e.run(func() error { _, err := e.vm.RunScript(n, code); return err }); stop != "" || e.quit {
			return stop
		}
	}
	for i := 0; i < len(e.timers) && i < maxTimers; i++ {
		fn := e.timers[i]
		if stop := e.run(func() error { _, err := fn(goja.Undefined()); return err }); stop != "" || e.quit {
			return stop
		}
	}
	return ""
}

// maxTimers bounds the setTimeout callbacks run after the script.
const maxTimers = 64

// run classifies how one piece of script ended.
func (e *emu) run(f func() error) string {
	err := f()
	if err == nil {
		return ""
	}
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		switch v := ie.Value().(type) {
		case stopped:
			return string(v)
		case error:
			if errors.Is(v, errQuit) {
				e.quit = true
				return ""
			}
		}
		return fmt.Sprintf("interrupted: %v", ie.Value())
	}
	var so *goja.StackOverflowError
	if errors.As(err, &so) {
		return fmt.Sprintf("call stack limit %d", e.cfg.MaxCallStack)
	}
	var ex *goja.Exception
	if errors.As(err, &ex) {
		// An uncaught exception ends the script as it would end under
		// wscript.exe: recorded, not a limit.
		e.rec.add(evException, ex.Value().String(), "")
		return ""
	}
	var ce *goja.CompilerSyntaxError
	if errors.As(err, &ce) {
		e.rec.add(evSyntax, ce.Error(), "")
		return ""
	}
	e.rec.add(evException, err.Error(), "")
	return ""
}
